//! The transactional outbox (hooks-outbox) against the real servers:
//! publishing with the transaction, delivery by worker threads (leases,
//! retries, dead events, per-key order, shutdown), workers killed with
//! SIGKILL, and the relays to NATS JetStream and RabbitMQ.
//!
//! Tests that kill a worker run it as a child process: this test binary
//! again, running one `#[ignore]`d test (`child::worker`) that the parent
//! names, with its instructions in the environment.

#[path = "outbox/common.rs"]
mod common;

#[path = "outbox/child.rs"]
mod child;
#[path = "outbox/delivery.rs"]
mod delivery;
#[path = "outbox/killed.rs"]
mod killed;
#[path = "outbox/load.rs"]
mod load;
#[path = "outbox/publish.rs"]
mod publish;
#[path = "outbox/relays.rs"]
mod relays;
