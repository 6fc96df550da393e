-- The transactional outbox of hooks-outbox (PostgreSQL). Events are
-- written in the transaction that published them and removed once
-- delivered; `state` 0 = pending, 1 = dead (delivery gave up, kept with
-- its last error). Times are UTC.
CREATE TABLE hooks_outbox (
    id BIGSERIAL PRIMARY KEY,
    topic TEXT NOT NULL,
    event_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    lease_owner TEXT,
    lease_expires_at TIMESTAMP,
    last_error TEXT,
    state SMALLINT NOT NULL DEFAULT 0
) WITH (fillfactor = 70);
-- fillfactor: room on each page for the new version of a claimed row, so
-- that a claim (which changes no indexed column) is a HOT update and adds
-- nothing to the indexes.
-- What workers claim: pending events by (next_attempt_at, id).
CREATE INDEX hooks_outbox_due ON hooks_outbox (next_attempt_at, id) WHERE state = 0;
-- Per-key ordering: the earliest pending event of a key.
CREATE INDEX hooks_outbox_key ON hooks_outbox (event_key, id) WHERE state = 0;
-- Wakes listening workers at commit (one NOTIFY per inserting statement,
-- folded into one per transaction by PostgreSQL).
CREATE FUNCTION hooks_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hooks_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER hooks_outbox_notify AFTER INSERT ON hooks_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION hooks_outbox_notify();
