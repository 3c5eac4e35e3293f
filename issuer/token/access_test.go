package token_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
)

var pidDetails = []oauth.AuthorizationDetail{{Type: "openid_credential", CredentialConfigurationID: "pid"}}

// TestAccessClaims covers JWTAT-01..04, JWTAT-08, BCP-14 and VCI-46: the
// header is ES256 at+jwt with the key's kid; iss and aud are the issuer
// (one audience, never the client); the grant's subject, client, scope,
// details and UMA permissions are claimed and recorded alike.
func TestAccessClaims(t *testing.T) {
	m := newMinter(t, nil, nil)
	perms := []storage.UMAPermission{{ResourceID: "r1", Scopes: []string{"read"}}}
	g := token.Grant{Subject: "user-1", ClientID: "client-1", Scope: "openid pid", GrantID: "g-1",
		Details: pidDetails, Permissions: perms, AuthTime: t0.Add(-time.Minute)}
	tok, rec, err := m.Access(g, oauth.Binding{JKT: "jkt-1"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	h, raw := jwtParts(t, tok)
	if h["typ"] != "at+jwt" || h["alg"] != "ES256" || h["kid"] == nil || len(h) != 3 {
		t.Errorf("header = %v; want exactly alg ES256, typ at+jwt and the kid", h)
	}
	if aud, ok := raw["aud"].(string); !ok || aud != testIssuer {
		t.Errorf("aud = %#v; want the string %q (JWTAT-09: never the client_id)", raw["aud"], testIssuer)
	}
	c := accessClaims(t, tok)
	if c.Iss != testIssuer || c.Sub != "user-1" || c.ClientID != "client-1" || c.Scope != "openid pid" {
		t.Errorf("iss, sub, client_id, scope = %q, %q, %q, %q", c.Iss, c.Sub, c.ClientID, c.Scope)
	}
	if c.Iat != t0.Unix() || c.Exp != t0.Add(time.Hour).Unix() || c.Jti == "" {
		t.Errorf("iat, exp, jti = %d, %d, %q; want %d, %d and an ID", c.Iat, c.Exp, c.Jti, t0.Unix(), t0.Add(time.Hour).Unix())
	}
	var details []oauth.AuthorizationDetail
	if err := json.Unmarshal(c.AuthorizationDetails, &details); err != nil || !reflect.DeepEqual(details, pidDetails) {
		t.Errorf("authorization_details = %s (%v); want %v", c.AuthorizationDetails, err, pidDetails)
	}
	if !reflect.DeepEqual(c.Permissions, perms) {
		t.Errorf("permissions = %v; want %v", c.Permissions, perms)
	}

	want := storage.Token{
		ID: c.Jti, Kind: token.KindAccess, Subject: "user-1", ClientID: "client-1", Scope: "openid pid",
		GrantID: "g-1", AuthorizationDetails: c.AuthorizationDetails, Permissions: perms,
		IssuedAt: t0, ExpiresAt: t0.Add(time.Hour), JKT: "jkt-1",
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("record =\n%+v\nwant\n%+v", rec, want)
	}

	// A second token of the same grant is another token (RFC 9068 jti).
	tok2, rec2, err := m.Access(g, oauth.Binding{JKT: "jkt-1"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == tok || rec2.ID == rec.ID {
		t.Error("two access tokens share a token or a jti")
	}
}

// TestAccessOptionalClaims: an anonymous pre-authorized wallet's token has
// no client_id (VCI-46, INT-09, the README's RFC 9068 deviation: never a
// fake one); a grant without details or permissions claims none.
func TestAccessOptionalClaims(t *testing.T) {
	m := newMinter(t, nil, nil)
	tok, rec, err := m.Access(token.Grant{Subject: "offer-sub"}, oauth.Binding{JKT: "j"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	_, raw := jwtParts(t, tok)
	for _, name := range []string{"client_id", "scope", "authorization_details", "permissions"} {
		if v, ok := raw[name]; ok {
			t.Errorf("claim %s = %v; want absent", name, v)
		}
	}
	if rec.ClientID != "" || rec.AuthorizationDetails != nil {
		t.Errorf("record client %q, details %s; want none", rec.ClientID, rec.AuthorizationDetails)
	}
}

// TestAccessBinding covers each binding: a DPoP key gives cnf.jkt
// (DPOP-26, JWTAT-08), a client certificate cnf.x5t#S256 (RFC 8705 §3.1),
// both give both; an unbound token is a Bearer token of at most five
// minutes (VCI-58) whatever the configured life, a bound one lives the
// configured life. A wallet instance alone does not bind an access token.
func TestAccessBinding(t *testing.T) {
	for _, tc := range []struct {
		name      string
		accessTTL time.Duration
		b         oauth.Binding
		cnf       map[string]any
		ttl       time.Duration
	}{
		{"DPoP", time.Hour, oauth.Binding{JKT: "jkt"}, map[string]any{"jkt": "jkt"}, time.Hour},
		{"certificate", time.Hour, oauth.Binding{X5T: "x5t"}, map[string]any{"x5t#S256": "x5t"}, time.Hour},
		{"DPoP and certificate", time.Hour, oauth.Binding{JKT: "jkt", X5T: "x5t"}, map[string]any{"jkt": "jkt", "x5t#S256": "x5t"}, time.Hour},
		{"VCI-58 none: capped", time.Hour, oauth.Binding{}, nil, 5 * time.Minute},
		{"VCI-58 wallet instance only: capped", time.Hour, oauth.Binding{Instance: "inst"}, nil, 5 * time.Minute},
		{"none, shorter than the cap: not lengthened", 2 * time.Minute, oauth.Binding{}, nil, 2 * time.Minute},
		{"DPoP, shorter than the cap", 2 * time.Minute, oauth.Binding{JKT: "jkt"}, map[string]any{"jkt": "jkt"}, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMinter(t, nil, func(c *token.Config) { c.AccessTTL = tc.accessTTL })
			tok, rec, err := m.Access(token.Grant{Subject: "s", ClientID: "c"}, tc.b, t0)
			if err != nil {
				t.Fatal(err)
			}
			_, raw := jwtParts(t, tok)
			if tc.cnf == nil {
				if v, ok := raw["cnf"]; ok {
					t.Errorf("cnf = %v; want none on an unbound token", v)
				}
			} else if !reflect.DeepEqual(raw["cnf"], tc.cnf) {
				t.Errorf("cnf = %v; want %v", raw["cnf"], tc.cnf)
			}
			if exp, _ := raw["exp"].(float64); int64(exp) != t0.Add(tc.ttl).Unix() {
				t.Errorf("exp = iat + %v; want iat + %v", time.Unix(int64(exp), 0).Sub(t0), tc.ttl)
			}
			if rec.JKT != tc.b.JKT || rec.X5T != tc.b.X5T || !rec.ExpiresAt.Equal(t0.Add(tc.ttl)) {
				t.Errorf("record jkt %q, x5t %q, expires %v; want %q, %q, %v", rec.JKT, rec.X5T, rec.ExpiresAt, tc.b.JKT, tc.b.X5T, t0.Add(tc.ttl))
			}
			if !reflect.DeepEqual(token.Confirmation(rec), cnfOf(tc.cnf)) {
				t.Errorf("Confirmation(record) = %+v; want %+v", token.Confirmation(rec), cnfOf(tc.cnf))
			}
		})
	}
}

func cnfOf(m map[string]any) *token.Cnf {
	if m == nil {
		return nil
	}
	jkt, _ := m["jkt"].(string)
	x5t, _ := m["x5t#S256"].(string)
	return &token.Cnf{JKT: jkt, X5T: x5t}
}

// TestAccessTimesAreUTCSeconds: the record's times are the claims' whole
// seconds in UTC, whatever the zone and sub-second part of now, so that
// expiry checks on the record and on the JWT agree.
func TestAccessTimesAreUTCSeconds(t *testing.T) {
	m := newMinter(t, nil, nil)
	now := t0.Add(700 * time.Millisecond).In(time.FixedZone("X", 3600))
	tok, rec, err := m.Access(token.Grant{Subject: "s"}, oauth.Binding{JKT: "j"}, now)
	if err != nil {
		t.Fatal(err)
	}
	c := accessClaims(t, tok)
	if rec.IssuedAt != time.Unix(c.Iat, 0).UTC() || rec.ExpiresAt != time.Unix(c.Exp, 0).UTC() {
		t.Errorf("record %v..%v; want the claims' %d..%d in UTC", rec.IssuedAt, rec.ExpiresAt, c.Iat, c.Exp)
	}
}
