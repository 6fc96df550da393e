-- The benchmark workload's table (shared/bench/WORKLOAD.md) and an audit
-- log written by hooks in examples and tests.
CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    owner VARCHAR(64) NOT NULL,
    balance BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    updated_at TIMESTAMP NULL
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    action VARCHAR(32) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
