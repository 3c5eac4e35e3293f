package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"issuer/issuer/oauth"
	"issuer/pkce"
	"issuer/storage/postgres/pgtest"
)

// cluster is two issuer processes on one PostgreSQL database, with the same
// public URL (node A's address, so that every redirect stays on this
// machine), reaching the database through a relay the test can cut.
type cluster struct {
	nodes [2]*child
	url   string // the common --url
	dir   string // the wallet key of the proofs
	relay *pgtest.Relay
}

// newCluster starts the two nodes; extra are flags for both.
func newCluster(t *testing.T, extra ...string) *cluster {
	t.Helper()
	dsn := pgtest.Database(t)
	relay := pgtest.NewRelay(t, dsn)
	addrA, addrB := freeAddr(t), freeAddr(t)
	cl := &cluster{url: "http://" + addrA, dir: t.TempDir(), relay: relay}
	args := append([]string{"--url", cl.url}, extra...)
	cl.nodes[0] = startChild(t, relay.DSN(dsn), addrA, args...)
	cl.nodes[1] = startChild(t, relay.DSN(dsn), addrB, args...)
	return cl
}

// node returns node i%2: requests alternate by their index.
func (cl *cluster) node(i int) *child { return cl.nodes[i%2] }

// proof returns a fresh DPoP proof for the endpoint path under the common URL.
func (cl *cluster) proof(t *testing.T, method, path string) string {
	t.Helper()
	var out strings.Builder
	if err := run(t.Context(), []string{"proof", "--key", filepath.Join(cl.dir, "wallet.json"), method, cl.url + path}, os.Getenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String())
}

// reply is a decoded JSON answer.
type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

// post sends a form (with a DPoP proof and HTTP Basic credentials when set)
// to a node; a connection failure is status 0.
func post(c *child, path string, form url.Values, proof string, basic ...string) reply {
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	return do2(req)
}

// admin sends an admin API request to a node.
func admin(t *testing.T, c *child, path string, body any) reply {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer crash-admin")
	req.Header.Set("Content-Type", "application/json")
	r := do2(req)
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("POST %s = %d %v", path, r.status, r.body)
	}
	return r
}

func do2(req *http.Request) reply {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}
	}
	defer res.Body.Close()
	r := reply{status: res.StatusCode, header: res.Header}
	_ = json.NewDecoder(res.Body).Decode(&r.body)
	return r
}

// redeemForm is a pre-authorized code token request.
func redeemForm(code string) url.Values {
	return url.Values{"grant_type": {oauth.GrantPreAuthorizedCode}, "pre-authorized_code": {code}}
}

// introspect asks node c whether tok is active, as the resource server rs.
func introspect(t *testing.T, c *child, rs [2]string, tok string) bool {
	t.Helper()
	r := post(c, "/introspect", url.Values{"token": {tok}}, "", rs[0], rs[1])
	if r.status != http.StatusOK {
		t.Fatalf("introspection = %d %v", r.status, r.body)
	}
	return r.body["active"] == true
}

// TestSeveralNodes runs two nodes on one database and alternates every
// request between them: nothing single-use is used twice across nodes,
// state written through one node is seen by the other, a node killed with
// SIGKILL under load leaves the other answering and no redemption lost or
// doubled, and a database cut under load gives clean 503s, then 200s
// again without restarting the nodes.
func TestSeveralNodes(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "issuer.yaml")
	if err := os.WriteFile(cfg, []byte("tokens:\n  rotate_refresh_tokens: true\n  refresh_grace: 0s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cl := newCluster(t, "--config", cfg)
	a, b := cl.nodes[0], cl.nodes[1]
	rs := [2]string{"rs", admin(t, a, "/admin/clients", map[string]any{"client_id": "rs", "grant_types": []string{"client_credentials"}}).str("client_secret")}

	t.Run("OneCodeRacedOnBothNodes", func(t *testing.T) {
		code := a.offer(t)
		proofs := make([]string, 64)
		for i := range proofs {
			proofs[i] = cl.proof(t, http.MethodPost, "/token")
		}
		statuses := make([]int, len(proofs))
		var wg sync.WaitGroup
		for i := range proofs {
			wg.Go(func() { statuses[i] = post(cl.node(i), "/token", redeemForm(code), proofs[i]).status })
		}
		wg.Wait()
		ok := 0
		for i, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusBadRequest:
			default:
				t.Errorf("redemption %d = %d; want 200 or 400", i, s)
			}
		}
		if ok != 1 {
			t.Errorf("%d of 64 concurrent redemptions of one code answered 200; want exactly 1", ok)
		}
	})

	t.Run("RedeemOnBReplayOnA", func(t *testing.T) {
		code := a.offer(t)
		tok := post(b, "/token", redeemForm(code), cl.proof(t, http.MethodPost, "/token"))
		if tok.status != http.StatusOK || !introspect(t, a, rs, tok.str("access_token")) {
			t.Fatalf("redemption on B = %d %v, or its token inactive on A", tok.status, tok.body)
		}
		replay := post(a, "/token", redeemForm(code), cl.proof(t, http.MethodPost, "/token"))
		if replay.status != http.StatusBadRequest || replay.str("error") != "invalid_grant" {
			t.Errorf("replay on A = %d %v; want 400 invalid_grant", replay.status, replay.body)
		}
		if introspect(t, a, rs, tok.str("access_token")) || introspect(t, b, rs, tok.str("access_token")) {
			t.Error("the token of the replayed code is still active")
		}
	})

	t.Run("ProofReplayedOnTheOtherNode", func(t *testing.T) {
		proof := cl.proof(t, http.MethodPost, "/token")
		if r := post(a, "/token", redeemForm(a.offer(t)), proof); r.status != http.StatusOK {
			t.Fatalf("redemption on A = %d %v", r.status, r.body)
		}
		code := b.offer(t)
		if r := post(b, "/token", redeemForm(code), proof); r.status != http.StatusBadRequest || r.str("error") != "invalid_dpop_proof" {
			t.Errorf("the proof replayed on B = %d %v; want 400 invalid_dpop_proof", r.status, r.body)
		}
		if r := post(b, "/token", redeemForm(code), cl.proof(t, http.MethodPost, "/token")); r.status != http.StatusOK {
			t.Errorf("the code with a fresh proof = %d %v; want 200 (the refused replay spent nothing)", r.status, r.body)
		}
	})

	t.Run("TokenOfARevokedOnB", func(t *testing.T) {
		tok := post(a, "/token", redeemForm(a.offer(t)), cl.proof(t, http.MethodPost, "/token"))
		at := tok.str("access_token")
		if !introspect(t, b, rs, at) {
			t.Fatal("a token of A is not active on B")
		}
		if r := post(b, "/revoke", url.Values{"token": {at}}, ""); r.status != http.StatusOK {
			t.Fatalf("revocation on B = %d %v", r.status, r.body)
		}
		if introspect(t, a, rs, at) {
			t.Error("a token revoked on B is still active on A")
		}
	})

	t.Run("RefreshRotationAcrossNodes", func(t *testing.T) {
		app := admin(t, a, "/admin/clients", map[string]any{"client_id": "app", "grant_types": []string{oauth.GrantPreAuthorizedCode, "refresh_token"}})
		creds := []string{"app", app.str("client_secret")}
		first := post(b, "/token", redeemForm(a.offer(t)), cl.proof(t, http.MethodPost, "/token"), creds...)
		rt1 := first.str("refresh_token")
		if rt1 == "" {
			t.Fatalf("redemption by app = %d %v; want a refresh token", first.status, first.body)
		}
		refresh := func(c *child, rt string) reply {
			return post(c, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, cl.proof(t, http.MethodPost, "/token"), creds...)
		}
		second := refresh(a, rt1)
		if second.status != http.StatusOK || second.str("refresh_token") == "" || second.str("refresh_token") == rt1 {
			t.Fatalf("refresh on A = %d %v; want a new refresh token", second.status, second.body)
		}
		if r := refresh(b, rt1); r.status != http.StatusBadRequest || r.str("error") != "invalid_grant" {
			t.Errorf("the rotated refresh token on B = %d %v; want 400 invalid_grant", r.status, r.body)
		}
		if r := refresh(b, second.str("refresh_token")); r.status != http.StatusBadRequest {
			t.Errorf("the successor after the reuse = %d %v; want 400 (the family is revoked)", r.status, r.body)
		}
		if introspect(t, a, rs, second.str("access_token")) {
			t.Error("an access token of the revoked family is active")
		}
	})

	t.Run("AuthorizationCodeFlowOverBothNodes", func(t *testing.T) { authCodeAcrossNodes(t, cl) })
	t.Run("WalletProviderAddedThroughA", func(t *testing.T) { walletProviderAcrossNodes(t, cl) })
	t.Run("DatabaseCutUnderLoad", func(t *testing.T) { databaseCut(t, cl) })
	// Last: it kills node A.
	t.Run("NodeKilledUnderLoad", func(t *testing.T) { nodeKilled(t, cl, rs) })
}

// authCodeAcrossNodes runs PAR on A, the authorization page and login on
// B, consent on A and the token request on B.
func authCodeAcrossNodes(t *testing.T, cl *cluster) {
	a, b := cl.nodes[0], cl.nodes[1]
	admin(t, a, "/admin/users", map[string]any{"username": "alice", "password": "correct horse", "claims": map[string]any{"given_name": "Alice"}})
	admin(t, b, "/admin/clients", map[string]any{"client_id": "wallet", "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code"}, "redirect_uris": []string{"https://wallet.example/cb"}})
	offer := admin(t, a, "/admin/offers", map[string]any{"credential_configuration_ids": []string{"eu.europa.ec.eudi.pid_vc_sd_jwt"}, "subject": "alice", "grants": []string{"authorization_code"}})
	state := regexp.MustCompile(`"issuer_state":"([^"]+)"`).FindStringSubmatch(mustJSON(offer.body))
	if state == nil {
		t.Fatalf("offer without issuer_state: %v", offer.body)
	}
	v := strings.Repeat("v", 43)
	par := post(a, "/par", url.Values{
		"client_id": {"wallet"}, "response_type": {"code"}, "redirect_uri": {"https://wallet.example/cb"},
		"code_challenge": {pkce.Challenge(v)}, "code_challenge_method": {"S256"}, "scope": {"openid"}, "issuer_state": {state[1]},
	}, cl.proof(t, http.MethodPost, "/par"))
	if par.status != http.StatusCreated {
		t.Fatalf("PAR on A = %d %v", par.status, par.body)
	}
	jar, _ := cookiejar.New(nil) // cookies ignore the port: one browser for both nodes
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse // the wallet's redirect URI: never followed
		}
		return nil
	}}
	csrfRE := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	page := fetch(t, browser, http.MethodGet, b.base+"/authorize?"+url.Values{"client_id": {"wallet"}, "request_uri": {par.str("request_uri")}}.Encode(), nil)
	csrf := csrfRE.FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no login form on B:\n%s", page)
	}
	page = fetch(t, browser, http.MethodPost, b.base+"/authorize/login", url.Values{"csrf_token": {csrf[1]}, "username": {"alice"}, "password": {"correct horse"}})
	if csrf = csrfRE.FindStringSubmatch(page); csrf == nil {
		t.Fatalf("no consent form after the login on B:\n%s", page)
	}
	req, _ := http.NewRequest(http.MethodPost, a.base+"/authorize/consent", strings.NewReader(url.Values{"csrf_token": {csrf[1]}, "decision": {"approve"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("consent on A = %d, Location %q; want 303 to the redirect URI with a code", res.StatusCode, res.Header.Get("Location"))
	}
	tok := post(b, "/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {"wallet"}, "redirect_uri": {"https://wallet.example/cb"},
		"code_verifier": {v}, "code": {loc.Query().Get("code")}}, cl.proof(t, http.MethodPost, "/token"))
	if tok.status != http.StatusOK || tok.str("id_token") == "" {
		t.Errorf("token request on B = %d %v; want 200 with an ID token", tok.status, tok.body)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// databaseCut redeems codes on both nodes in turn while the database is cut
// for a second: every answer is 200 or a clean 503 with Retry-After, some
// are 503, and redemptions succeed again once the database is back,
// without restarting the nodes.
func databaseCut(t *testing.T, cl *cluster) {
	codes := make([]string, 80)
	for i := range codes {
		codes[i] = cl.node(i).offer(t)
	}
	var unavailable, okAfter int
	restored := false
	for i, code := range codes {
		switch i {
		case 20:
			cl.relay.Down()
		case 40:
			cl.relay.Up()
			restored = true
		}
		r := post(cl.node(i), "/token", redeemForm(code), cl.proof(t, http.MethodPost, "/token"))
		switch {
		case r.status == http.StatusOK:
			if restored {
				okAfter++
			}
		case r.status == http.StatusServiceUnavailable && r.str("error") == "temporarily_unavailable" && r.header.Get("Retry-After") != "":
			unavailable++
		default:
			t.Errorf("redemption %d = %d %v; want 200 or 503 temporarily_unavailable with Retry-After", i, r.status, r.body)
		}
	}
	t.Logf("%d redemptions answered 503 while the database was cut, %d of 40 answered 200 after", unavailable, okAfter)
	if unavailable == 0 {
		t.Error("no 503 while the database was cut")
	}
	if okAfter < 30 {
		t.Errorf("%d of 40 redemptions succeeded after the database came back; want nearly all", okAfter)
	}
}

// nodeKilled kills node A with SIGKILL in the middle of concurrent
// redemptions on both nodes: B keeps answering, every code answered 200
// is refused afterwards, and every token answered is valid.
func nodeKilled(t *testing.T, cl *cluster, rs [2]string) {
	a, b := cl.nodes[0], cl.nodes[1]
	codes, proofs := make([]string, 60), make([]string, 60)
	for i := range codes {
		codes[i], proofs[i] = b.offer(t), cl.proof(t, http.MethodPost, "/token")
	}
	answers := make([]reply, len(codes))
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			answers[i] = post(cl.node(i), "/token", redeemForm(codes[i]), proofs[i])
			if i == len(codes)/2 {
				a.kill9(t)
			}
		})
	}
	wg.Wait()
	a.kill9(t)
	onB := 0
	for i, r := range answers {
		if i%2 == 1 && r.status == http.StatusOK {
			onB++
		}
		if r.status == http.StatusOK && !introspect(t, b, rs, r.str("access_token")) {
			t.Errorf("the token answered for code %d is not active", i)
		}
	}
	if onB != len(codes)/2 {
		t.Errorf("node B answered %d of its %d redemptions with 200; want all", onB, len(codes)/2)
	}
	for i, r := range answers {
		if r.status != http.StatusOK {
			continue
		}
		again := post(b, "/token", redeemForm(codes[i]), cl.proof(t, http.MethodPost, "/token"))
		if again.status != http.StatusBadRequest || again.str("error") != "invalid_grant" {
			t.Errorf("code %d, answered 200, redeemed again = %d %v; want 400 invalid_grant", i, again.status, again.body)
		}
	}
	if r := post(b, "/token", redeemForm(b.offer(t)), cl.proof(t, http.MethodPost, "/token")); r.status != http.StatusOK {
		t.Errorf("B after A's death = %d %v; want 200", r.status, r.body)
	}
}
