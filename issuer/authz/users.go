package authz

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"issuer/issuer/clients"
	"issuer/issuer/oauth"
	"issuer/issuer/token"
	"issuer/storage"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: the OWASP minimum (19 MiB, 2 passes, 1 lane).
const (
	argonMemory = 19 * 1024
	argonTime   = 2
	argonLanes  = 1
	argonKeyLen = 32
)

// PasswordHashing is the cost of new argon2id password hashes. The zero
// value is the OWASP minimum above, which the server always uses: only
// tests set lower values (issuer.Config.PasswordHashing, never read from a
// file), so that the suites that create and check passwords run fast.
// Checking a password follows the parameters stored with its hash.
type PasswordHashing struct {
	MemoryKiB, Passes uint32
}

// params returns the memory and passes, the defaults for zero values.
func (p PasswordHashing) params() (memory, passes uint32) {
	memory, passes = argonMemory, argonTime
	if p.MemoryKiB > 0 {
		memory = p.MemoryKiB
	}
	if p.Passes > 0 {
		passes = p.Passes
	}
	return memory, passes
}

// hashPassword returns the PHC string of an argon2id hash of password.
func hashPassword(password string, cost PasswordHashing) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	memory, passes := cost.params()
	key := argon2.IDKey([]byte(password), salt, passes, memory, argonLanes, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, argonLanes,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword reports whether password matches the PHC string, comparing
// in constant time.
func checkPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 10 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// UserRequest is the admin API's request to add a user.
type UserRequest struct {
	Username string          `json:"username"`
	Password string          `json:"password"`
	Claims   json.RawMessage `json:"claims,omitempty"`
}

// UserInfo is a user as the admin API shows it: never the password.
type UserInfo struct {
	ID       string          `json:"id"`
	Username string          `json:"username"`
	Claims   json.RawMessage `json:"claims,omitempty"`
}

// Create adds a user whose password is stored as an argon2id hash.
func (s *Users) Create(ctx context.Context, req UserRequest) (UserInfo, error) {
	if string(req.Claims) == "null" {
		req.Claims = nil // "claims": null is no claims
	}
	switch {
	case !clients.ValidClientID(req.Username):
		return UserInfo{}, oauth.ErrInvalidRequest("username must be 1 to 255 visible ASCII characters")
	case utf8.RuneCountInString(req.Password) < 8 || len(req.Password) > 1024 || !utf8.ValidString(req.Password):
		return UserInfo{}, oauth.ErrInvalidRequest("password must have 8 to 1024 bytes of UTF-8")
	case len(req.Claims) > 0 && (req.Claims[0] != '{' || !json.Valid(req.Claims)):
		return UserInfo{}, oauth.ErrInvalidRequest("claims must be a JSON object")
	}
	hash, err := hashPassword(req.Password, s.hashing)
	if err != nil {
		return UserInfo{}, oauth.ErrServer(err)
	}
	u := storage.User{ID: token.NewID(), Username: req.Username, PasswordHash: hash, Claims: req.Claims, CreatedAt: s.now().UTC()}
	if err := s.store.CreateUser(ctx, u); errors.Is(err, storage.ErrAlreadyExists) {
		return UserInfo{}, oauth.ErrInvalidRequest("the username is taken")
	} else if err != nil {
		return UserInfo{}, oauth.ErrServer(err)
	}
	return UserInfo{ID: u.ID, Username: u.Username, Claims: u.Claims}, nil
}

// Get returns a user as the admin API shows it.
func (s *Users) Get(ctx context.Context, username string) (UserInfo, error) {
	u, err := s.store.GetUser(ctx, username)
	if errors.Is(err, storage.ErrNotFound) {
		return UserInfo{}, oauth.ErrNotFound("the user doesn't exist")
	} else if err != nil {
		return UserInfo{}, oauth.ErrServer(err)
	}
	return UserInfo{ID: u.ID, Username: u.Username, Claims: u.Claims}, nil
}

// Delete removes a user.
func (s *Users) Delete(ctx context.Context, username string) error {
	err := s.store.DeleteUser(ctx, username)
	if errors.Is(err, storage.ErrNotFound) {
		return oauth.ErrNotFound("the user doesn't exist")
	} else if err != nil {
		return oauth.ErrServer(err)
	}
	return nil
}
