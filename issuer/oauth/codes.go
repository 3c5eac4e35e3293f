package oauth

// Error codes of the token endpoint and of the other endpoints that answer
// in RFC 6749 §5.2 JSON (RFC 9449 §5 and §8, RFC 9396 §5).
const (
	CodeInvalidRequest              = "invalid_request"
	CodeInvalidClient               = "invalid_client"
	CodeInvalidGrant                = "invalid_grant"
	CodeUnauthorizedClient          = "unauthorized_client"
	CodeUnsupportedGrantType        = "unsupported_grant_type"
	CodeInvalidScope                = "invalid_scope"
	CodeInvalidDPoPProof            = "invalid_dpop_proof"
	CodeUseDPoPNonce                = "use_dpop_nonce"
	CodeInvalidAuthorizationDetails = "invalid_authorization_details"
	CodeNotFound                    = "not_found"
	CodeServerError                 = "server_error"
	// CodeTemporarilyUnavailable: the store cannot be reached (503, RFC 6749
	// §4.1.2.1 names it for the authorization endpoint).
	CodeTemporarilyUnavailable = "temporarily_unavailable"
)

// Authorization request errors (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6).
const (
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeAccessDenied            = "access_denied"
	CodeLoginRequired           = "login_required"
	CodeRequestNotSupported     = "request_not_supported"
)

// Attestation-based client authentication errors (draft -07 §6.2). Both
// are 401 here.
const (
	CodeUseAttestationChallenge = "use_attestation_challenge"
	CodeUseFreshAttestation     = "use_fresh_attestation"
)

// Resource server errors (RFC 6750 §3.1, RFC 9449 §7.1).
const (
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// Credential endpoint errors (OpenID4VCI 1.0 §8.3.1.2, §9.3, §11.3): 400.
const (
	CodeInvalidCredentialRequest       = "invalid_credential_request"
	CodeUnknownCredentialConfiguration = "unknown_credential_configuration"
	CodeUnknownCredentialIdentifier    = "unknown_credential_identifier"
	CodeInvalidProof                   = "invalid_proof"
	CodeInvalidNonce                   = "invalid_nonce"
	CodeInvalidEncryptionParameters    = "invalid_encryption_parameters"
	CodeCredentialRequestDenied        = "credential_request_denied"
	CodeIssuancePending                = "issuance_pending"
	CodeInvalidTransactionID           = "invalid_transaction_id"
	CodeInvalidNotificationID          = "invalid_notification_id"
	CodeInvalidNotificationRequest     = "invalid_notification_request"
)
