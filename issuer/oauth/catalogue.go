package oauth

import (
	"fmt"
	"regexp"
	"strings"
)

// CatalogueEntry is one error of the token endpoint: the situation, and
// the status, error code and error_description it gets. {0} and {1} in
// Description stand for values of the request (a parameter name, a
// client_id, a grant type, a defect). Source names the SimpleIdServer
// catalogue message the description adopts verbatim ("" for our own).
type CatalogueEntry struct {
	Situation   string
	Status      int
	Code        string
	Description string
	Source      string
}

// Catalogue is the error catalogue of the token endpoint, the one table
// the README's "Token endpoint errors" quotes (a test compares them, and
// the web tests check that every error the token endpoint answers is in
// it). Sources: SimpleIdServer's Global.resx messages, and those of
// SimpleIdentityServer, the same project's predecessor, whose
// ErrorDescriptions the issue quotes.
var Catalogue = []CatalogueEntry{
	{"A required parameter is absent (grant_type, code, pre-authorized_code, refresh_token, redirect_uri, username, password, ticket, tx_code, client_id)", 400, CodeInvalidRequest, "the parameter {0} is missing", "SimpleIdentityServer MissingParameter"},
	{"A parameter appears more than once (RFC 6749 §3.2)", 400, CodeInvalidRequest, "the parameter {0} appears more than once", ""},
	{"A parameter is not form-encoded UTF-8 text without control characters", 400, CodeInvalidRequest, "a parameter is not properly form-encoded UTF-8 text", ""},
	{"The body is not application/x-www-form-urlencoded", 400, CodeInvalidRequest, "the request body must be application/x-www-form-urlencoded", ""},
	{"The body declares a charset other than UTF-8", 400, CodeInvalidRequest, "the request body must be UTF-8", ""},
	{"The body is sent chunked, without a Content-Length", 400, CodeInvalidRequest, "the request body must have a Content-Length", ""},
	{"More than 100 parameters", 400, CodeInvalidRequest, "the request has too many parameters", ""},
	{"More than one Authorization header", 400, CodeInvalidRequest, "the request has more than one Authorization header", ""},
	{"Credentials or grants in the query string (RFC 6749 §2.3.1)", 400, CodeInvalidRequest, "credentials and grants must not be sent in the request URI", ""},
	{"A method other than POST", 405, CodeInvalidRequest, "the HTTP method is not allowed at this endpoint", ""},
	{"The body exceeds 64 KiB", 413, CodeInvalidRequest, "the request body is too large", ""},
	{"The header fields are too large", 431, CodeInvalidRequest, "the request header fields are too large", ""},
	{"authorization_details is not JSON", 400, CodeInvalidRequest, "authorization_details is not valid JSON", ""},
	{"tx_code sent with another grant", 400, CodeInvalidRequest, "the parameter tx_code is for the pre-authorized code grant", ""},
	{"tx_code sent for an offer without a transaction code", 400, CodeInvalidRequest, "the parameter tx_code is not expected: the offer has no transaction code", ""},
	{"UMA: claim_token without claim_token_format, or the reverse", 400, CodeInvalidRequest, "claim_token and claim_token_format go together", ""},
	{"UMA: a claim_token_format other than an access token of this server", 400, CodeInvalidRequest, "the claim_token_format is not supported", ""},
	{"UMA: the claim token is not an active access token of this server", 400, CodeInvalidRequest, "the claim token is not an active access token of this server", ""},
	{"An unknown grant_type", 400, CodeUnsupportedGrantType, "the grant type is not supported", ""},
	{"The client is not registered for the grant type", 400, CodeUnauthorizedClient, "the client {0} doesn't support the grant type {1}", "SimpleIdentityServer TheClientDoesntSupportTheGrantType"},
	{"A public client asks for a confidential-only grant", 400, CodeUnauthorizedClient, "the grant type '{0}' is for confidential clients only", ""},
	{"No client identification for a grant that needs a client", 401, CodeInvalidClient, "client authentication is required for the grant type '{0}'", ""},
	{"Two client authentication methods in one request", 400, CodeInvalidRequest, "the client used more than one authentication method", ""},
	{"An Authorization header with a scheme other than Basic", 400, CodeInvalidRequest, "only the Basic scheme is accepted in the Authorization header", ""},
	{"A malformed Basic header", 401, CodeInvalidClient, "the Authorization header is malformed", ""},
	{"client_id in the form differs from the Basic header's", 401, CodeInvalidClient, "client_id does not match the Authorization header", ""},
	{"An unknown client_id", 401, CodeInvalidClient, "the client doesn't exist", "SimpleIdentityServer TheClientDoesntExist"},
	{"The client used a method it is not registered with (none, a secret, an assertion, a certificate)", 401, CodeInvalidClient, "the client cannot be authenticated with {0}", "SimpleIdentityServer TheClientCannotBeAuthenticatedWith..."},
	{"A public client (registered with none) under the haip profile", 401, CodeInvalidClient, "the client must authenticate: public clients use a wallet attestation (attest_jwt_client_auth)", ""},
	{"A wrong client secret", 401, CodeInvalidClient, "bad client credential", "SimpleIdServer BadClientCredential"},
	{"Too many failed client authentications from one address", 401, CodeInvalidClient, "too many failed authentications; try again later", ""},
	{"A client_assertion_type other than jwt-bearer", 401, CodeInvalidClient, "the client_assertion_type is not supported", ""},
	{"client_assertion_type without client_assertion", 401, CodeInvalidClient, "the parameter client_assertion is missing", "SimpleIdentityServer MissingParameter"},
	{"An encrypted client assertion (JWE): refused, not supported", 401, CodeInvalidClient, "client_assertion cannot be encrypted (JWE)", "SimpleIdServer BadClientAssertionEncrypted"},
	{"The client assertion is not a compact JWS", 401, CodeInvalidClient, "the client assertion is not a JWS token", "SimpleIdentityServer TheClientAssertionIsNotAJwsToken"},
	{"The client assertion cannot be parsed", 401, CodeInvalidClient, "bad client assertion format", "SimpleIdServer BadClientAssertionFormat"},
	{"The client assertion has no iss or no sub", 401, CodeInvalidClient, "the client assertion needs iss and sub", ""},
	{"The client assertion's iss or sub is not the client_id", 401, CodeInvalidClient, "bad client assertion issuer", "SimpleIdServer BadClientAssertionIssuer"},
	{"client_id in the form differs from the assertion's", 401, CodeInvalidClient, "client_id does not match the client assertion", ""},
	{"The assertion's alg is not allowed for the client's method", 401, CodeInvalidClient, "the algorithm used by client assertion is not correct", "SimpleIdServer BadClientAssertionAlg"},
	{"The assertion's signature does not verify with the registered key or secret", 401, CodeInvalidClient, "bad client assertion signature", "SimpleIdServer BadClientAssertionSignature"},
	{"The client's jwks_uri cannot be fetched", 401, CodeInvalidClient, "the client's keys could not be fetched", ""},
	{"The assertion's aud is not this server", 401, CodeInvalidClient, "the audience passed in JWT is not correct", "SimpleIdentityServer TheAudiencePassedInJwtIsNotCorrect"},
	{"The assertion has no exp", 401, CodeInvalidClient, "the received JWT has no exp", ""},
	{"The assertion has expired", 401, CodeInvalidClient, "the received JWT has expired", "SimpleIdentityServer TheReceivedJwtHasExpired"},
	{"The assertion's exp is too far ahead", 401, CodeInvalidClient, "the received JWT lives too long", ""},
	{"The assertion's iat is in the future", 401, CodeInvalidClient, "the received JWT was issued in the future", ""},
	{"The assertion's nbf is in the future", 401, CodeInvalidClient, "the received JWT is not valid yet", ""},
	{"The assertion has no jti, or one over 256 bytes", 401, CodeInvalidClient, "the received JWT needs a jti of at most 256 bytes", ""},
	{"The assertion's jti was seen before", 401, CodeInvalidClient, "the jwt token has already been used", "SimpleIdentityServer TheJwtTokenHasAlreadyBeenUsed"},
	{"The TLS client certificate fails a check (chain, validity, key usage, registered subject or SAN, self-signed key)", 401, CodeInvalidClient, "the client certificate {0}", ""},
	{"Attestation headers from a client registered with another method", 401, CodeInvalidClient, "the client is registered with another authentication method than attest_jwt_client_auth", ""},
	{"An attestation header is absent", 401, CodeInvalidClient, "the {0} header is missing", ""},
	{"An attestation header is repeated", 401, CodeInvalidClient, "the request has more than one {0} header", ""},
	{"client_id differs from the attestation's sub", 401, CodeInvalidClient, "client_id does not match the sub of the client attestation", ""},
	{"The attestation fails a check (format, typ, alg, signature by a trusted wallet provider, exp, iat, cnf.jwk, x5c)", 401, CodeInvalidClient, "the client attestation {0}", ""},
	{"The attestation PoP fails a check (format, typ, alg, cnf key, iss, exp, iat, jti replay)", 401, CodeInvalidClient, "the client attestation PoP {0}", ""},
	{"The attestation's typ, alg, cnf.jwk, sub or x5c is not acceptable", 401, CodeInvalidClient, "the client attestation's {0}", ""},
	{"The attestation PoP's typ, alg or iss is not acceptable", 401, CodeInvalidClient, "the client attestation PoP's {0}", ""},
	{"The attestation PoP's aud is not this server", 401, CodeInvalidClient, "the audience of the client attestation PoP is not correct", ""},
	{"The PoP has no server challenge though one is required", 401, CodeUseAttestationChallenge, "the client attestation PoP must carry a challenge from this server", ""},
	{"The PoP's challenge is unknown or expired", 401, CodeUseAttestationChallenge, "the challenge of the client attestation PoP is invalid or expired", ""},
	{"The attestation has no iat, and a maximum age is configured", 401, CodeUseFreshAttestation, "the client attestation has no iat; this server accepts attestations issued at most {0} ago", ""},
	{"The attestation is older than the configured maximum age", 401, CodeUseFreshAttestation, "the client attestation was issued more than {0} ago; get a fresh one", ""},
	{"No DPoP header where DPoP is required", 400, CodeInvalidRequest, "the DPOP Proof is missing", "SimpleIdServer MissingDpopProof"},
	{"No DPoP header from a client registered with dpop_bound_access_tokens", 400, CodeInvalidRequest, "the client is registered with dpop_bound_access_tokens and sent no DPoP proof", ""},
	{"No client certificate from a client registered with tls_client_certificate_bound_access_tokens", 400, CodeInvalidRequest, "the client is registered with tls_client_certificate_bound_access_tokens and presented no client certificate", ""},
	{"More than one DPoP header", 400, CodeInvalidDPoPProof, "too many DPoP parameters are passed in the header", "SimpleIdServer TooManyDpopHeader"},
	{"The DPoP proof fails a check of RFC 9449 §4.3 ({0} names it)", 400, CodeInvalidDPoPProof, "invalid DPoP proof: {0}", ""},
	{"The proof's jti was seen before", 400, CodeInvalidDPoPProof, "the DPoP proof was used before (jti replay)", ""},
	{"Server nonces are on and the proof has none, or a stale one (with a DPoP-Nonce header)", 400, CodeUseDPoPNonce, "Authorization Server required nonce in DPoP proof", "SimpleIdServer UseDpopNonce"},
	{"An unknown pre-authorized code", 400, CodeInvalidGrant, "either the pre-authorized code has expired or is invalid", "SimpleIdServer InvalidPreAuthorizedCode"},
	{"An expired pre-authorized code", 400, CodeInvalidGrant, "the pre-authorized code has expired", ""},
	{"A pre-authorized code redeemed twice (the first tokens are revoked)", 400, CodeInvalidGrant, "the pre-authorized code was already used; the tokens issued for it are revoked", ""},
	{"A pre-authorized code after too many wrong transaction codes", 400, CodeInvalidGrant, "the pre-authorized code was invalidated after too many wrong transaction codes", ""},
	{"A wrong tx_code (checklist §7.3)", 400, CodeInvalidGrant, "the tx_code is invalid", "SimpleIdServer InvalidTransactionCode"},
	{"The last allowed wrong tx_code", 400, CodeInvalidGrant, "the tx_code is invalid; the pre-authorized code is now invalidated", "SimpleIdServer InvalidTransactionCode"},
	{"An unknown authorization code", 400, CodeInvalidGrant, "the authorization code is not correct", "SimpleIdentityServer TheAuthorizationCodeIsNotCorrect"},
	{"An expired authorization code", 400, CodeInvalidGrant, "the authorization code is obsolete", "SimpleIdentityServer TheAuthorizationCodeIsObsolete"},
	{"Another client's authorization code ({0} is the requesting client)", 400, CodeInvalidGrant, "the authorization code has not been issued for the given client id {0}", "SimpleIdentityServer TheAuthorizationCodeHasNotBeenIssuedForTheGivenClientId"},
	{"An authorization code redeemed twice (the first tokens are revoked)", 400, CodeInvalidGrant, "the authorization code was already used; the tokens issued for it are revoked", ""},
	{"redirect_uri differs from the authorization request's", 400, CodeInvalidGrant, "the redirection url is not the same than the one passed in the authorization request", "SimpleIdentityServer TheRedirectionUrlIsNotTheSame"},
	{"No code_verifier (invalid_grant, as our tests decided)", 400, CodeInvalidGrant, "the parameter code_verifier is missing", "SimpleIdentityServer MissingParameter"},
	{"The code_verifier does not match the code_challenge", 400, CodeInvalidGrant, "code_verifier is invalid", "SimpleIdServer BadCodeVerifier"},
	{"A DPoP-bound code redeemed without a proof", 400, CodeInvalidGrant, "the authorization code is bound to a DPoP key and the request has no DPoP proof", ""},
	{"The proof's key is not the code's dpop_jkt (checklist §7.9)", 400, CodeInvalidGrant, "there is a mismatch between the dpop_jkt and the DPoP proof", "SimpleIdServer DpopJktMismatch"},
	{"Another wallet instance than the authorization request's", 400, CodeInvalidGrant, "the client attestation is for another wallet instance than the authorization request's", ""},
	{"The offer of the authorization request was used or expired meanwhile", 400, CodeInvalidGrant, "the credential offer of the authorization request was already used, or has expired", ""},
	{"An unknown or revoked refresh token", 400, CodeInvalidGrant, "the refresh token is not valid", "SimpleIdentityServer TheRefreshTokenIsNotValid"},
	{"An expired refresh token", 400, CodeInvalidGrant, "the refresh token has expired", ""},
	{"A rotated refresh token reused after the grace window (the grant is revoked)", 400, CodeInvalidGrant, "the refresh token was replaced by rotation; every token of its grant is now revoked", ""},
	{"A refresh token replaced by rotation, used again (its successor stays valid)", 400, CodeInvalidGrant, "the refresh token was replaced by rotation", ""},
	{"Another client's refresh token", 400, CodeInvalidGrant, "the token has not been issued for the given client id '{0}'", "SimpleIdentityServer TheTokenHasNotBeenIssuedForTheGivenClientId"},
	{"A DPoP-bound refresh token without a proof", 400, CodeInvalidGrant, "the refresh token is bound to a DPoP key: send a proof made with that key", ""},
	{"A DPoP-bound refresh token with another key's proof", 400, CodeInvalidGrant, "the DPoP proof is not made with the key the refresh token is bound to", ""},
	{"An attested wallet's refresh token from another instance", 400, CodeInvalidGrant, "the refresh token is bound to the key of another client instance (the attestation's cnf)", ""},
	{"A resource the refresh token does not cover (RFC 8707)", 400, "invalid_target", "the resource is not covered by the refresh token", ""},
	{"Password grant: a wrong username or password", 400, CodeInvalidGrant, "the username or password is invalid", ""},
	{"Password grant: too many failed sign-ins", 400, CodeInvalidGrant, "too many failed sign-ins; try again in {0}", ""},
	{"A scope the client may not have", 400, CodeInvalidScope, "unauthorized to scopes : {0}", "SimpleIdServer UnauthorizedScopes"},
	{"A malformed scope parameter", 400, CodeInvalidScope, "the scope parameter is malformed", ""},
	{"UMA: a scope outside the permission ticket", 400, CodeInvalidScope, "a scope value is not in the permission ticket", ""},
	{"UMA: an unknown permission ticket", 400, CodeInvalidGrant, "permission ticket is not correct", "SimpleIdServer InvalidTicket"},
	{"UMA: a used permission ticket", 400, CodeInvalidGrant, "the permission ticket has been used", ""},
	{"UMA: an expired permission ticket", 400, CodeInvalidGrant, "the permission ticket has expired", ""},
	{"UMA: the requesting party must be identified (with ticket and required_claims)", 403, "need_info", "a claim token identifying the requesting party is needed", ""},
	{"UMA: the request awaits the owner (with ticket and interval)", 403, "request_submitted", "the request waits for the resource owner's decision", ""},
	{"UMA: the owner denied the request", 403, "request_denied", "the resource owner denied the request", ""},
	{"UMA: the owner's grants do not cover the request", 403, "request_denied", "the resource owner's grants do not cover the request", ""},
	{"authorization_details is not an array", 400, CodeInvalidAuthorizationDetails, "authorization_details must be a JSON array", ""},
	{"authorization_details is empty", 400, CodeInvalidAuthorizationDetails, "authorization_details must not be empty", ""},
	{"An entry is not an object with a string type", 400, CodeInvalidAuthorizationDetails, "each authorization_details entry must be an object with a string type", ""},
	{"An entry without type", 400, CodeInvalidAuthorizationDetails, "an authorization_details entry has no type", ""},
	{"An entry of a type other than openid_credential", 400, CodeInvalidAuthorizationDetails, "the authorization_details type is not supported", ""},
	{"An openid_credential entry without credential_configuration_id", 400, CodeInvalidAuthorizationDetails, "an openid_credential entry has no credential_configuration_id", ""},
	{"An unknown credential_configuration_id", 400, CodeInvalidAuthorizationDetails, "credential_configuration_id is not in credential_configurations_supported", ""},
	{"A configuration the grant does not cover", 400, CodeInvalidAuthorizationDetails, "authorization_details asks for a credential configuration that the grant does not cover", ""},
	{"An internal failure (logged, never described)", 500, CodeServerError, "internal server error", ""},
	{"The database cannot be reached (PostgreSQL down or unreachable; Retry-After: 5)", 503, CodeTemporarilyUnavailable, "the service is temporarily unavailable; try again later", ""},
}

// Matches reports whether an error answered with status, code and
// description is this entry (any non-empty text in place of {0}, {1}).
func (e CatalogueEntry) Matches(status int, code, description string) bool {
	return e.Status == status && e.Code == code && e.pattern().MatchString(description)
}

func (e CatalogueEntry) pattern() *regexp.Regexp {
	parts := regexp.MustCompile(`\{[0-9]\}`).Split(e.Description, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".+") + "$")
}

// CatalogueMarkdown renders the catalogue as the README's Markdown table.
func CatalogueMarkdown() string {
	var b strings.Builder
	b.WriteString("| Situation | Status | `error` | `error_description` | Catalogue message |\n|---|---|---|---|---|\n")
	for _, e := range Catalogue {
		src := e.Source
		if src == "" {
			src = "ours"
		}
		fmt.Fprintf(&b, "| %s | %d | `%s` | %s | %s |\n", e.Situation, e.Status, e.Code, e.Description, src)
	}
	return b.String()
}
