-- The table of the differential suite (tests/tests/exact_writes.rs): one
-- column of each common type, so that a statement written through the
-- hooked connection can be compared with the same statement on a bare one.
CREATE TABLE exact_rows (
    id BIGSERIAL PRIMARY KEY,
    big BIGINT NOT NULL,
    small INTEGER NULL,
    txt VARCHAR(64) NOT NULL,
    note TEXT NULL,
    ratio DOUBLE PRECISION NULL,
    flag BOOLEAN NOT NULL DEFAULT FALSE,
    at TIMESTAMP NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'new'
);
