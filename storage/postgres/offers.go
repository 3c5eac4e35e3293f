package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"issuer/storage"
)

// lockByCode selects an offer's row by code hash and locks it.
const lockByCode = `SELECT data FROM offers WHERE code_hash = $1 FOR UPDATE`

// CreateOffer stores o; ErrAlreadyExists if its ID, code hash or issuer
// state hash is taken (the table's unique constraints). A zero KeepUntil
// is set to ExpiresAt.
func (s *Store) CreateOffer(ctx context.Context, o storage.Offer) error {
	if o.ID == "" || len(o.CodeHash) == 0 {
		return errors.New("storage/postgres: offer without ID or code hash")
	}
	if o.KeepUntil.IsZero() {
		o.KeepUntil = o.ExpiresAt
	}
	offerJSON, data, err := encodeOffer(o)
	if err != nil {
		return err
	}
	var state []byte
	if len(o.IssuerStateHash) > 0 {
		state = o.IssuerStateHash
	}
	return s.insert(ctx, "create offer",
		`INSERT INTO offers (id, code_hash, issuer_state_hash, keep_until_ns, data, offer_json) VALUES ($1, $2, $3, $4, $5, $6)`,
		o.ID, o.CodeHash, state, ns(o.KeepUntil), data, offerJSON)
}

// encodeOffer returns the offer's OfferJSON (nil if none) and the JSON of
// the rest.
func encodeOffer(o storage.Offer) (offerJSON, data []byte, err error) {
	if len(o.OfferJSON) > 0 {
		if offerJSON, err = encode(o.OfferJSON); err != nil {
			return nil, nil, err
		}
	}
	o.OfferJSON = nil
	data, err = encode(o)
	return offerJSON, data, err
}

// GetOffer returns the offer by ID; ErrNotFound if there is none.
func (s *Store) GetOffer(ctx context.Context, id string) (storage.Offer, error) {
	return s.getOffer(ctx, "offer", `SELECT data, offer_json FROM offers WHERE id = $1`, id)
}

// GetOfferByCode returns the offer by code hash, without its OfferJSON,
// its Revision the row's xmin (the transaction that wrote this version of
// it); ErrNotFound if none.
func (s *Store) GetOfferByCode(ctx context.Context, codeHash []byte) (storage.Offer, error) {
	var o storage.Offer
	err := s.do(ctx, "offer by code", true, func(ctx context.Context) error {
		var data []byte
		var rev string
		if err := s.pool.QueryRow(ctx, `SELECT data, xmin::text FROM offers WHERE code_hash = $1`, codeHash).Scan(&data, &rev); err != nil {
			return notFound(err)
		}
		var err error
		o, err = decode[storage.Offer](data)
		o.Revision = rev
		return err
	})
	return o, err
}

// GetOfferByIssuerState returns the offer whose IssuerStateHash is
// stateHash; ErrNotFound if none.
func (s *Store) GetOfferByIssuerState(ctx context.Context, stateHash []byte) (storage.Offer, error) {
	if len(stateHash) == 0 {
		return storage.Offer{}, fmt.Errorf("storage/postgres: offer by issuer_state: %w", storage.ErrNotFound)
	}
	return s.getOffer(ctx, "offer by issuer_state", `SELECT data, offer_json FROM offers WHERE issuer_state_hash = $1`, stateHash)
}

// getOffer reads one offer with its OfferJSON (sql selects data and
// offer_json); ErrNotFound if none.
func (s *Store) getOffer(ctx context.Context, what, sql string, arg any) (storage.Offer, error) {
	var o storage.Offer
	err := s.do(ctx, what, true, func(ctx context.Context) error {
		var data, offerJSON []byte
		if err := s.pool.QueryRow(ctx, sql, arg).Scan(&data, &offerJSON); err != nil {
			return notFound(err)
		}
		var err error
		if o, err = decode[storage.Offer](data); err == nil && len(offerJSON) > 0 {
			o.OfferJSON = json.RawMessage(offerJSON)
		}
		return err
	})
	return o, err
}

// updateOffer is the statement that writes the offer's record (not its
// OfferJSON) and KeepUntil.
func updateOffer(o storage.Offer) (stmt, error) {
	_, data, err := encodeOffer(o)
	return stmt{`UPDATE offers SET data = $2, keep_until_ns = $3 WHERE id = $1`, []any{o.ID, data, ns(o.KeepUntil)}}, err
}

// RecordTxCodeFailure counts one failed transaction-code attempt against
// the code, locking it once Failures reaches max, on the row locked FOR
// UPDATE: concurrent failures on every node each count.
func (s *Store) RecordTxCodeFailure(ctx context.Context, codeHash []byte, max int) (storage.Offer, error) {
	var o storage.Offer
	err := s.txPipelined(ctx, "record tx_code failure", pipeline{
		lock: func(b *reads) { queueLock(b, lockByCode, codeHash, &o) },
		write: func(b *pgx.Batch) error {
			o.Failures++
			if o.Failures >= max {
				o.Locked = true
			}
			return queueUpdateOffer(b, o)
		},
	})
	return o, err
}

// Redeem consumes a pre-authorized code as documented on storage.Offers.
// When r.Offer was read by GetOfferByCode and storage.PlanRedeem redeems
// the code by what it holds, the plan is applied in one statement, one
// round trip (redeemSeen), if the offer's row is still that version.
// Otherwise, and when the row changed since, it runs in one transaction of
// two round trips: the replay key is claimed (a live one refuses) and the
// offer's row read and locked FOR UPDATE; storage.PlanRedeem decides, and
// its writes follow with the commit. A plan that writes nothing rolls the
// claim back.
func (s *Store) Redeem(ctx context.Context, r storage.Redemption) error {
	tokens, err := prepareTokens(r.Now, r.ReplayKey, r.ReplayExpiry, r.Tokens)
	if err != nil {
		return err
	}
	if r.Offer != nil && r.Offer.Revision != "" && bytes.Equal(r.Offer.CodeHash, r.CodeHash) {
		ctx = s.withOpDeadline(ctx) // the statement and the transaction after it share one OpTimeout
		if p := storage.PlanRedeem(r.Offer.State(), r); p.Write && p.Err == nil {
			err := s.redeemSeen(ctx, *r.Offer, p, r, tokens)
			if !errors.Is(err, errChanged) {
				return err
			}
		}
	}
	var o storage.Offer
	return s.txPipelined(ctx, "redeem", pipeline{
		lock: func(b *reads) {
			queueClaim(b, r.ReplayKey, r.ReplayExpiry, r.Now)
			queueLock(b, lockByCode, r.CodeHash, &o)
		},
		write: func(b *pgx.Batch) error {
			p := storage.PlanRedeem(o.State(), r)
			if err := queueRedeem(b, p, tokens); err != nil {
				return err
			}
			o.SetState(p.Code)
			return queueUpdateOffer(b, o)
		},
	})
}

// queueUpdateOffer queues updateOffer's statement in b.
func queueUpdateOffer(b *pgx.Batch, o storage.Offer) error {
	st, err := updateOffer(o)
	if err == nil {
		st.queue(b)
	}
	return err
}

// queueRedeem queues the writes of a redemption plan beyond the code's own
// record (the replay key is claimed in the same transaction): the
// revocation (ErrConsumed: the transaction is kept) or the tokens (nil:
// the caller then queues p.Code and p.Offer). A plan that writes nothing
// returns its error, and the transaction rolls back.
func queueRedeem(b *pgx.Batch, p storage.RedeemPlan, tokens []tokenRow) error {
	switch {
	case !p.Write:
		return p.Err
	case p.Revoke != nil:
		revokeStmt(p.Revoke.Tokens, p.Revoke.GrantID).queue(b)
		return keep(p.Err)
	case p.Err != nil:
		return keep(p.Err)
	}
	queueTokens(b, tokens)
	return nil
}

// errChanged is redeemSeen's answer when the offer is no longer the
// version its plan was made from.
var errChanged = errors.New("storage/postgres: the offer changed since it was read")

// sqlstateChanged is the SQLSTATE redeem_seen raises when the offer is no
// longer the version seen (migration 003).
const sqlstateChanged = "IS001"

// redeemSeen applies p, the plan that redeems seen, in one statement
// (redeem_seen): storage.ErrAlreadyExists if the replay key is live,
// errChanged (nothing written) if the offer's row is no longer at
// seen.Revision.
func (s *Store) redeemSeen(ctx context.Context, seen storage.Offer, p storage.RedeemPlan, r storage.Redemption, tokens []tokenRow) error {
	seen.SetState(p.Code)
	_, data, err := encodeOffer(seen)
	if err != nil {
		return err
	}
	var key []byte
	if len(r.ReplayKey) > 0 {
		key = r.ReplayKey
	}
	t := newTokenColumns(tokens)
	var outcome string
	err = s.do(ctx, "redeem", false, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT redeem_seen($1::bytea, $2::text::xid, $3::json, $4::bigint, $5::bytea, $6::bigint, $7::bigint,
	$8::text[], $9::text[], $10::bigint[], $11::bool[], $12::text[])`,
			r.CodeHash, seen.Revision, data, ns(seen.KeepUntil), key, ns(r.ReplayExpiry), ns(r.Now),
			t.ids, t.grants, t.exps, t.revoked, t.datas).Scan(&outcome)
	})
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == sqlstateChanged:
		return errChanged
	case err != nil:
		return err
	case outcome == "replayed":
		return fmt.Errorf("storage/postgres: redeem: %w", storage.ErrAlreadyExists)
	case outcome != "redeemed":
		return fmt.Errorf("storage/postgres: redeem: unexpected outcome %q", outcome)
	}
	return nil
}
