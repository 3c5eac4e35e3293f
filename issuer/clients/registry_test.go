package clients_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"

	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/storage"
)

// Client registration (RFC 7591 §2, §3.2.2; RFC 8705 §2.1.2, §2.2): the
// metadata checks of the admin API, and what is stored.

const invalidMetadata = "invalid_client_metadata"

func TestAuthMethods(t *testing.T) {
	want := []string{oauth.AuthNone, oauth.AuthClientSecretBasic, oauth.AuthClientSecretPost, oauth.AuthPrivateKeyJWT,
		oauth.AuthClientSecretJWT, oauth.AuthTLSClientAuth, oauth.AuthSelfSignedTLSClientAuth, oauth.AuthAttestJWT}
	got := clients.AuthMethods()
	if !slices.Equal(got, want) {
		t.Fatalf("AuthMethods() = %v; want %v", got, want)
	}
	got[0] = "changed"
	if clients.AuthMethods()[0] != oauth.AuthNone {
		t.Fatal("AuthMethods() shares its slice")
	}
}

// TestCreateDefaults: omitted fields take the RFC 7591 defaults; a
// client_id and a secret are generated; the secret is returned once and
// stored only as its hash.
func TestCreateDefaults(t *testing.T) {
	r, st := newRegistry(t)
	m, err := r.Create(t.Context(), clients.Metadata{})
	if err != nil {
		t.Fatalf("Create({}) = %v", err)
	}
	if m.TokenEndpointAuthMethod != oauth.AuthClientSecretBasic || !slices.Equal(m.GrantTypes, []string{oauth.GrantAuthorizationCode}) {
		t.Errorf("defaults = %s %v; want client_secret_basic [authorization_code]", m.TokenEndpointAuthMethod, m.GrantTypes)
	}
	if !clients.ValidClientID(m.ClientID) || len(m.ClientID) < 22 {
		t.Errorf("generated client_id %q; want a random valid client_id", m.ClientID)
	}
	if len(m.ClientSecret) < 32 || m.ClientSecretExpiresAt == nil || *m.ClientSecretExpiresAt != 0 || m.ClientIDIssuedAt != now.Unix() {
		t.Errorf("metadata = %+v; want a secret of at least 32 characters that never expires, issued now", m)
	}
	c, err := st.GetClient(t.Context(), m.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(m.ClientSecret))
	if string(c.SecretHash) != string(sum[:]) || c.HMACSecret != "" || !c.CreatedAt.Equal(now) {
		t.Errorf("stored = %+v; want the SHA-256 of the secret only, created now", c)
	}
	got, err := r.Get(t.Context(), m.ClientID)
	if err != nil || got.ClientSecret != "" || got.ClientID != m.ClientID {
		t.Errorf("Get = %+v, %v; want the client without its secret", got, err)
	}
	other, err := r.Create(t.Context(), clients.Metadata{})
	if err != nil || other.ClientID == m.ClientID || other.ClientSecret == m.ClientSecret {
		t.Errorf("a second client = %+v, %v; want its own id and secret", other, err)
	}
}

// TestCreateSecrets: which methods have a secret; client_secret_jwt keeps
// the secret itself to check MACs.
func TestCreateSecrets(t *testing.T) {
	r, st := newRegistry(t)
	k := newKey(t)
	long := strings.Repeat("s", 32)
	for _, tc := range []struct {
		name       string
		m          clients.Metadata
		secret     bool // a secret is returned and hashed
		hmacSecret bool
	}{
		{"client_secret_post with its own secret", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthClientSecretPost, ClientSecret: long}, true, false},
		{"client_secret_jwt", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthClientSecretJWT}, true, true},
		{"none", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthNone}, false, false},
		{"private_key_jwt", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKS: keySet(t, publicJWK(k))}, false, false},
		{"attest_jwt_client_auth", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthAttestJWT}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := r.Create(t.Context(), tc.m)
			if err != nil {
				t.Fatalf("Create = %v", err)
			}
			c, _ := st.GetClient(t.Context(), m.ClientID)
			if got := m.ClientSecret != "" && len(c.SecretHash) == sha256.Size && m.ClientSecretExpiresAt != nil; got != tc.secret {
				t.Errorf("secret = %q, hash %x, expires %v; want a secret: %t", m.ClientSecret, c.SecretHash, m.ClientSecretExpiresAt, tc.secret)
			}
			if !tc.secret && (len(c.SecretHash) != 0 || m.ClientSecretExpiresAt != nil) {
				t.Errorf("a client without secret has a hash or client_secret_expires_at")
			}
			if tc.m.ClientSecret != "" && m.ClientSecret != tc.m.ClientSecret {
				t.Errorf("secret = %q; want the given one", m.ClientSecret)
			}
			if (c.HMACSecret == m.ClientSecret && c.HMACSecret != "") != tc.hmacSecret {
				t.Errorf("HMACSecret = %q; want the secret kept: %t", c.HMACSecret, tc.hmacSecret)
			}
		})
	}
}

// TestCreateRefused: each metadata problem is invalid_client_metadata
// and nothing is stored.
func TestCreateRefused(t *testing.T) {
	k, other := newKey(t), newKey(t)
	private := publicJWK(k)
	private["d"] = b64(k.D.FillBytes(make([]byte, 32)))
	der := selfSigned(t, k)
	const (
		exactlyOne = "tls_client_auth needs exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns, tls_client_auth_san_uri, tls_client_auth_san_ip and tls_client_auth_san_email"
		needsCerts = "self_signed_tls_client_auth needs jwks or jwks_uri with the client's certificates (x5c)"
		https      = "jwks_uri must use https"
		both       = "jwks and jwks_uri must not both be given (RFC 7591 section 2)"
	)
	pk := func(jwks []byte, uri string) clients.Metadata {
		return clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKS: jwks, JWKSURI: uri}
	}
	tlsAuth := func(tls storage.ClientTLS) clients.Metadata {
		return clients.Metadata{TokenEndpointAuthMethod: oauth.AuthTLSClientAuth, ClientTLS: tls}
	}
	selfTLS := func(jwks []byte, uri string) clients.Metadata {
		return clients.Metadata{TokenEndpointAuthMethod: oauth.AuthSelfSignedTLSClientAuth, JWKS: jwks, JWKSURI: uri}
	}
	for _, tc := range []struct {
		name string
		m    clients.Metadata
		desc string // exact when it does not end in "…"
	}{
		{"client_id with a space", clients.Metadata{ClientID: "a b"}, "client_id must be 1 to 255 visible ASCII characters"},
		{"client_id of 256 characters", clients.Metadata{ClientID: strings.Repeat("c", 256)}, "client_id must be 1 to 255 visible ASCII characters"},
		{"unknown method", clients.Metadata{TokenEndpointAuthMethod: "client_secret_magic"}, "token_endpoint_auth_method must be one of " + strings.Join(clients.AuthMethods(), ", ")},
		{"a secret for a public client", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthNone, ClientSecret: strings.Repeat("s", 40)},
			"a client with token_endpoint_auth_method none has no secret"},
		{"a secret for private_key_jwt", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, ClientSecret: strings.Repeat("s", 40), JWKS: keySet(t, publicJWK(k))},
			"a client with token_endpoint_auth_method private_key_jwt has no secret"},
		{"a secret of 31 characters", clients.Metadata{ClientSecret: strings.Repeat("s", 31)}, "client_secret must have at least 32 characters"},
		{"unknown grant type", clients.Metadata{GrantTypes: []string{oauth.GrantClientCredentials, "implicit"}}, "grant_types has an unknown grant type"},
		{"redirect URI over plain http", clients.Metadata{RedirectURIs: []string{"https://wallet.example/cb", "http://wallet.example/cb"}},
			"redirect_uris[1] may use http only on a loopback address (http://127.0.0.1 or http://[::1])"},
		{"javascript redirect URI", clients.Metadata{RedirectURIs: []string{"javascript:alert(1)"}}, "redirect_uris[0] must use https, http on a loopback address, or a private-use scheme in reverse domain name form such as com.example.wallet"},
		// private_key_jwt keys.
		{"private_key_jwt without keys", pk(nil, ""), "jwks: must be a JWK set with at least one public key"},
		{"private_key_jwt with an empty key set", pk(keySet(t), ""), "jwks: must be a JWK set with at least one public key"},
		{"private_key_jwt with a private key", pk(keySet(t, private), ""), "jwks: key 0: must be a public key, not a private or symmetric one"},
		{"private_key_jwt with a public and a private key", pk(keySet(t, publicJWK(other), private), ""), "jwks: key 1: must be a public key, not a private or symmetric one"},
		{"private_key_jwt with a symmetric key", pk(keySet(t, map[string]any{"kty": "oct", "k": b64([]byte(strings.Repeat("s", 32)))}), ""),
			"jwks: key 0: must be a public key, not a private or symmetric one"},
		{"private_key_jwt with an EC point off the curve", pk(keySet(t, map[string]any{"kty": "EC", "crv": "P-256", "x": b64(make([]byte, 32)), "y": b64(make([]byte, 32))}), ""), ""},
		{"private_key_jwt with jwks that is not a key set", pk([]byte(`"not a key set"`), ""), "jwks: must be a JWK set with at least one public key"},
		{"private_key_jwt with jwks and jwks_uri", pk(keySet(t, publicJWK(k)), "https://client.example/jwks"), both},
		{"jwks_uri over http on another host", pk(nil, "http://keys.example/jwks"), https},
		{"jwks_uri of another scheme", pk(nil, "ftp://keys.example/jwks"), https},
		{"jwks_uri not absolute", pk(nil, "keys"), "jwks_uri must be an absolute URL"},
		{"jwks_uri with a fragment", pk(nil, "https://keys.example/jwks#k"), "jwks_uri must be an absolute URL"},
		{"jwks_uri for a secret client", clients.Metadata{JWKSURI: "https://keys.example/jwks"}, "jwks_uri is for private_key_jwt and self_signed_tls_client_auth clients"},
		{"a private key in the jwks of a secret client", clients.Metadata{JWKS: keySet(t, private)}, "jwks: key 0: must be a public key, not a private or symmetric one"},
		// RFC 8705.
		{"tls_client_auth without a subject", tlsAuth(storage.ClientTLS{}), exactlyOne},
		{"tls_client_auth with two subjects", tlsAuth(storage.ClientTLS{SubjectDN: "CN=a", SANDNS: "a.example"}), exactlyOne},
		{"tls_client_auth with a secret", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthTLSClientAuth, ClientSecret: strings.Repeat("s", 40), ClientTLS: storage.ClientTLS{SubjectDN: "CN=a"}},
			"a client with token_endpoint_auth_method tls_client_auth has no secret"},
		{"a subject for a secret client", clients.Metadata{ClientTLS: storage.ClientTLS{SANDNS: "a.example"}}, "the tls_client_auth_* values are for tls_client_auth clients"},
		{"a subject for a self-signed client", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthSelfSignedTLSClientAuth, JWKS: keySet(t, certJWK(k, der)), ClientTLS: storage.ClientTLS{SANDNS: "a.example"}},
			"the tls_client_auth_* values are for tls_client_auth clients"},
		{"an IP that is none", tlsAuth(storage.ClientTLS{SANIP: "10.0.0"}), "tls_client_auth_san_ip must be an IPv4 or IPv6 address"},
		{"a relative URI", tlsAuth(storage.ClientTLS{SANURI: "/backend"}), "tls_client_auth_san_uri must be an absolute URI"},
		{"self-signed without keys", selfTLS(nil, ""), needsCerts},
		{"self-signed keys without x5c", selfTLS(keySet(t, publicJWK(k)), ""), needsCerts},
		{"self-signed x5c of another key", selfTLS(keySet(t, certJWK(other, der)), ""), "jwks holds an x5c whose certificate is not for the key"},
		{"self-signed x5c that is not DER", selfTLS(keySet(t, map[string]any{"kty": "EC", "crv": "P-256", "x": publicJWK(k)["x"], "y": publicJWK(k)["y"],
			"x5c": []string{base64.StdEncoding.EncodeToString([]byte("not a certificate"))}}), ""), ""},
		{"self-signed with jwks and jwks_uri", selfTLS(keySet(t, certJWK(k, der)), "https://client.example/jwks"), both},
		{"self-signed jwks_uri over http", selfTLS(nil, "http://keys.example/jwks"), https},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, st := newRegistry(t)
			if tc.m.ClientID == "" {
				tc.m.ClientID = "c"
			}
			_, err := r.Create(t.Context(), tc.m)
			wantOAuthError(t, err, invalidMetadata, tc.desc)
			if _, err := st.GetClient(t.Context(), tc.m.ClientID); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("GetClient after a refusal = %v; want ErrNotFound", err)
			}
		})
	}
}

// TestCreateAccepted: the valid registrations of each kind.
func TestCreateAccepted(t *testing.T) {
	k := newKey(t)
	der := selfSigned(t, k)
	for _, tc := range []struct {
		name string
		m    clients.Metadata
	}{
		{"client_id of 255 visible characters", clients.Metadata{ClientID: strings.Repeat("~", 255)}},
		{"every known grant type", clients.Metadata{GrantTypes: []string{oauth.GrantAuthorizationCode, oauth.GrantPreAuthorizedCode,
			oauth.GrantRefreshToken, oauth.GrantClientCredentials, oauth.GrantPassword, oauth.GrantUMATicket}}},
		{"redirect URIs of each allowed kind", clients.Metadata{RedirectURIs: []string{"https://wallet.example/cb", "http://127.0.0.1:8080/cb", "com.example.wallet:/cb"}}},
		{"private_key_jwt with jwks", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKS: keySet(t, publicJWK(k))}},
		{"private_key_jwt with an https jwks_uri", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKSURI: "https://client.example/jwks"}},
		{"jwks_uri over http on 127.0.0.1", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKSURI: "http://127.0.0.1:9000/jwks"}},
		{"jwks_uri over http on localhost", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKSURI: "http://localhost/jwks"}},
		{"jwks_uri over http on ::1", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthPrivateKeyJWT, JWKSURI: "http://[::1]:9000/jwks"}},
		{"tls_client_auth by subject DN", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthTLSClientAuth, ClientTLS: storage.ClientTLS{SubjectDN: "CN=backend,O=Example"}}},
		{"tls_client_auth by IPv6", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthTLSClientAuth, ClientTLS: storage.ClientTLS{SANIP: "2001:db8::1"}}},
		{"tls_client_auth by URI", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthTLSClientAuth, ClientTLS: storage.ClientTLS{SANURI: "spiffe://example.com/a"}}},
		{"self_signed_tls_client_auth with a certificate", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthSelfSignedTLSClientAuth, JWKS: keySet(t, publicJWK(newKey(t)), certJWK(k, der))}},
		{"self_signed_tls_client_auth with jwks_uri", clients.Metadata{TokenEndpointAuthMethod: oauth.AuthSelfSignedTLSClientAuth, JWKSURI: "https://client.example/jwks"}},
		{"certificate-bound tokens of a secret client", clients.Metadata{ClientTLS: storage.ClientTLS{CertificateBoundAccessTokens: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, st := newRegistry(t)
			m, err := r.Create(t.Context(), tc.m)
			if err != nil {
				t.Fatalf("Create = %v", err)
			}
			c, err := st.GetClient(t.Context(), m.ClientID)
			if err != nil || c.AuthMethod != m.TokenEndpointAuthMethod || c.JWKSURI != tc.m.JWKSURI || c.ClientTLS != tc.m.ClientTLS ||
				!slices.Equal(c.RedirectURIs, tc.m.RedirectURIs) {
				t.Errorf("stored = %+v, %v; want the registration", c, err)
			}
		})
	}
}

func TestCreateGetDelete(t *testing.T) {
	r, _ := newRegistry(t)
	m, err := r.Create(t.Context(), clients.Metadata{ClientID: "c", TokenEndpointAuthMethod: oauth.AuthNone, DPoPBoundAccessTokens: true, Scope: "pid"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Create(t.Context(), clients.Metadata{ClientID: "c", TokenEndpointAuthMethod: oauth.AuthNone})
	wantOAuthError(t, err, invalidMetadata, "the client_id is already registered")
	if got, err := r.Get(t.Context(), "c"); err != nil || got.Scope != "pid" || !got.DPoPBoundAccessTokens || got.ClientSecretExpiresAt != nil || got.ClientID != m.ClientID {
		t.Fatalf("Get = %+v, %v; want the first registration", got, err)
	}
	_, err = r.Get(t.Context(), "nobody")
	wantOAuthError(t, err, oauth.CodeNotFound, "the client doesn't exist")
	if err := r.Delete(t.Context(), "c"); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	_, err = r.Get(t.Context(), "c")
	wantOAuthError(t, err, oauth.CodeNotFound, "the client doesn't exist")
	wantOAuthError(t, r.Delete(t.Context(), "c"), oauth.CodeNotFound, "the client doesn't exist")
}

func TestValidClientID(t *testing.T) {
	for id, want := range map[string]bool{
		"c": true, "https://wallet.example/app": true, "org:wallet": true, strings.Repeat("x", 255): true, "!~": true,
		"": false, strings.Repeat("x", 256): false, "a b": false, "tab\t": false, "é": false, "nul\x00": false, "del\x7f": false,
	} {
		if got := clients.ValidClientID(id); got != want {
			t.Errorf("ValidClientID(%q) = %t; want %t", id, got, want)
		}
	}
}
