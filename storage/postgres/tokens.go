package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"issuer/storage"
)

// tokenRow is a token as the tokens table stores it.
type tokenRow struct {
	id, grantID string
	expiresNS   int64
	revoked     bool
	data        string
}

// newTokenRow encodes a token.
func newTokenRow(t storage.Token) (tokenRow, error) {
	if t.ID == "" {
		return tokenRow{}, errors.New("storage/postgres: empty token ID")
	}
	data, err := encode(t)
	return tokenRow{id: t.ID, grantID: t.GrantID, expiresNS: ns(t.ExpiresAt), revoked: t.Revoked, data: string(data)}, err
}

// prepareTokens checks a write that records a proof (storage.CheckWrite)
// and encodes its tokens, before any transaction.
func prepareTokens(now time.Time, key []byte, exp time.Time, tokens []storage.Token) ([]tokenRow, error) {
	if err := storage.CheckWrite(now, key, exp); err != nil {
		return nil, fmt.Errorf("storage/postgres: %w", err)
	}
	rows := make([]tokenRow, 0, len(tokens))
	for _, t := range tokens {
		row, err := newTokenRow(t)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// insertTokens stores the tokens in one statement (a token stored again
// under its ID replaces the record, as in the other stores).
func insertTokens(ctx context.Context, tx pgx.Tx, rows []tokenRow) error {
	if len(rows) == 0 {
		return nil
	}
	return insertTokensStmt(rows).exec(ctx, tx)
}

// queueTokens queues insertTokens's statement in b, if there are rows.
func queueTokens(b *pgx.Batch, rows []tokenRow) {
	if len(rows) > 0 {
		insertTokensStmt(rows).queue(b)
	}
}

// tokenColumns are tokens as put_tokens takes them: a column each.
type tokenColumns struct {
	ids, grants, datas []string
	exps               []int64
	revoked            []bool
}

// newTokenColumns turns rows into columns.
func newTokenColumns(rows []tokenRow) tokenColumns {
	var c tokenColumns
	for _, r := range rows {
		c.ids, c.grants, c.datas = append(c.ids, r.id), append(c.grants, r.grantID), append(c.datas, r.data)
		c.exps, c.revoked = append(c.exps, r.expiresNS), append(c.revoked, r.revoked)
	}
	return c
}

// insertTokensStmt is the statement that stores rows (put_tokens,
// migration 003).
func insertTokensStmt(rows []tokenRow) stmt {
	c := newTokenColumns(rows)
	return stmt{`SELECT put_tokens($1::text[], $2::text[], $3::bigint[], $4::bool[], $5::text[])`, []any{c.ids, c.grants, c.exps, c.revoked, c.datas}}
}

// revokeStmt marks revoked the tokens ids and every token of grantID.
func revokeStmt(ids []string, grantID string) stmt {
	return stmt{`UPDATE tokens SET revoked = true WHERE (id = ANY($1) OR grant_id = $2) AND NOT revoked`, []any{ids, grantID}}
}

// scanToken decodes a token row (data, revoked).
func scanToken(row pgx.Row) (storage.Token, error) {
	var data []byte
	var revoked bool
	if err := row.Scan(&data, &revoked); err != nil {
		return storage.Token{}, notFound(err)
	}
	t, err := decode[storage.Token](data)
	t.Revoked = revoked
	return t, err
}

// GetToken returns a token record; ErrNotFound if none.
func (s *Store) GetToken(ctx context.Context, id string) (storage.Token, error) {
	var t storage.Token
	err := s.do(ctx, "token", true, func(ctx context.Context) error {
		var err error
		t, err = scanToken(s.pool.QueryRow(ctx, `SELECT data, revoked FROM tokens WHERE id = $1`, id))
		return err
	})
	return t, err
}

// IssueTokens stores the tokens in one transaction with the replay key.
func (s *Store) IssueTokens(ctx context.Context, r storage.Issuance) error {
	rows, err := prepareTokens(r.Now, r.ReplayKey, r.ReplayExpiry, r.Tokens)
	if err != nil {
		return err
	}
	return s.tx(ctx, "issue tokens", func(ctx context.Context, tx pgx.Tx) error {
		if err := claimReplay(ctx, tx, r.ReplayKey, r.ReplayExpiry, r.Now); err != nil {
			return err
		}
		return insertTokens(ctx, tx, rows)
	})
}

// RevokeGrant marks every token of the grant revoked.
func (s *Store) RevokeGrant(ctx context.Context, grantID string) error {
	return s.do(ctx, "revoke grant", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked = true WHERE grant_id = $1 AND NOT revoked`, grantID)
		return err
	})
}

// RevokeTokens marks the tokens revoked; unknown IDs are skipped.
func (s *Store) RevokeTokens(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.do(ctx, "revoke tokens", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked = true WHERE id = ANY($1) AND NOT revoked`, ids)
		return err
	})
}

// UseRefreshToken uses a refresh token as documented on storage.Tokens,
// in one transaction of two round trips: the replay key is claimed and the
// token's row read and locked FOR UPDATE; storage.UseRefresh decides, and
// its writes follow with the commit, so that concurrent uses on any node
// are serialized on the row.
func (s *Store) UseRefreshToken(ctx context.Context, u storage.RefreshUse) error {
	if err := storage.CheckRefreshUse(u); err != nil {
		return fmt.Errorf("storage/postgres: use refresh token: %w", err)
	}
	rows, err := prepareTokens(u.Now, u.ReplayKey, u.ReplayExpiry, u.Tokens)
	if err != nil {
		return err
	}
	var next tokenRow
	if u.Rotate {
		if next, err = newTokenRow(*u.Successor); err != nil {
			return err
		}
	}
	var rt storage.Token
	return s.txPipelined(ctx, "use refresh token", pipeline{
		lock: func(b *reads) {
			queueClaim(b, u.ReplayKey, u.ReplayExpiry, u.Now)
			b.row(func(row pgx.Row) error {
				var err error
				rt, err = scanToken(row)
				return err
			}, `SELECT data, revoked FROM tokens WHERE id = $1 FOR UPDATE`, u.TokenID)
		},
		write: func(b *pgx.Batch) error {
			first, err := storage.UseRefresh(&rt, u)
			switch {
			case errors.Is(err, storage.ErrConsumed):
				revokeStmt(nil, rt.GrantID).queue(b)
				return keep(err)
			case err != nil:
				return err
			}
			data, err := encode(rt)
			if err != nil {
				return err
			}
			b.Queue(`UPDATE tokens SET data = $2 WHERE id = $1`, rt.ID, data)
			issued := rows
			if first {
				issued = append(rows[:len(rows):len(rows)], next)
			}
			queueTokens(b, issued)
			return nil
		},
	})
}
