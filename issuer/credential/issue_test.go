package credential_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"issuer/issuer/credential"
	"issuer/issuer/credential/mdoc"
	"issuer/issuer/credential/sdjwt"
	"issuer/issuer/oauth"
	"issuer/issuer/oauth/oauthtest"
)

// TestIssueMapsProofErrors: the verifier's verdicts become invalid_nonce
// and invalid_proof with the verifier's description, without its code.
func TestIssueMapsProofErrors(t *testing.T) {
	e := newEnv(t, nil)
	e.grant(t, "erika", pidClaims())
	_, err := e.Issue(t.Context(), request("id-erika", "nonce"))
	oauthtest.WantError(t, err, oauth.CodeInvalidNonce, "the c_nonce has expired")
	_, err = e.Issue(t.Context(), request("id-erika", "proof-0", "bad"))
	oauthtest.WantError(t, err, oauth.CodeInvalidProof, "the key proof's typ must be openid4vci-proof+jwt")
	// proof-0 was not spent by the refused request.
	if _, err := e.Issue(t.Context(), request("id-erika", "proof-0")); err != nil {
		t.Fatalf("Issue() = %v", err)
	}
}

// TestIssueAccessFirst: a refused token is the answer, whatever the body.
func TestIssueAccessFirst(t *testing.T) {
	e := newEnv(t, nil)
	e.access.err = oauth.New(401, oauth.CodeInvalidToken, "expired")
	_, err := e.Issue(t.Context(), request("", "bad"))
	oauthtest.WantError(t, err, oauth.CodeInvalidToken, "expired")
}

// TestIssueClaimsOfTheGrant: the offer's claims, filtered by the
// configuration; without offer claims, the user's; without either,
// credential_request_denied.
func TestIssueClaimsOfTheGrant(t *testing.T) {
	e := newEnv(t, nil)
	claims := pidClaims()
	claims["extra"] = "dropped"
	e.grant(t, "erika", claims)
	r, err := e.Issue(t.Context(), request("id-erika", "proof-0", "proof-1"))
	if err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	resp := response(t, r)
	if len(resp.Credentials) != 2 {
		t.Fatalf("Issue() = %+v; want two credentials", resp)
	}
	dec, err := sdjwt.Decode(resp.Credentials[0].Credential)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Claims["given_name"] != "Erika" || dec.Claims["extra"] != nil {
		t.Errorf("claims %v; want the listed ones only", dec.Claims)
	}
	e.grant(t, "nobody", nil)
	_, err = e.Issue(t.Context(), request("id-nobody", "proof-2"))
	oauthtest.WantError(t, err, oauth.CodeCredentialRequestDenied, "no claims are known for the subject of the access token")
}

// TestIssueTwoKeys: two proofs of one key are refused before anything.
func TestIssueTwoKeys(t *testing.T) {
	e := newEnv(t, nil)
	e.grant(t, "erika", pidClaims())
	_, err := e.Issue(t.Context(), request("id-erika", "proof-1", "proof-1"))
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != oauth.CodeInvalidProof {
		t.Fatalf("Issue() = %v; want invalid_proof", err)
	}
}

// TestIssueEndsWithTheCertificate: a credential never outlives the
// certificate of its signer, whatever the configured validity, in both
// formats.
func TestIssueEndsWithTheCertificate(t *testing.T) {
	e := newEnv(t, func(c *credential.Config) { c.Validity = 4 * 365 * 24 * time.Hour })
	e.grant(t, "erika", pidClaims())
	r, err := e.Issue(t.Context(), request("id-erika", "proof-0"))
	if err != nil {
		t.Fatal(err)
	}
	resp := response(t, r)
	sd, err := sdjwt.Decode(resp.Credentials[0].Credential)
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := sd.Claims["exp"].(json.Number).Int64()
	if notAfter := sd.Chain[0].NotAfter; time.Unix(exp, 0).After(notAfter) || notAfter.Sub(time.Unix(exp, 0)) > time.Second {
		t.Errorf("SD-JWT VC exp %s; want the signer certificate's NotAfter %s", time.Unix(exp, 0).UTC(), notAfter)
	}
	if r, err = e.Issue(t.Context(), request("mdoc-erika", "proof-1")); err != nil {
		t.Fatal(err)
	}
	resp = response(t, r)
	doc, err := mdoc.Verify(resp.Credentials[0].Credential)
	if err != nil {
		t.Fatal(err)
	}
	if notAfter := doc.Chain[0].NotAfter; doc.Validity.ValidUntil.After(notAfter) || notAfter.Sub(doc.Validity.ValidUntil) > time.Second {
		t.Errorf("mdoc validUntil %s; want the signer certificate's NotAfter %s", doc.Validity.ValidUntil, notAfter)
	}
}
