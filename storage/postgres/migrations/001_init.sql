-- 001: the issuer's whole state. Each record is the JSON of its storage
-- type in `data` (the form the bbolt store keeps), with the columns that
-- lookups, uniqueness rules and the sweep need beside it. Times that SQL
-- compares are Unix nanoseconds (bigint), so that they compare exactly as
-- the Go rules do (timestamptz keeps only microseconds).

CREATE TABLE secrets (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);

CREATE TABLE signing_keys (
	id         text PRIMARY KEY,
	created_ns bigint NOT NULL,
	data       json NOT NULL
);

CREATE TABLE clients (
	id   text PRIMARY KEY,
	data json NOT NULL
);

CREATE TABLE users (
	username text PRIMARY KEY,
	id       text NOT NULL UNIQUE,
	data     json NOT NULL
);

CREATE TABLE wallet_providers (
	id         text PRIMARY KEY,
	created_ns bigint NOT NULL,
	data       json NOT NULL
);

-- offers: data is the Offer without OfferJSON (off the redemption path).
CREATE TABLE offers (
	id                text PRIMARY KEY,
	code_hash         bytea NOT NULL UNIQUE,
	issuer_state_hash bytea UNIQUE,
	keep_until_ns     bigint NOT NULL,
	data              json NOT NULL,
	offer_json        json
);
CREATE INDEX offers_keep_until ON offers (keep_until_ns);

-- tokens: revoked is the truth for Token.Revoked (RevokeGrant and
-- RevokeTokens set it without rewriting data).
CREATE TABLE tokens (
	id         text PRIMARY KEY,
	grant_id   text NOT NULL,
	expires_ns bigint NOT NULL,
	revoked    boolean NOT NULL,
	data       json NOT NULL
);
CREATE INDEX tokens_grant ON tokens (grant_id);
CREATE INDEX tokens_expires ON tokens (expires_ns);

CREATE TABLE replay_keys (
	key        bytea PRIMARY KEY,
	expires_ns bigint NOT NULL
);
CREATE INDEX replay_keys_expires ON replay_keys (expires_ns);

CREATE TABLE auth_sessions (
	id         text PRIMARY KEY,
	expires_ns bigint NOT NULL,
	data       json NOT NULL
);
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_ns);

CREATE TABLE auth_codes (
	id            text PRIMARY KEY,
	keep_until_ns bigint NOT NULL,
	data          json NOT NULL
);
CREATE INDEX auth_codes_keep_until ON auth_codes (keep_until_ns);

CREATE TABLE uma_resources (
	id   text PRIMARY KEY,
	data json NOT NULL
);

CREATE TABLE uma_tickets (
	id         text PRIMARY KEY,
	expires_ns bigint NOT NULL,
	data       json NOT NULL
);
CREATE INDEX uma_tickets_expires ON uma_tickets (expires_ns);
