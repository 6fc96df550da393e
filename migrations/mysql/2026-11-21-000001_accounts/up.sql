-- The benchmark workload's table (shared/bench/WORKLOAD.md) and an audit
-- log written by hooks in examples and tests. Diesel's `Timestamp` is
-- DATETIME on MySQL; microsecond precision keeps chrono values exact.
CREATE TABLE accounts (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    owner VARCHAR(64) NOT NULL,
    balance BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    updated_at DATETIME(6) NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE audit_log (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    action VARCHAR(32) NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
