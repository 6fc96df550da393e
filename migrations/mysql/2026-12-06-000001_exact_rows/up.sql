-- The table of the differential suite (tests/tests/exact_writes.rs): one
-- column of each common type, so that a statement written through the
-- hooked connection can be compared with the same statement on a bare one.
CREATE TABLE exact_rows (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    big BIGINT NOT NULL,
    small INTEGER NULL,
    txt VARCHAR(64) NOT NULL,
    note TEXT NULL,
    ratio DOUBLE NULL,
    flag BOOLEAN NOT NULL DEFAULT FALSE,
    at DATETIME(6) NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'new'
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
