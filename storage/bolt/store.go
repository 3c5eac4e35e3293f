package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"issuer/storage"
)

// Compile-time check that *Store implements storage.Store.
var _ storage.Store = (*Store)(nil)

// Bucket names. Every bucket is created by Open.
var (
	bucketMeta       = []byte("meta")           // schemaKey -> schema version
	bucketSecrets    = []byte("secrets")        // name -> secretRecord
	bucketKeys       = []byte("signing_keys")   // key ID -> SigningKey
	bucketClients    = []byte("clients")        // client ID -> Client
	bucketUsers      = []byte("users")          // username -> User
	bucketOffers     = []byte("offers")         // offer ID -> Offer as created (content)
	bucketOfferState = []byte("offer_state")    // offer ID -> offerState (what changes)
	bucketOfferCodes = []byte("offer_codes")    // code hash -> offer ID
	bucketOffersExp  = []byte("offer_keep")     // KeepUntil||offer ID -> ""
	bucketTokens     = []byte("tokens")         // token ID -> Token
	bucketTokensExp  = []byte("token_exp")      // ExpiresAt||token ID -> ""
	bucketGrants     = []byte("grant_tokens")   // grant ID||0||token ID -> ""
	bucketUMARes     = []byte("uma_resources")  // resource ID -> UMAResource
	bucketUMATickets = []byte("uma_tickets")    // ticket ID -> UMATicket
	bucketUMAExp     = []byte("uma_ticket_exp") // ExpiresAt||ticket ID -> ""
	bucketReplay     = []byte("replay")         // expiry||replay key -> ""
	// Added after schema version 3 was fixed; Open creates them in older
	// files too (and fills user_ids from users).
	bucketUserIDs      = []byte("user_ids")            // user ID -> username
	bucketSessions     = []byte("auth_sessions")       // session ID -> AuthSession
	bucketSessionsExp  = []byte("auth_session_exp")    // ExpiresAt||session ID -> ""
	bucketAuthCodes    = []byte("auth_codes")          // code ID -> AuthCode
	bucketAuthCodesExp = []byte("auth_code_keep")      // KeepUntil||code ID -> ""
	bucketIssuerStates = []byte("offer_issuer_states") // issuer_state hash -> offer ID
	bucketOfferJSON    = []byte("offer_json")          // offer ID -> OfferJSON (off the redemption path)
	// Added later still; Open creates them in older files too.
	bucketCredRecords      = []byte("credential_records")       // record ID -> CredentialRecord
	bucketCredRecordsExp   = []byte("credential_record_exp")    // ExpiresAt||record ID -> ""
	bucketCredRecordOffers = []byte("credential_record_offers") // offer ID||0||record ID -> ""
	allBuckets             = [][]byte{bucketMeta, bucketSecrets, bucketKeys, bucketClients, bucketUsers, bucketOffers, bucketOfferState, bucketOfferCodes, bucketOffersExp, bucketTokens, bucketTokensExp, bucketGrants, bucketUMARes, bucketUMATickets, bucketUMAExp, bucketReplay, bucketSessions, bucketSessionsExp, bucketAuthCodes, bucketAuthCodesExp, bucketIssuerStates, bucketOfferJSON, bucketCredRecords, bucketCredRecordsExp, bucketCredRecordOffers}
	schemaKey              = []byte("schema_version")
	schemaVersion          = []byte{3}
	errSchemaVersion       = errors.New("storage/bolt: unsupported schema version")
)

// recordVersion is the first byte of every JSON record value.
const recordVersion byte = 1

// Options configure Open. The zero value is a durable store with a 1s lock
// timeout.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process; 0 means 1s.
	Timeout time.Duration
	// NoSync skips fsync on commit. A crash can then lose acknowledged
	// writes or corrupt the file: for tests only.
	NoSync bool
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// CheckFile, when set, is called with what fstat says of the database
	// file as soon as it is opened, before bbolt reads, locks or writes it;
	// its error closes the file and fails Open. It lets the caller judge
	// the file opened rather than a path it looked at earlier.
	CheckFile func(fs.FileInfo) error
}

// Store is a storage.Store backed by one bbolt file. Create it with Open.
type Store struct {
	db  *bbolt.DB
	log *slog.Logger
	c   *committer

	mu     sync.RWMutex // held shared by every call, exclusively by Close
	closed bool
}

// Open opens (creating it if needed) the database file at path, creates
// the buckets and starts the committer. If another process holds the file,
// Open fails after opts.Timeout with an error that wraps bbolt's timeout
// error and says the database is locked.
func Open(path string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:        opts.Timeout,
		NoSync:         opts.NoSync,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
		OpenFile:       checkedOpen(path, opts.CheckFile),
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("storage/bolt: database %s is locked by another process (is another issuer running?): %w", path, err)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == path {
			return nil, fmt.Errorf("storage/bolt: %w", err) // it names the path already
		}
		return nil, fmt.Errorf("storage/bolt: open %s: %w", path, err)
	}
	var replay replaySet
	err = db.Update(func(tx *bbolt.Tx) (err error) {
		if err := initBuckets(tx); err != nil {
			return err
		}
		replay, err = loadReplay(tx)
		return err
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage/bolt: init %s: %w", path, err)
	}
	log.Debug("storage opened", "path", path, "nosync", opts.NoSync, "replay_keys", len(replay))
	return &Store{db: db, log: log, c: newCommitter(db, log, replay)}, nil
}

// checkedOpen is os.OpenFile that runs check, if any, on the fstat of
// the database file at path when it opens it; other files (a backup's
// copy) are opened unchecked.
func checkedOpen(path string, check func(fs.FileInfo) error) func(string, int, os.FileMode) (*os.File, error) {
	return func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		if err != nil || check == nil || name != path {
			return f, err
		}
		info, err := f.Stat()
		if err == nil {
			err = check(info)
		}
		if err != nil {
			_ = f.Close()
			return nil, err
		}
		return f, nil
	}
}

// initBuckets creates the buckets and checks the schema version.
func initBuckets(tx *bbolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	if tx.Bucket(bucketUserIDs) == nil {
		if _, err := tx.CreateBucket(bucketUserIDs); err != nil {
			return err
		}
		if err := indexUsers(tx); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	switch v := meta.Get(schemaKey); {
	case v == nil:
		return meta.Put(schemaKey, schemaVersion)
	case string(v) != string(schemaVersion):
		return fmt.Errorf("%w %v", errSchemaVersion, v)
	}
	return nil
}

// Close waits for the queued writes to commit, stops the committer and
// closes the file. Later calls return storage.ErrClosed; a second Close
// returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.c.stop()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage/bolt: close: %w", err)
	}
	return nil
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return storage.ErrClosed
	}
	return s.db.View(fn)
}

// update queues fn for the committer and waits until its batch has been
// committed. fn must read before it writes: when it returns nil or a
// storage sentinel error, its writes (if any) are committed; any other
// error aborts it.
func (s *Store) update(ctx context.Context, fn func(w *writeTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return storage.ErrClosed
	}
	s.c.ops <- o
	s.mu.RUnlock()
	return <-o.done
}

// put stores v as a versioned JSON record under key.
func put(b *bbolt.Bucket, key []byte, v any) error {
	data, err := encode(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// get decodes the record under key into v; ErrNotFound if there is none.
func get(b *bbolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return storage.ErrNotFound
	}
	return decode(data, v)
}

// encode returns v as a versioned JSON record.
func encode(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("storage/bolt: encode %T: %w", v, err)
	}
	out := make([]byte, 0, len(data)+1)
	return append(append(out, recordVersion), data...), nil
}

// decode parses a versioned JSON record into v. json.Unmarshal copies
// every byte it keeps, so v does not alias the transaction's memory.
func decode(data []byte, v any) error {
	if len(data) == 0 || data[0] != recordVersion {
		return fmt.Errorf("storage/bolt: decode %T: unknown record version", v)
	}
	if err := json.Unmarshal(data[1:], v); err != nil {
		return fmt.Errorf("storage/bolt: decode %T: %w", v, err)
	}
	return nil
}

// checkKey rejects keys bbolt cannot store, before any transaction.
func checkKey(what string, key []byte) error {
	switch {
	case len(key) == 0:
		return fmt.Errorf("storage/bolt: empty %s", what)
	case len(key)+timeKeyLen > bbolt.MaxKeySize:
		return fmt.Errorf("storage/bolt: %s longer than %d bytes", what, bbolt.MaxKeySize-timeKeyLen)
	}
	return nil
}

// clone returns a copy of b, for values read inside a transaction.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
