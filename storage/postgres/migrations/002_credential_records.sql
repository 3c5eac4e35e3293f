-- 002: the credential records (storage.CredentialRecords): notification
-- IDs and their events, deferred transactions, the claims supplied for
-- deferred offers. One row per record, its JSON in data.

CREATE TABLE credential_records (
	id         text PRIMARY KEY,
	offer_id   text NOT NULL,
	created_ns bigint NOT NULL,
	expires_ns bigint NOT NULL,
	data       json NOT NULL
);
CREATE INDEX credential_records_offer ON credential_records (offer_id) WHERE offer_id <> '';
CREATE INDEX credential_records_expires ON credential_records (expires_ns);
