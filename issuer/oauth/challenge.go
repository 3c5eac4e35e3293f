package oauth

// Challenge is a WWW-Authenticate challenge (RFC 9110 §11.6.1) as data:
// its scheme and the auth-params the server sends (RFC 6750 §3, RFC 9449
// §7.1). Empty params are left out; the HTTP layer renders the present
// ones as quoted strings in the order realm, error, error_description,
// scope, algs.
type Challenge struct {
	// Scheme is SchemeBasic, SchemeBearer or SchemeDPoP.
	Scheme string
	Realm  string
	// Code and Description are the error and error_description params.
	Code        string
	Description string
	Scope       string
	// Algs are the DPoP proof algorithms the server accepts (RFC 9449 §7.1).
	Algs []string
}

// BasicChallenge is the challenge for HTTP Basic client authentication
// (RFC 6749 §2.3.1) in realm.
func BasicChallenge(realm string) *Challenge {
	return &Challenge{Scheme: SchemeBasic, Realm: realm}
}
