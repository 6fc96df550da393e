-- The audit trail of the `audit` example: one row per changed field of a
-- hooked model (every field on create and delete), written by hooks in the
-- same transaction as the change.
CREATE TABLE audit_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model VARCHAR(64) NOT NULL,
    record_key VARCHAR(255) NOT NULL,
    operation VARCHAR(16) NOT NULL,
    field VARCHAR(64) NOT NULL,
    old_value TEXT NULL,
    new_value TEXT NULL,
    changed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
