-- The transactional outbox of hooks-outbox (MySQL 8 / MariaDB 10.6+,
-- which have FOR UPDATE SKIP LOCKED). Events are written in the
-- transaction that published them and removed once delivered; `state` 0 =
-- pending, 1 = dead (delivery gave up, kept with its last error). Times are
-- UTC.
CREATE TABLE hooks_outbox (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    topic VARCHAR(255) NOT NULL,
    event_key VARCHAR(255) NOT NULL,
    payload LONGTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
    lease_owner VARCHAR(255) NULL,
    lease_expires_at DATETIME(6) NULL,
    last_error TEXT NULL,
    state SMALLINT NOT NULL DEFAULT 0,
    KEY hooks_outbox_due (state, next_attempt_at, id),
    KEY hooks_outbox_key (event_key, state, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
