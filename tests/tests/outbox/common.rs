//! Helpers of the outbox suite.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use hooks_diesel::{HookedConnection, Registry};
use hooks_outbox::schema::{DEAD, PENDING};
use hooks_outbox::{NewEvent, OutboxConnection, OutboxRow, Publish};
use hooks_tests::{TestBackend, TestDb};

/// A connection to the test database; on SQLite it waits for the write
/// lock a worker holds instead of failing at once.
pub fn open<C: TestBackend + OutboxConnection>(db: &TestDb<C>) -> C {
    let mut conn = db.raw();
    if <C as OutboxConnection>::KIND == hooks_outbox::BackendKind::Sqlite {
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "PRAGMA busy_timeout = 10000",
        )
        .expect("busy timeout");
    }
    conn
}

/// Adds the outbox table to a test database.
pub fn add_outbox<C: TestBackend + OutboxConnection>(db: &TestDb<C>) {
    hooks_outbox::migrate(&mut db.raw()).expect("outbox migrations");
}

/// Publishes `n` events on `topic` in one transaction, payload
/// `{"seq": i}`, keys `k{i % keys}`; returns their ids in order.
pub fn seed<C>(db: &TestDb<C>, n: usize, topic: &str, keys: usize) -> Vec<i64>
where
    C: TestBackend + OutboxConnection + hooks_diesel::InnerConnection,
{
    let mut conn = HookedConnection::new(open(db), Registry::new());
    let events: Vec<NewEvent> = (0..n)
        .map(|i| {
            NewEvent::new(
                topic,
                format!("k{}", i % keys.max(1)),
                &serde_json::json!({ "seq": i }),
            )
            .expect("payload")
        })
        .collect();
    conn.transaction::<_, hooks_outbox::Error, _>(|conn| conn.publish_all(events))
        .expect("publish");
    ids(&mut conn.into_inner(), PENDING)
}

/// Ids of the events in `state`, in order.
pub fn ids<C: OutboxConnection>(conn: &mut C, state: i16) -> Vec<i64> {
    rows(conn)
        .into_iter()
        .filter(|r| r.state == state)
        .map(|r| r.id)
        .collect()
}

/// Every outbox row, in id order.
pub fn rows<C: OutboxConnection>(conn: &mut C) -> Vec<OutboxRow> {
    conn.rows(None, i64::MAX).expect("read the outbox")
}

/// Pending and dead events.
pub fn counts<C: OutboxConnection>(conn: &mut C) -> (i64, i64) {
    (
        conn.count_state(PENDING).expect("count"),
        conn.count_state(DEAD).expect("count"),
    )
}

/// Waits until `done` holds, polling every 20 ms; panics after `limit`
/// saying `what`.
pub fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Deliveries seen by handlers: how often each seq was handled.
#[derive(Clone, Default)]
pub struct Tally(pub Arc<std::sync::Mutex<Vec<u32>>>);

impl Tally {
    pub fn new(n: usize) -> Self {
        Tally(Arc::new(std::sync::Mutex::new(vec![0; n])))
    }

    pub fn hit(&self, seq: usize) {
        self.0.lock().expect("tally")[seq] += 1;
    }

    /// (events never delivered, extra deliveries)
    pub fn lost_and_duplicates(&self) -> (usize, u64) {
        let counts = self.0.lock().expect("tally");
        let lost = counts.iter().filter(|c| **c == 0).count();
        let extra = counts.iter().map(|c| u64::from(c.saturating_sub(1))).sum();
        (lost, extra)
    }
}

/// The `seq` of a payload `{"seq": i}`.
pub fn seq_of(event: &hooks_outbox::Event) -> Result<usize, hooks_outbox::BoxError> {
    let value: serde_json::Value = event.payload()?;
    value["seq"]
        .as_u64()
        .map(|s| s as usize)
        .ok_or_else(|| format!("no seq in {}", event.payload).into())
}
