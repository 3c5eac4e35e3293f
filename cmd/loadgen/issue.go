package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/oauth"
)

// pidClaims are the claims of the benchmark's offers: a person with every
// claim a PID configuration may mark mandatory.
const pidClaims = `{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","birth_date":"1964-08-12",` +
	`"place_of_birth":{"locality":"Berlin","country":"DE"},"birth_place":"Berlin","nationalities":["DE"],"nationality":["DE"],` +
	`"issuing_authority":"DE","issuing_country":"DE","date_of_expiry":"2031-08-12","expiry_date":"2031-08-12"}`

// issuance is one prepared full issuance: a code with its token proof, and
// the wallet key that signs the credential request's DPoP proof and the
// key proof.
type issuance struct {
	code, tokenProof, keyProof string
	key                        *ecdsa.PrivateKey
}

// prepareIssuances signs, before the timed phase, every proof that does not
// depend on the access token: the token request's DPoP proof and the key
// proof (with one c_nonce, which wallets may reuse until it expires).
func prepareIssuances(ctx context.Context, client *http.Client, c config, codes []string) ([]issuance, error) {
	cNonce, err := fetchCNonce(ctx, client, c.node(0))
	if err != nil {
		return nil, err
	}
	reqs := make([]issuance, len(codes))
	err = parallel(2, len(codes), func(i int) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tp, err := dpop.Sign(key, "ES256", dpop.Claims{Method: http.MethodPost, URL: c.url + issuer.PathToken})
		if err != nil {
			return err
		}
		kp, err := signKeyProof(key, c.url, cNonce)
		reqs[i] = issuance{code: codes[i], tokenProof: tp, keyProof: kp, key: key}
		return err
	})
	return reqs, err
}

func fetchCNonce(ctx context.Context, client *http.Client, base string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+issuer.PathNonce, nil)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var n issuer.CNonceResponse
	if err := json.NewDecoder(res.Body).Decode(&n); err != nil || n.CNonce == "" {
		return "", fmt.Errorf("nonce endpoint: %s: %v", res.Status, err)
	}
	return n.CNonce, nil
}

// signKeyProof signs an openid4vci-proof+jwt for aud with the key's public
// JWK in the header.
func signKeyProof(key *ecdsa.PrivateKey, aud, cNonce string) (string, error) {
	pub, err := jwk.FromRaw(key.Public())
	if err != nil {
		return "", err
	}
	hdr := jws.NewHeaders()
	for k, v := range map[string]any{"typ": "openid4vci-proof+jwt", "jwk": pub} {
		if err := hdr.Set(k, v); err != nil {
			return "", err
		}
	}
	payload, _ := json.Marshal(map[string]any{"aud": aud, "iat": time.Now().Unix(), "nonce": cNonce})
	sig, err := jws.Sign(payload, jws.WithKey(jwa.ES256, key, jws.WithProtectedHeaders(hdr)))
	return string(sig), err
}

// issueAll is the timed phase of -credential: each worker redeems a code,
// signs the DPoP proof of the credential request (it needs the access
// token's hash) and requests the credential.
func issueAll(ctx context.Context, client *http.Client, c config, reqs []issuance) ([]time.Duration, int64, time.Duration) {
	lat := make([]time.Duration, len(reqs))
	var failures atomic.Int64
	start := time.Now()
	_ = parallel(c.wallets, len(reqs), func(i int) error {
		t0 := time.Now()
		err := issueOne(ctx, client, c.node(i), c.url, reqs[i])
		lat[i] = time.Since(t0)
		if err != nil && failures.Add(1) <= 5 {
			fmt.Fprintln(os.Stderr, "issuance failed:", err)
		}
		return nil
	})
	return lat, failures.Load(), time.Since(start)
}

// issueOne runs one issuance on the node at base; the proofs name the
// public URL.
func issueOne(ctx context.Context, client *http.Client, base, public string, r issuance) error {
	body := "grant_type=" + url.QueryEscape(oauth.GrantPreAuthorizedCode) + "&pre-authorized_code=" + url.QueryEscape(r.code)
	var tok struct {
		AccessToken          string                      `json:"access_token"`
		AuthorizationDetails []oauth.AuthorizationDetail `json:"authorization_details"`
	}
	if err := post(ctx, client, base+issuer.PathToken, "application/x-www-form-urlencoded", body, map[string]string{"DPoP": r.tokenProof}, &tok); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	if len(tok.AuthorizationDetails) == 0 || len(tok.AuthorizationDetails[0].CredentialIdentifiers) == 0 {
		return errors.New("token response without credential_identifiers")
	}
	p, err := dpop.Sign(r.key, "ES256", dpop.Claims{Method: http.MethodPost, URL: public + "/credential", AccessToken: tok.AccessToken})
	if err != nil {
		return err
	}
	creq, _ := json.Marshal(map[string]any{
		"credential_identifier": tok.AuthorizationDetails[0].CredentialIdentifiers[0],
		"proofs":                map[string]any{"jwt": []string{r.keyProof}},
	})
	var cres struct {
		Credentials []struct {
			Credential string `json:"credential"`
		} `json:"credentials"`
	}
	hdr := map[string]string{"DPoP": p, "Authorization": "DPoP " + tok.AccessToken}
	if err := post(ctx, client, base+"/credential", "application/json", string(creq), hdr, &cres); err != nil {
		return fmt.Errorf("credential: %w", err)
	}
	if len(cres.Credentials) != 1 || cres.Credentials[0].Credential == "" {
		return errors.New("credential response without one credential")
	}
	return nil
}

func post(ctx context.Context, client *http.Client, u, contentType, body string, hdr map[string]string, out any) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", res.Status, b)
	}
	return json.Unmarshal(b, out)
}
