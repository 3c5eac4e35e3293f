package web_test

// HTTP tests of the UMA 2.0 grant (checklist §4.15, UMA-01..03): the admin
// API for resources, grants and owner decisions, the permission endpoint
// (UMA Federated Authorization §4) and the uma-ticket grant at /token.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"issuer/issuer/oauth"
)

const (
	umaJWTFormat = "urn:ietf:params:oauth:token-type:jwt"
	umaPassword  = "correct horse"
)

// umaPerm is one requested or granted permission.
type umaPerm struct {
	ResourceID     string   `json:"resource_id"`
	ResourceScopes []string `json:"resource_scopes"`
}

// umaEnv is a server with a resource server, requesting clients and users.
type umaEnv struct {
	ts      *testServer
	rs      registeredClient // resource server (client_secret_basic)
	rs2     registeredClient // another resource server
	client  registeredClient // confidential requesting client with the UMA grant
	public  registeredClient // public requesting client with the UMA grant
	noGrant registeredClient // confidential client without the UMA grant
	pw      registeredClient // password-grant client, for claim tokens
	w       *wallet
}

func umaNewEnv(t *testing.T) *umaEnv {
	t.Helper()
	ts := newTestServer(t)
	e := &umaEnv{ts: ts, w: newWallet(t)}
	e.rs = ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{oauth.GrantClientCredentials}})
	e.rs2 = ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{oauth.GrantClientCredentials}})
	e.client = ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{oauth.GrantUMATicket}})
	e.public = ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "none", "grant_types": []string{oauth.GrantUMATicket}})
	e.noGrant = ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{oauth.GrantPassword}})
	e.pw = ts.registerClient(t, map[string]any{"token_endpoint_auth_method": "client_secret_basic", "grant_types": []string{oauth.GrantPassword}})
	for _, u := range []string{"alice", "bob", "carol"} {
		umaUser(t, ts, u)
	}
	return e
}

// umaUser creates a user with umaPassword.
func umaUser(t testing.TB, ts *testServer, username string) {
	t.Helper()
	res := ts.admin(t, http.MethodPost, "/admin/users", map[string]any{"username": username, "password": umaPassword})
	if body := readBody(t, res); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/users %s = %d %s; want 201", username, res.StatusCode, body)
	}
}

// umaAdminJSON asserts the status of an admin response and decodes its body.
func umaAdminJSON(t testing.TB, res *http.Response, status int) map[string]any {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != status {
		t.Fatalf("%s %s = %d %s; want %d", res.Request.Method, res.Request.URL.Path, res.StatusCode, body, status)
	}
	var m map[string]any
	if status != http.StatusNoContent {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s %s body %q: %v", res.Request.Method, res.Request.URL.Path, body, err)
		}
	}
	return m
}

// umaResource registers a resource of alice at rs and returns its id.
func (e *umaEnv) umaResource(t testing.TB, rs registeredClient, scopes []string, askOwner bool) string {
	t.Helper()
	m := umaAdminJSON(t, e.ts.admin(t, http.MethodPost, "/admin/uma/resources", map[string]any{
		"resource_server": rs.ID, "owner": "alice", "name": "photos", "resource_scopes": scopes, "ask_owner": askOwner,
	}), http.StatusCreated)
	id, _ := m["id"].(string)
	if id == "" {
		t.Fatalf("POST /admin/uma/resources = %v; want an id", m)
	}
	return id
}

// umaGrant adds a grant to a resource and asserts 201.
func (e *umaEnv) umaGrant(t testing.TB, resourceID string, body map[string]any) {
	t.Helper()
	res := e.ts.admin(t, http.MethodPost, "/admin/uma/resources/"+resourceID+"/grants", body)
	if b := readBody(t, res); res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/uma/resources/%s/grants %v = %d %s; want 201", resourceID, body, res.StatusCode, b)
	}
}

// umaGet returns GET /admin/uma/resources/{id}.
func (e *umaEnv) umaGet(t testing.TB, resourceID string) map[string]any {
	t.Helper()
	return umaAdminJSON(t, e.ts.admin(t, http.MethodGet, "/admin/uma/resources/"+resourceID, nil), http.StatusOK)
}

// umaPermissionRaw posts body to /uma/permission with the given
// Authorization header ("" for none).
func (e *umaEnv) umaPermissionRaw(t testing.TB, auth, body string) *http.Response {
	t.Helper()
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	return sendRaw(t, http.MethodPost, e.ts.URL+"/uma/permission", "application/json", strings.NewReader(body), h)
}

// umaPermission posts v as JSON, authenticated as rs.
func (e *umaEnv) umaPermission(t testing.TB, rs registeredClient, v any) *http.Response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return e.umaPermissionRaw(t, basicAuth(rs.ID, rs.Secret), string(b))
}

// umaTicket asks e.rs for a ticket for perms and returns it.
func (e *umaEnv) umaTicket(t testing.TB, perms ...umaPerm) string {
	t.Helper()
	var v any = perms
	if len(perms) == 1 {
		v = perms[0]
	}
	return umaWantTicket(t, e.umaPermission(t, e.rs, v))
}

// umaWantTicket asserts a 201 permission response and returns its ticket.
func umaWantTicket(t testing.TB, res *http.Response) string {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /uma/permission = %d %s; want 201", res.StatusCode, body)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("POST /uma/permission Cache-Control = %q; want no-store", got)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("POST /uma/permission Content-Type = %q; want application/json", ct)
	}
	var m struct {
		Ticket string `json:"ticket"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Ticket == "" {
		t.Fatalf("POST /uma/permission body %s; want a ticket", body)
	}
	return m.Ticket
}

// umaToken sends an uma-ticket token request as c (Basic for a client with a
// secret, client_id for a public one, anonymous for the zero client) with a
// fresh DPoP proof of w. extra is merged into the form.
func (e *umaEnv) umaToken(t testing.TB, c registeredClient, w *wallet, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"grant_type": {oauth.GrantUMATicket}}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string][]string{"DPoP": {e.ts.freshProof(t, w)}}
	switch {
	case c.Secret != "":
		h["Authorization"] = []string{basicAuth(c.ID, c.Secret)}
	case c.ID != "":
		form.Set("client_id", c.ID)
	}
	return e.ts.post(t, "/token", form, h)
}

// umaRedeem redeems ticket as e.client with e.w.
func (e *umaEnv) umaRedeem(t testing.TB, ticket string, extra url.Values) *http.Response {
	t.Helper()
	form := url.Values{"ticket": {ticket}}
	for k, v := range extra {
		form[k] = v
	}
	return e.umaToken(t, e.client, e.w, form)
}

// umaPerms decodes a "permissions" member.
func umaPerms(t testing.TB, v any) []umaPerm {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []umaPerm
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("permissions %s: %v", b, err)
	}
	return out
}

// umaWantRPT asserts a 200 RPT response (UMA-02) bound to w whose
// permissions are want, and returns the access token.
func umaWantRPT(t testing.TB, res *http.Response, w *wallet, want []umaPerm) string {
	t.Helper()
	body := readBody(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token response = %d %s; want 200", res.StatusCode, body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", res.Header.Get("Cache-Control"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m["token_type"] != "DPoP" {
		t.Errorf("token_type = %v; want DPoP", m["token_type"])
	}
	if up, ok := m["upgraded"]; !ok || up != false {
		t.Errorf("upgraded = %v (present %v); want false", up, ok)
	}
	if _, ok := m["refresh_token"]; ok {
		t.Errorf("response has a refresh_token: %s", body)
	}
	at, _ := m["access_token"].(string)
	if at == "" {
		t.Fatalf("response %s has no access_token", body)
	}
	_, claims := jwtParts(t, at)
	if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != w.JKT {
		t.Errorf("cnf = %v; want jkt %s", claims["cnf"], w.JKT)
	}
	if got := umaPerms(t, claims["permissions"]); !reflect.DeepEqual(got, want) {
		t.Errorf("permissions = %+v; want %+v", got, want)
	}
	return at
}

// umaWant403 asserts a 403 UMA error with the no-store headers and returns
// the body.
func umaWant403(t testing.TB, res *http.Response, code string) map[string]any {
	t.Helper()
	body := readBody(t, res)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("403 body %q is not JSON: %v", body, err)
	}
	if res.StatusCode != http.StatusForbidden || m["error"] != code {
		t.Fatalf("response = %d %s; want 403 with error %q", res.StatusCode, body, code)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	return m
}

// umaClaimToken signs username in through the password grant and returns
// the access token.
func (e *umaEnv) umaClaimToken(t testing.TB, username string) string {
	t.Helper()
	res := e.ts.signIn(t, e.pw, newWallet(t), username, umaPassword)
	body := readBody(t, res)
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &m); err != nil || res.StatusCode != http.StatusOK || m.AccessToken == "" {
		t.Fatalf("password grant for %s = %d %s; want 200", username, res.StatusCode, body)
	}
	return m.AccessToken
}

func umaClaim(tok string) url.Values {
	return url.Values{"claim_token": {tok}, "claim_token_format": {umaJWTFormat}}
}

// TestUMAAdmin covers the resource, grant and decision admin API.
func TestUMAAdmin(t *testing.T) {
	e := umaNewEnv(t)
	ts := e.ts

	t.Run("create resource", func(t *testing.T) {
		m := umaAdminJSON(t, ts.admin(t, http.MethodPost, "/admin/uma/resources", map[string]any{
			"resource_server": e.rs.ID, "owner": "alice", "name": "photos", "resource_scopes": []string{"view", "edit"}, "ask_owner": false,
		}), http.StatusCreated)
		if id, _ := m["id"].(string); id == "" {
			t.Errorf("id = %v; want one", m["id"])
		}
		if m["resource_server"] != e.rs.ID || m["owner"] != "alice" || m["name"] != "photos" ||
			!slices.Equal(slices.Sorted(slices.Values(stringList(m["resource_scopes"]))), []string{"edit", "view"}) || m["ask_owner"] == true {
			t.Errorf("resource = %v; want the fields echoed", m)
		}
	})
	for _, tt := range []struct {
		name string
		body map[string]any
	}{
		{"unknown resource server", map[string]any{"resource_server": "nobody", "owner": "alice", "name": "x", "resource_scopes": []string{"view"}}},
		{"public client as resource server", map[string]any{"resource_server": e.public.ID, "owner": "alice", "name": "x", "resource_scopes": []string{"view"}}},
		{"unknown owner", map[string]any{"resource_server": e.rs.ID, "owner": "mallory", "name": "x", "resource_scopes": []string{"view"}}},
		{"empty scopes", map[string]any{"resource_server": e.rs.ID, "owner": "alice", "name": "x", "resource_scopes": []string{}}},
		{"no scopes", map[string]any{"resource_server": e.rs.ID, "owner": "alice", "name": "x"}},
		{"unknown field", map[string]any{"resource_server": e.rs.ID, "owner": "alice", "name": "x", "resource_scopes": []string{"view"}, "icon_uri": "x"}},
	} {
		t.Run("create resource: "+tt.name, func(t *testing.T) {
			wantError(t, ts.admin(t, http.MethodPost, "/admin/uma/resources", tt.body), 400, "invalid_request")
		})
	}

	id := e.umaResource(t, e.rs, []string{"view", "edit"}, false)
	t.Run("grants", func(t *testing.T) {
		e.umaGrant(t, id, map[string]any{"client_id": e.client.ID, "scopes": []string{"view"}})
		e.umaGrant(t, id, map[string]any{"requesting_party": "bob", "scopes": []string{"view", "edit"}})
		m := e.umaGet(t, id)
		if grants, _ := m["grants"].([]any); len(grants) != 2 {
			t.Errorf("grants = %v; want 2", m["grants"])
		}
		if _, ok := m["requests"]; !ok {
			t.Errorf("resource %v has no requests member", m)
		} else if reqs, _ := m["requests"].([]any); len(reqs) != 0 {
			t.Errorf("requests = %v; want none pending", m["requests"])
		}
	})
	for _, tt := range []struct {
		name string
		body map[string]any
	}{
		{"both client and requesting party", map[string]any{"client_id": e.client.ID, "requesting_party": "bob", "scopes": []string{"view"}}},
		{"neither client nor requesting party", map[string]any{"scopes": []string{"view"}}},
		{"unknown client", map[string]any{"client_id": "nobody", "scopes": []string{"view"}}},
		{"unknown requesting party", map[string]any{"requesting_party": "mallory", "scopes": []string{"view"}}},
		{"scope outside the resource", map[string]any{"client_id": e.client.ID, "scopes": []string{"view", "delete"}}},
	} {
		t.Run("grant: "+tt.name, func(t *testing.T) {
			wantError(t, ts.admin(t, http.MethodPost, "/admin/uma/resources/"+id+"/grants", tt.body), 400, "invalid_request")
		})
	}
	t.Run("grant: unknown resource", func(t *testing.T) {
		wantError(t, ts.admin(t, http.MethodPost, "/admin/uma/resources/nope/grants",
			map[string]any{"client_id": e.client.ID, "scopes": []string{"view"}}), 404, "not_found")
	})
	t.Run("get unknown resource", func(t *testing.T) {
		wantError(t, ts.admin(t, http.MethodGet, "/admin/uma/resources/nope", nil), 404, "not_found")
	})
	for _, path := range []string{
		"/admin/uma/resources/" + id + "/requests/nope/approve",
		"/admin/uma/resources/" + id + "/requests/nope/deny",
		"/admin/uma/resources/nope/requests/nope/approve",
		"/admin/uma/resources/nope/requests/nope/deny",
	} {
		t.Run("decision on unknown "+path, func(t *testing.T) {
			res := ts.admin(t, http.MethodPost, path, nil)
			if body := readBody(t, res); res.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s = %d %s; want 404", path, res.StatusCode, body)
			}
		})
	}
}

// TestUMAPermission covers the permission endpoint.
func TestUMAPermission(t *testing.T) {
	e := umaNewEnv(t)
	id := e.umaResource(t, e.rs, []string{"view", "edit"}, false)
	id2 := e.umaResource(t, e.rs, []string{"read"}, false)
	other := e.umaResource(t, e.rs2, []string{"view"}, false)
	rsAuth := basicAuth(e.rs.ID, e.rs.Secret)

	t.Run("one permission", func(t *testing.T) {
		umaWantTicket(t, e.umaPermission(t, e.rs, umaPerm{id, []string{"view"}}))
	})
	t.Run("array of permissions", func(t *testing.T) {
		umaWantTicket(t, e.umaPermission(t, e.rs, []umaPerm{{id, []string{"view", "edit"}}, {id2, []string{"read"}}}))
	})
	t.Run("tickets differ", func(t *testing.T) {
		a, b := e.umaTicket(t, umaPerm{id, []string{"view"}}), e.umaTicket(t, umaPerm{id, []string{"view"}})
		if a == b {
			t.Errorf("two tickets are both %q", a)
		}
	})
	good := `{"resource_id":"` + id + `","resource_scopes":["view"]}`
	for _, tt := range []struct {
		name, auth, body string
		status           int
		code             string
	}{
		{"no Authorization", "", good, 401, "invalid_client"},
		{"wrong secret", basicAuth(e.rs.ID, e.rs.Secret+"x"), good, 401, "invalid_client"},
		{"unknown client", basicAuth("nobody", e.rs.Secret), good, 401, "invalid_client"},
		{"unknown resource", rsAuth, `{"resource_id":"nope","resource_scopes":["view"]}`, 400, "invalid_resource_id"},
		{"resource of another resource server", rsAuth, `{"resource_id":"` + other + `","resource_scopes":["view"]}`, 400, "invalid_resource_id"},
		{"resource of this server asked by another", basicAuth(e.rs2.ID, e.rs2.Secret), good, 400, "invalid_resource_id"},
		{"one unknown resource in an array", rsAuth, `[` + good + `,{"resource_id":"nope","resource_scopes":["view"]}]`, 400, "invalid_resource_id"},
		{"scope not registered", rsAuth, `{"resource_id":"` + id + `","resource_scopes":["delete"]}`, 400, "invalid_scope"},
		{"scope of another resource", rsAuth, `{"resource_id":"` + id + `","resource_scopes":["read"]}`, 400, "invalid_scope"},
		{"not JSON", rsAuth, `resource_id=` + id, 400, "invalid_request"},
		{"empty array", rsAuth, `[]`, 400, "invalid_request"},
		{"missing resource_id", rsAuth, `{"resource_scopes":["view"]}`, 400, "invalid_request"},
		{"missing resource_id in an array", rsAuth, `[` + good + `,{"resource_scopes":["view"]}]`, 400, "invalid_request"},
		{"a string", rsAuth, `"` + id + `"`, 400, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.umaPermissionRaw(t, tt.auth, tt.body), tt.status, tt.code)
		})
	}
	t.Run("GET", func(t *testing.T) {
		res := sendRaw(t, http.MethodGet, e.ts.URL+"/uma/permission", "", nil, http.Header{"Authorization": {rsAuth}})
		if body := readBody(t, res); res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /uma/permission = %d %s; want 405", res.StatusCode, body)
		}
	})
}

// TestUMATokenRequest covers request validation at /token (UMA-01, UMA-03).
func TestUMATokenRequest(t *testing.T) {
	e := umaNewEnv(t)
	id := e.umaResource(t, e.rs, []string{"view", "edit"}, false)
	e.umaGrant(t, id, map[string]any{"client_id": e.client.ID, "scopes": []string{"view", "edit"}})
	e.umaGrant(t, id, map[string]any{"client_id": e.noGrant.ID, "scopes": []string{"view", "edit"}})
	ticket := func() string { return e.umaTicket(t, umaPerm{id, []string{"view"}}) }

	for _, tt := range []struct {
		name   string
		client registeredClient
		form   func() url.Values
		status int
		code   string
	}{
		{"UMA-01 ticket missing", e.client, func() url.Values { return url.Values{} }, 400, "invalid_request"},
		{"UMA-01 empty ticket", e.client, func() url.Values { return url.Values{"ticket": {""}} }, 400, "invalid_request"},
		{"UMA-01 claim_token without claim_token_format", e.client, func() url.Values {
			return url.Values{"ticket": {ticket()}, "claim_token": {e.umaClaimToken(t, "bob")}}
		}, 400, "invalid_request"},
		{"UMA-01 claim_token_format without claim_token", e.client, func() url.Values {
			return url.Values{"ticket": {ticket()}, "claim_token_format": {umaJWTFormat}}
		}, 400, "invalid_request"},
		{"UMA-01 unsupported claim_token_format", e.client, func() url.Values {
			return url.Values{"ticket": {ticket()}, "claim_token": {e.umaClaimToken(t, "bob")}, "claim_token_format": {"http://openid.net/specs/openid-connect-core-1_0.html#IDToken"}}
		}, 400, "invalid_request"},
		{"UMA-03 unknown ticket", e.client, func() url.Values { return url.Values{"ticket": {"no-such-ticket"}} }, 400, "invalid_grant"},
		{"UMA-03 scope outside the resource", e.client, func() url.Values {
			return url.Values{"ticket": {ticket()}, "scope": {"delete"}}
		}, 400, "invalid_scope"},
		{"UMA-03 scope of the resource outside the ticket", e.client, func() url.Values {
			return url.Values{"ticket": {ticket()}, "scope": {"edit"}}
		}, 400, "invalid_scope"},
		{"client not registered for the grant", e.noGrant, func() url.Values { return url.Values{"ticket": {ticket()}} }, 400, "unauthorized_client"},
		{"anonymous", registeredClient{}, func() url.Values { return url.Values{"ticket": {ticket()}} }, 401, "invalid_client"},
		{"wrong client secret", registeredClient{ID: e.client.ID, Secret: e.client.Secret + "x"}, func() url.Values { return url.Values{"ticket": {ticket()}} }, 401, "invalid_client"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, e.umaToken(t, tt.client, e.w, tt.form()), tt.status, tt.code)
		})
	}
	t.Run("no DPoP proof", func(t *testing.T) {
		form := url.Values{"grant_type": {oauth.GrantUMATicket}, "ticket": {ticket()}}
		wantError(t, e.ts.post(t, "/token", form, map[string][]string{"Authorization": {basicAuth(e.client.ID, e.client.Secret)}}), 400, "invalid_request")
	})
	t.Run("UMA-03 expired ticket", func(t *testing.T) {
		tk := ticket()
		e.ts.Clock.Advance(6 * time.Minute)
		proof := proofAt(t, e.w, http.MethodPost, e.ts.TokenURL(), e.ts.Clock.Now())
		form := url.Values{"grant_type": {oauth.GrantUMATicket}, "ticket": {tk}}
		wantError(t, e.ts.post(t, "/token", form, map[string][]string{"Authorization": {basicAuth(e.client.ID, e.client.Secret)}, "DPoP": {proof}}), 400, "invalid_grant")
	})
	t.Run("ticket still valid after 4 minutes", func(t *testing.T) {
		tk := ticket()
		e.ts.Clock.Advance(4 * time.Minute)
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"view"}}})
	})
}

// TestUMAGranted covers RPT issuance for a client grant (UMA-02).
func TestUMAGranted(t *testing.T) {
	e := umaNewEnv(t)
	id := e.umaResource(t, e.rs, []string{"view", "edit", "delete"}, false)
	e.umaGrant(t, id, map[string]any{"client_id": e.client.ID, "scopes": []string{"view", "edit"}})
	e.umaGrant(t, id, map[string]any{"client_id": e.public.ID, "scopes": []string{"view"}})

	t.Run("UMA-02 RPT and single use", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"view", "edit"}})
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"view", "edit"}}})
		wantError(t, e.umaRedeem(t, tk, nil), 400, "invalid_grant")
	})
	t.Run("scopes in the order requested", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"edit", "view"}})
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"edit", "view"}}})
	})
	t.Run("only requested scopes", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"edit"}})
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"edit"}}})
	})
	t.Run("only granted scopes", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"view", "delete"}})
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"view"}}})
	})
	t.Run("scope parameter narrows", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"view", "edit"}})
		umaWantRPT(t, e.umaRedeem(t, tk, url.Values{"scope": {"view"}}), e.w, []umaPerm{{id, []string{"view"}}})
	})
	t.Run("UMA-03 scope outside the ticket", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"view"}})
		wantError(t, e.umaRedeem(t, tk, url.Values{"scope": {"view edit"}}), 400, "invalid_scope")
	})
	t.Run("public client", func(t *testing.T) {
		w := newWallet(t)
		tk := e.umaTicket(t, umaPerm{id, []string{"view", "edit"}})
		umaWantRPT(t, e.umaToken(t, e.public, w, url.Values{"ticket": {tk}}), w, []umaPerm{{id, []string{"view"}}})
	})
	t.Run("partial: two resources, one granted", func(t *testing.T) {
		ungranted := e.umaResource(t, e.rs, []string{"read"}, false)
		tk := e.umaTicket(t, umaPerm{id, []string{"view"}}, umaPerm{ungranted, []string{"read"}})
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"view"}}})
	})
	t.Run("two resources, both granted", func(t *testing.T) {
		id2 := e.umaResource(t, e.rs, []string{"read"}, false)
		e.umaGrant(t, id2, map[string]any{"client_id": e.client.ID, "scopes": []string{"read"}})
		tk := e.umaTicket(t, umaPerm{id2, []string{"read"}}, umaPerm{id, []string{"edit"}})
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id2, []string{"read"}}, {id, []string{"edit"}}})
	})
	t.Run("grant of another client does not apply", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"delete"}})
		umaWant403(t, e.umaRedeem(t, tk, nil), "request_denied")
	})
	t.Run("introspection of the RPT", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"view"}})
		rpt := umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"view"}}})
		res := e.ts.post(t, "/introspect", url.Values{"token": {rpt}}, map[string][]string{"Authorization": {basicAuth(e.rs.ID, e.rs.Secret)}})
		body := readBody(t, res)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("introspection = %d %s; want 200 JSON", res.StatusCode, body)
		}
		if m["active"] != true {
			t.Fatalf("introspection = %v; want active", m)
		}
		if got, want := umaPerms(t, m["permissions"]), []umaPerm{{id, []string{"view"}}}; !reflect.DeepEqual(got, want) {
			t.Errorf("introspection permissions = %+v; want %+v", got, want)
		}
	})
}

// TestUMAConcurrentRedemption checks that a ticket is single use even
// under concurrent redemptions: exactly one RPT.
func TestUMAConcurrentRedemption(t *testing.T) {
	e := umaNewEnv(t)
	id := e.umaResource(t, e.rs, []string{"view"}, false)
	e.umaGrant(t, id, map[string]any{"client_id": e.client.ID, "scopes": []string{"view"}})
	tk := e.umaTicket(t, umaPerm{id, []string{"view"}})
	const n = 16
	reqs := make([]*http.Request, n)
	for i := range reqs {
		form := url.Values{"grant_type": {oauth.GrantUMATicket}, "ticket": {tk}}
		r, err := http.NewRequest(http.MethodPost, e.ts.TokenURL(), strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", basicAuth(e.client.ID, e.client.Secret))
		r.Header.Set("DPoP", e.ts.freshProof(t, newWallet(t)))
		reqs[i] = r
	}
	statuses := make([]int, n)
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var m struct{ Error string }
			_ = json.NewDecoder(res.Body).Decode(&m)
			statuses[i], codes[i] = res.StatusCode, m.Error
		})
	}
	wg.Wait()
	ok := 0
	for i := range statuses {
		switch {
		case statuses[i] == http.StatusOK:
			ok++
		case statuses[i] != http.StatusBadRequest || codes[i] != "invalid_grant":
			t.Errorf("redemption %d = %d %q; want 200 or 400 invalid_grant", i, statuses[i], codes[i])
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent redemptions succeeded; want exactly 1", ok, n)
	}
}

// TestUMARequestDenied covers 403 request_denied (UMA-03).
func TestUMARequestDenied(t *testing.T) {
	e := umaNewEnv(t)
	id := e.umaResource(t, e.rs, []string{"view"}, false)
	tk := e.umaTicket(t, umaPerm{id, []string{"view"}})
	m := umaWant403(t, e.umaRedeem(t, tk, nil), "request_denied")
	if _, ok := m["ticket"]; ok {
		t.Errorf("request_denied body %v carries a ticket", m)
	}
}

// TestUMANeedInfo covers 403 need_info and claim tokens (UMA-01, UMA-03).
func TestUMANeedInfo(t *testing.T) {
	e := umaNewEnv(t)
	id := e.umaResource(t, e.rs, []string{"view", "edit"}, false)
	e.umaGrant(t, id, map[string]any{"requesting_party": "bob", "scopes": []string{"view"}})
	ticket := func() string { return e.umaTicket(t, umaPerm{id, []string{"view"}}) }

	t.Run("UMA-03 need_info then claim token", func(t *testing.T) {
		tk := ticket()
		m := umaWant403(t, e.umaRedeem(t, tk, nil), "need_info")
		if m["ticket"] != tk {
			t.Errorf("need_info ticket = %v; want %q", m["ticket"], tk)
		}
		want := []any{map[string]any{"claim_token_format": []any{umaJWTFormat}, "issuer": e.ts.URL, "name": "sub"}}
		if !reflect.DeepEqual(m["required_claims"], want) {
			t.Errorf("required_claims = %v; want %v", m["required_claims"], want)
		}
		umaWantRPT(t, e.umaRedeem(t, tk, umaClaim(e.umaClaimToken(t, "bob"))), e.w, []umaPerm{{id, []string{"view"}}})
		wantError(t, e.umaRedeem(t, tk, umaClaim(e.umaClaimToken(t, "bob"))), 400, "invalid_grant")
	})
	t.Run("claim token only requested and granted scopes", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"view", "edit"}})
		umaWantRPT(t, e.umaRedeem(t, tk, umaClaim(e.umaClaimToken(t, "bob"))), e.w, []umaPerm{{id, []string{"view"}}})
	})
	t.Run("claim token of a user without a grant", func(t *testing.T) {
		umaWant403(t, e.umaRedeem(t, ticket(), umaClaim(e.umaClaimToken(t, "carol"))), "request_denied")
	})
	t.Run("UMA-01 garbage claim token", func(t *testing.T) {
		wantError(t, e.umaRedeem(t, ticket(), umaClaim("not-a-token")), 400, "invalid_request")
	})
	t.Run("UMA-01 forged claim token", func(t *testing.T) {
		wantError(t, e.umaRedeem(t, ticket(), umaClaim(rvFlipPayloadByte(t, e.umaClaimToken(t, "bob")))), 400, "invalid_request")
	})
	t.Run("UMA-01 revoked claim token", func(t *testing.T) {
		tok := e.umaClaimToken(t, "bob")
		res := e.ts.post(t, "/revoke", url.Values{"token": {tok}}, map[string][]string{"Authorization": {basicAuth(e.pw.ID, e.pw.Secret)}})
		if body := readBody(t, res); res.StatusCode != http.StatusOK {
			t.Fatalf("revoke = %d %s; want 200", res.StatusCode, body)
		}
		wantError(t, e.umaRedeem(t, ticket(), umaClaim(tok)), 400, "invalid_request")
	})
	t.Run("UMA-01 expired claim token", func(t *testing.T) {
		tok := e.umaClaimToken(t, "bob")
		e.ts.Clock.Advance(24 * time.Hour)
		wantError(t, e.umaRedeem(t, ticket(), umaClaim(tok)), 400, "invalid_request")
	})
}

// TestUMARequestSubmitted covers ask_owner: 403 request_submitted, then the
// owner's approval or denial (UMA-03).
func TestUMARequestSubmitted(t *testing.T) {
	e := umaNewEnv(t)
	id := e.umaResource(t, e.rs, []string{"view", "edit"}, true)

	submit := func(t *testing.T, tk string) string {
		t.Helper()
		m := umaWant403(t, e.umaRedeem(t, tk, nil), "request_submitted")
		if m["ticket"] != tk {
			t.Errorf("request_submitted ticket = %v; want %q", m["ticket"], tk)
		}
		if iv, _ := m["interval"].(float64); iv != 5 {
			t.Errorf("interval = %v; want 5", m["interval"])
		}
		reqs, _ := e.umaGet(t, id)["requests"].([]any)
		if len(reqs) != 1 {
			t.Fatalf("pending requests = %v; want 1", reqs)
		}
		r, _ := reqs[0].(map[string]any)
		rid, _ := r["id"].(string)
		if rid == "" || r["client_id"] != e.client.ID || !slices.Equal(stringList(r["scopes"]), []string{"view"}) {
			t.Fatalf("pending request = %v; want an id, client %s and scopes [view]", r, e.client.ID)
		}
		return rid
	}
	decide := func(t *testing.T, rid, decision string) {
		t.Helper()
		umaAdminJSON(t, e.ts.admin(t, http.MethodPost, "/admin/uma/resources/"+id+"/requests/"+rid+"/"+decision, nil), http.StatusNoContent)
		if reqs, _ := e.umaGet(t, id)["requests"].([]any); len(reqs) != 0 {
			t.Errorf("pending requests after %s = %v; want none", decision, reqs)
		}
	}

	t.Run("UMA-03 request_submitted then approved", func(t *testing.T) {
		tk := e.umaTicket(t, umaPerm{id, []string{"view"}})
		umaWant403(t, e.umaRedeem(t, tk, nil), "request_submitted") // a poll before the decision queues no second request
		rid := submit(t, tk)
		decide(t, rid, "approve")
		umaWantRPT(t, e.umaRedeem(t, tk, nil), e.w, []umaPerm{{id, []string{"view"}}})
		wantError(t, e.umaRedeem(t, tk, nil), 400, "invalid_grant")
	})
	t.Run("UMA-03 request_submitted then denied", func(t *testing.T) {
		id := e.umaResource(t, e.rs, []string{"view"}, true)
		tk := e.umaTicket(t, umaPerm{id, []string{"view"}})
		umaWant403(t, e.umaRedeem(t, tk, nil), "request_submitted")
		reqs, _ := e.umaGet(t, id)["requests"].([]any)
		if len(reqs) != 1 {
			t.Fatalf("pending requests = %v; want 1", reqs)
		}
		r, _ := reqs[0].(map[string]any)
		rid, _ := r["id"].(string)
		umaAdminJSON(t, e.ts.admin(t, http.MethodPost, "/admin/uma/resources/"+id+"/requests/"+rid+"/deny", nil), http.StatusNoContent)
		umaWant403(t, e.umaRedeem(t, tk, nil), "request_denied")
		wantError(t, e.umaRedeem(t, tk, nil), 400, "invalid_grant")
	})
}

// TestUMAMetadata covers the UMA members of the AS metadata.
func TestUMAMetadata(t *testing.T) {
	ts := newTestServer(t)
	m, _ := getJSON(t, ts.URL+"/.well-known/oauth-authorization-server")
	if !slices.Contains(stringList(m["grant_types_supported"]), oauth.GrantUMATicket) {
		t.Errorf("grant_types_supported = %v; want %s", m["grant_types_supported"], oauth.GrantUMATicket)
	}
	if m["permission_endpoint"] != ts.URL+"/uma/permission" {
		t.Errorf("permission_endpoint = %v; want %s", m["permission_endpoint"], ts.URL+"/uma/permission")
	}
}
