package storage

import (
	"context"
	"encoding/json"
	"time"
)

// Users are the end users who sign in with a password, by username and by
// ID.
type Users interface {
	// CreateUser stores u; ErrAlreadyExists if u.Username is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user by username; ErrNotFound if there is none.
	GetUser(ctx context.Context, username string) (User, error)
	// DeleteUser removes the user; ErrNotFound if there is none.
	DeleteUser(ctx context.Context, username string) error

	// GetUserByID returns the user by ID; ErrNotFound if there is none.
	GetUserByID(ctx context.Context, id string) (User, error)
}

// User is an end user who signs in with a password (the password grant and
// the login page). Username is the key; ID is the stable subject.
type User struct {
	ID           string          `json:"id"`
	Username     string          `json:"username"`
	PasswordHash string          `json:"password_hash"` // PHC string (argon2id); never the password
	Claims       json.RawMessage `json:"claims,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}
