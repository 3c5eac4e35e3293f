-- 003: a pre-authorized code's redemption in one statement, for the
-- common case: the node read the offer (GetOfferByCode, with its xmin),
-- storage.PlanRedeem decided on what it read that the code is redeemed,
-- and the plan is applied here only if the offer's row is still that
-- version. The rules stay in Go; the database only checks and writes.

-- put_tokens stores tokens (a token stored again under its ID replaces
-- the record): the one upsert of the tokens table, used by every write
-- that issues tokens. PL/pgSQL, whose plans a session keeps (PostgreSQL
-- 15 plans a LANGUAGE sql function's INSERT again on every call).
CREATE FUNCTION put_tokens(ids text[], grants text[], exps bigint[], revoked bool[], datas text[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tokens (id, grant_id, expires_ns, revoked, data)
	SELECT t.id, t.grant_id, t.expires_ns, t.revoked, t.data::json
	FROM unnest(ids, grants, exps, revoked, datas) AS t(id, grant_id, expires_ns, revoked, data)
	ON CONFLICT (id) DO UPDATE SET grant_id = EXCLUDED.grant_id, expires_ns = EXCLUDED.expires_ns,
		revoked = EXCLUDED.revoked, data = EXCLUDED.data;
END
$$;

-- redeem_seen claims the DPoP proof's replay key (rkey NULL: none), then
-- writes the offer's new record over the version seen (its xmin) and
-- stores the tokens. It returns 'redeemed', or 'replayed' if the key is
-- live (nothing written). An offer no longer at the version seen raises
-- IS001 and the statement rolls back, the claim with it: the node then
-- runs the redemption again, reading the offer under a lock. The claim
-- comes before the offer's row lock, in the order of every other write
-- that claims a key and locks rows.
CREATE FUNCTION redeem_seen(code bytea, seen xid, new_data json, new_keep_ns bigint,
	rkey bytea, rexp_ns bigint, now_ns bigint,
	ids text[], grants text[], exps bigint[], revoked bool[], datas text[])
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	IF rkey IS NOT NULL THEN
		INSERT INTO replay_keys (key, expires_ns) VALUES (rkey, rexp_ns)
		ON CONFLICT (key) DO UPDATE SET expires_ns = EXCLUDED.expires_ns WHERE replay_keys.expires_ns < now_ns;
		IF NOT FOUND THEN
			RETURN 'replayed';
		END IF;
	END IF;
	UPDATE offers SET data = new_data, keep_until_ns = new_keep_ns WHERE code_hash = code AND xmin = seen;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the offer changed since it was read' USING ERRCODE = 'IS001';
	END IF;
	PERFORM put_tokens(ids, grants, exps, revoked, datas);
	RETURN 'redeemed';
END
$$;
