package oauth

// Binding is what the tokens of a request are bound to: the thumbprint of
// the DPoP proof's key (RFC 9449 §6, cnf.jkt), of the client certificate
// (RFC 8705 §3.1, cnf.x5t#S256), and, for a wallet that authenticated
// with a client attestation, of its instance key (the attestation's cnf
// key: refresh tokens and codes stay with that instance). Client
// authentication yields the certificate and instance parts, the DPoP
// check the key part; whatever mints a token is handed the value.
type Binding struct {
	JKT      string // the DPoP key's JWK thumbprint (RFC 7638), or ""
	X5T      string // the client certificate's SHA-256 thumbprint, or ""
	Instance string // the attested wallet instance key's JWK thumbprint, or ""
}
