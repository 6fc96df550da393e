-- The transactional outbox of hooks-outbox (SQLite: one worker at a time).
-- Events are written in the transaction that published them and removed
-- once delivered; `state` 0 = pending, 1 = dead (delivery gave up, kept
-- with its last error). Times are UTC.
CREATE TABLE hooks_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    event_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    lease_owner TEXT,
    lease_expires_at TIMESTAMP,
    last_error TEXT,
    state SMALLINT NOT NULL DEFAULT 0
);
CREATE INDEX hooks_outbox_due ON hooks_outbox (next_attempt_at, id) WHERE state = 0;
CREATE INDEX hooks_outbox_key ON hooks_outbox (event_key, id) WHERE state = 0;
