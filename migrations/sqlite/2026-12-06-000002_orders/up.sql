-- The `service` example: orders, and the audit trail of their status
-- changes that its AFTER_UPDATE hook writes in the same transaction.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    field TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL
);
CREATE INDEX order_events_by_order ON order_events (order_id, id);
