package storage

import (
	"context"
	"time"
)

// UMA is the state of UMA 2.0: registered resources and permission
// tickets.
type UMA interface {
	// CreateUMAResource stores r; ErrAlreadyExists if r.ID is taken.
	CreateUMAResource(ctx context.Context, r UMAResource) error
	// GetUMAResource returns the resource; ErrNotFound if there is none.
	GetUMAResource(ctx context.Context, id string) (UMAResource, error)
	// UpdateUMAResource applies update to the resource in one transaction;
	// ErrNotFound if there is none, or update's error (nothing is written).
	UpdateUMAResource(ctx context.Context, id string, update func(*UMAResource) error) error
	// CreateUMATicket stores t; ErrAlreadyExists if t.ID is taken. Sweep
	// deletes it after ExpiresAt.
	CreateUMATicket(ctx context.Context, t UMATicket) error
	// GetUMATicket returns the ticket; ErrNotFound if there is none.
	GetUMATicket(ctx context.Context, id string) (UMATicket, error)
	// DenyUMATicket marks the ticket denied; ErrNotFound if there is none.
	DenyUMATicket(ctx context.Context, id string) error
	// UseUMATicket uses a ticket once, in one transaction: a live replay key
	// → ErrAlreadyExists; unknown → ErrNotFound; used → ErrConsumed; past
	// ExpiresAt → ErrExpired; in those cases nothing changes. Otherwise the
	// ticket is marked used, the replay key recorded and the tokens stored.
	UseUMATicket(ctx context.Context, u Issuance, ticketID string) error
}

// UMAResource is a resource registered for UMA 2.0: the resource server
// (a client) that protects it, its owner, its scopes, the owner's grants,
// and the access requests waiting for the owner's decision.
type UMAResource struct {
	ID             string       `json:"id"`
	ResourceServer string       `json:"resource_server"`
	Owner          string       `json:"owner"` // username
	Name           string       `json:"name,omitempty"`
	Scopes         []string     `json:"resource_scopes"`
	AskOwner       bool         `json:"ask_owner,omitempty"`
	Grants         []UMAGrant   `json:"grants,omitempty"`
	Requests       []UMARequest `json:"requests,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
}

// UMAGrant is a resource owner's grant: scopes for a requesting client, or
// for a requesting party (a user, by ID).
type UMAGrant struct {
	ClientID        string   `json:"client_id,omitempty"`
	RequestingParty string   `json:"requesting_party,omitempty"`
	Scopes          []string `json:"scopes"`
}

// UMARequest is an access request waiting for the owner's decision; its ID
// is the ID of the ticket it came with.
type UMARequest struct {
	ID       string   `json:"id"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// UMAPermission is a resource and scopes, as requested or granted.
type UMAPermission struct {
	ResourceID string   `json:"resource_id"`
	Scopes     []string `json:"resource_scopes"`
}

// UMATicket is a permission ticket (UMA Federated Authorization §4); ID is
// a hash of the ticket, never the ticket.
type UMATicket struct {
	ID             string          `json:"id"`
	ResourceServer string          `json:"resource_server"`
	Permissions    []UMAPermission `json:"permissions"`
	ExpiresAt      time.Time       `json:"exp"`
	Denied         bool            `json:"denied,omitempty"` // the owner denied it
	Used           bool            `json:"used,omitempty"`
}
