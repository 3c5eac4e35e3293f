package authz_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"issuer/issuer/authz"
	"issuer/issuer/oauth"
	"issuer/storage/memory"
)

// TestUsersCreate: the admin API's rules for a user, each refusal
// invalid_request with nothing stored; the password is kept as an
// argon2id hash and never shown.
func TestUsersCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const badName, badPassword = "username must be 1 to 255 visible ASCII characters", "password must have 8 to 1024 bytes of UTF-8"
	for _, tc := range []struct {
		name string
		req  authz.UserRequest
		desc string
	}{
		{"no username", authz.UserRequest{Password: password}, badName},
		{"username with a space", authz.UserRequest{Username: "a b", Password: password}, badName},
		{"username of 256 characters", authz.UserRequest{Username: strings.Repeat("u", 256), Password: password}, badName},
		{"username not ASCII", authz.UserRequest{Username: "zoë", Password: password}, badName},
		{"password of 7 characters", authz.UserRequest{Username: "u1", Password: "1234567"}, badPassword},
		{"password of 7 characters in 14 bytes", authz.UserRequest{Username: "u1", Password: strings.Repeat("é", 7)}, badPassword},
		{"password of 1025 bytes", authz.UserRequest{Username: "u1", Password: strings.Repeat("p", 1025)}, badPassword},
		{"password not UTF-8", authz.UserRequest{Username: "u1", Password: "password\xff"}, badPassword},
		{"claims an array", authz.UserRequest{Username: "u1", Password: password, Claims: json.RawMessage(`[]`)}, "claims must be a JSON object"},
		{"claims not JSON", authz.UserRequest{Username: "u1", Password: password, Claims: json.RawMessage(`{"a"`)}, "claims must be a JSON object"},
		{"username taken", authz.UserRequest{Username: alice, Password: "another password"}, "the username is taken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := e.Users.Create(t.Context(), tc.req)
			wantError(t, err, oauth.CodeInvalidRequest, tc.desc)
			if info.ID != "" {
				t.Errorf("Create() = %+v with the error", info)
			}
			if tc.req.Username != alice {
				if _, err := e.Users.Get(t.Context(), tc.req.Username); err == nil {
					t.Errorf("a refused user was stored")
				}
			} else if _, err := e.Users.Check(t.Context(), alice, password, "x", e.Clock.Now()); err != nil {
				t.Errorf("the taken username's password changed: %v", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		req  authz.UserRequest
	}{
		{"8 characters", authz.UserRequest{Username: "u8", Password: "12345678"}},
		{"8 characters of 2 bytes", authz.UserRequest{Username: "u8b", Password: strings.Repeat("é", 8)}},
		{"1024 bytes", authz.UserRequest{Username: "u1024", Password: strings.Repeat("p", 1024)}},
		{"255 characters", authz.UserRequest{Username: strings.Repeat("u", 255), Password: password}},
		{"null claims", authz.UserRequest{Username: "unull", Password: password, Claims: json.RawMessage(`null`)}},
		{"claims", authz.UserRequest{Username: "uclaims", Password: password, Claims: json.RawMessage(`{"given_name":"Zoë"}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := e.Users.Create(t.Context(), tc.req)
			if err != nil || info.ID == "" || info.Username != tc.req.Username {
				t.Fatalf("Create() = %+v, %v", info, err)
			}
			if want := tc.req.Claims; string(want) == "null" && info.Claims != nil || string(want) != "null" && string(info.Claims) != string(want) {
				t.Errorf("claims = %s; want %s", info.Claims, want)
			}
			u, err := e.Store.GetUser(t.Context(), tc.req.Username)
			if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(u.PasswordHash, tc.req.Password) {
				t.Errorf("stored hash %q, %v; want an argon2id PHC string", u.PasswordHash, err)
			}
			if got, err := e.Users.Get(t.Context(), tc.req.Username); err != nil || got.ID != info.ID {
				t.Errorf("Get() = %+v, %v; want %+v", got, err, info)
			}
			if _, err := e.Users.Check(t.Context(), tc.req.Username, tc.req.Password, "x", e.Clock.Now()); err != nil {
				t.Errorf("Check(the password) = %v", err)
			}
		})
	}
}

// TestUsersGetDelete: an unknown user is not_found; a deleted user is
// gone and cannot sign in.
func TestUsersGetDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.Users.Get(t.Context(), "nobody")
	wantError(t, err, oauth.CodeNotFound, "the user doesn't exist")
	wantError(t, e.Users.Delete(t.Context(), "nobody"), oauth.CodeNotFound, "the user doesn't exist")
	if err := e.Users.Delete(t.Context(), alice); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	_, err = e.Users.Get(t.Context(), alice)
	wantError(t, err, oauth.CodeNotFound, "the user doesn't exist")
	wantError(t, e.Users.Delete(t.Context(), alice), oauth.CodeNotFound, "the user doesn't exist")
	_, err = e.Users.Check(t.Context(), alice, password, "x", e.Clock.Now())
	wantError(t, err, oauth.CodeInvalidGrant, badLogin)
}

// TestUsersCheck: OA-31 / RFC 6749 §10.10. A wrong password and an
// unknown user give the same answer and count alike toward the delays;
// 20 failures from one origin over many usernames delay it; a sign-in
// that must wait is refused before its password is checked.
func TestUsersCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.Clock.Now()
	_, wrongPw := e.Users.Check(t.Context(), alice, "wrong", "o1", now)
	_, unknown := e.Users.Check(t.Context(), "mallory", password, "o1", now)
	a := wantError(t, wrongPw, oauth.CodeInvalidGrant, badLogin)
	b := wantError(t, unknown, oauth.CodeInvalidGrant, badLogin)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("wrong password %+v, unknown user %+v; want the same", a, b)
	}
	for i := range 18 {
		_, _ = e.Users.Check(t.Context(), "nobody"+strconv.Itoa(i), "wrong", "o1", now)
	}
	_, err := e.Users.Check(t.Context(), alice, password, "o1", now)
	d := wantError(t, err, oauth.CodeInvalidGrant, "too many failed sign-ins; try again in 1 second")
	if d.RetryAfter != time.Second {
		t.Errorf("retry after %v; want 1s", d.RetryAfter)
	}
	if u, err := e.Users.Check(t.Context(), alice, password, "o2", now); err != nil || u.Username != alice {
		t.Errorf("Check() from another origin = %+v, %v", u, err)
	}
	// Successes count nothing toward the origin's budget: after 25 of
	// them another user of the same origin does not wait.
	for i := range 25 {
		if _, err := e.Users.Check(t.Context(), alice, password, "o4", now); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
	if _, err := e.Users.Check(t.Context(), "mallory", "wrong", "o4", now); err == nil || err.Error() != wrongPw.Error() {
		t.Errorf("another user after 25 successes from the origin: %v; want %v", err, wrongPw)
	}
	// Unknown users are held up as known ones are: five failures of one
	// (username, origin) pair, then a wait.
	for range 5 {
		_, err := e.Users.Check(t.Context(), "mallory", "wrong", "o3", now)
		wantError(t, err, oauth.CodeInvalidGrant, badLogin)
	}
	_, err = e.Users.Check(t.Context(), "mallory", "wrong", "o3", now)
	wantError(t, err, oauth.CodeInvalidGrant, "too many failed sign-ins; try again in 1 second")
}

// TestDefaultHashing: without WithHashing, and with its zero value, new
// hashes cost the OWASP minimum (19 MiB, two passes), and check.
func TestDefaultHashing(t *testing.T) {
	st := memory.New()
	for i, users := range []*authz.Users{authz.NewUsers(st, time.Now), authz.NewUsers(st, time.Now).WithHashing(authz.PasswordHashing{})} {
		name := fmt.Sprintf("default%d", i)
		if _, err := users.Create(t.Context(), authz.UserRequest{Username: name, Password: password}); err != nil {
			t.Fatal(err)
		}
		u, err := st.GetUser(t.Context(), name)
		if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("stored hash %q, %v; want the OWASP minimum m=19456,t=2", u.PasswordHash, err)
		}
	}
}
