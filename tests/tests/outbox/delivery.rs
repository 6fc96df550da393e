//! Delivery by worker threads: handlers, effects in the same database,
//! backoff and dead events on an injected clock, poison payloads, shutdown,
//! per-key order.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hooks_diesel::{HookedConnection, Registry};
use hooks_outbox::{Clock, Handlers, ManualClock, Outbox, Publish, RetryPolicy, SystemClock};
use hooks_tests::backend_suite;
use hooks_tests::schema::audit_log;

use crate::common::{add_outbox, counts, open, rows, seed, seq_of, wait_until, Tally};

const LIMIT: Duration = Duration::from_secs(60);

/// Workers a backend allows for these tests.
fn workers(backend: hooks_tests::BackendKind) -> usize {
    if backend == hooks_tests::BackendKind::Sqlite {
        1
    } else {
        4
    }
}

/// `next_attempt_at` of event `id`.
fn next_attempt_at<C: hooks_outbox::OutboxConnection>(conn: &mut C, id: i64) -> NaiveDateTime {
    rows(conn)
        .into_iter()
        .find(|r| r.id == id)
        .expect("the event")
        .next_attempt_at
}

fn close_to(a: NaiveDateTime, b: NaiveDateTime) -> bool {
    (a - b).num_milliseconds().abs() <= 2
}

backend_suite! {
    fn handlers_deliver_every_event_and_the_event_is_removed(db) {
        add_outbox(&db);
        seed(&db, 300, "t", 7);
        let tally = Tally::new(300);
        let seen = tally.clone();
        let running = Outbox::<Inner>::builder(db.url())
            .workers(workers(BACKEND))
            .batch_size(50)
            .poll_interval(Duration::from_millis(50))
            .start(Handlers::new().on("t", move |event| {
                seen.hit(seq_of(event)?);
                Ok(())
            }))
            .expect("start");
        let mut conn = open(&db);
        wait_until(LIMIT, "all delivered", || counts(&mut conn) == (0, 0));
        let metrics = running.shutdown();
        assert_eq!(tally.lost_and_duplicates(), (0, 0));
        assert_eq!(metrics.delivered, 300);
        assert_eq!(metrics.dead, 0);
    }

    fn effects_in_the_same_database_happen_once(db) {
        add_outbox(&db);
        seed(&db, 200, "audit", 5);
        // Every tenth event fails on its first attempt, after writing: its
        // write must be undone, and the retry write it once.
        let running = Outbox::<Inner>::builder(db.url())
            .workers(workers(BACKEND))
            .batch_size(40)
            .poll_interval(Duration::from_millis(20))
            .retry(RetryPolicy::default().backoff(Duration::from_millis(10), Duration::from_millis(10)))
            .start(Handlers::new().on_in_transaction("audit", |conn: &mut Inner, event| {
                let seq = seq_of(event)?;
                diesel::insert_into(audit_log::table)
                    .values((audit_log::account_id.eq(seq as i64), audit_log::action.eq("handled")))
                    .execute(conn)?;
                if seq % 10 == 0 && event.attempts == 1 {
                    return Err("first attempt fails after writing".into());
                }
                Ok(())
            }))
            .expect("start");
        let mut conn = open(&db);
        wait_until(LIMIT, "all delivered", || counts(&mut conn) == (0, 0));
        let metrics = running.shutdown();
        let mut written: Vec<i64> = audit_log::table
            .select(audit_log::account_id)
            .load(&mut conn)
            .expect("read effects");
        written.sort_unstable();
        assert_eq!(written, (0..200).collect::<Vec<i64>>(), "each effect exactly once");
        assert_eq!(metrics.retried, 20);
    }

    fn failures_back_off_on_the_clock_then_die_and_can_be_requeued(db) {
        add_outbox(&db);
        let id = seed(&db, 1, "mail", 1)[0];
        let clock = ManualClock::at(SystemClock.now() + chrono::Duration::seconds(1));
        let healthy = Arc::new(AtomicBool::new(false));
        let up = Arc::clone(&healthy);
        let running = Outbox::<Inner>::builder(db.url())
            .poll_interval(Duration::from_millis(20))
            .clock(clock.clone())
            .retry(
                RetryPolicy::default()
                    .max_attempts(3)
                    .backoff(Duration::from_secs(10), Duration::from_secs(60))
                    .jitter(0.0),
            )
            .start(Handlers::new().on("mail", move |_| {
                if up.load(Ordering::SeqCst) { Ok(()) } else { Err("smtp down".into()) }
            }))
            .expect("start");
        let mut conn = open(&db);
        let attempted = |conn: &mut Inner, n: i32| {
            rows(conn).first().is_some_and(|r| r.attempts == n && r.lease_owner.is_none())
        };
        for (attempt, delay) in [(1, 10), (2, 20)] {
            wait_until(LIMIT, "attempt failed", || attempted(&mut conn, attempt));
            let row = rows(&mut conn)[0].clone();
            assert_eq!(row.last_error.as_deref(), Some("smtp down"));
            let due = clock.now() + chrono::Duration::seconds(delay);
            let at = next_attempt_at(&mut conn, id);
            assert!(close_to(at, due), "attempt {attempt}: due {at}, expected {due}");
            // Not tried again before the clock gets there.
            std::thread::sleep(Duration::from_millis(150));
            assert!(attempted(&mut conn, attempt), "retried before its time");
            clock.advance(Duration::from_secs(delay as u64));
        }
        wait_until(LIMIT, "dead after 3 attempts", || counts(&mut conn) == (0, 1));
        let row = rows(&mut conn)[0].clone();
        assert_eq!((row.attempts, row.last_error.as_deref()), (3, Some("smtp down")));

        healthy.store(true, Ordering::SeqCst);
        assert_eq!(hooks_outbox::requeue_dead(&mut conn, Some(&[id])).expect("requeue"), 1);
        // Back to pending with its attempts reset, unless a worker polling
        // every 20 ms already took it (leased) or delivered it (gone).
        if let Some(row) = rows(&mut conn).first().filter(|r| r.lease_owner.is_none()) {
            assert_eq!((row.state, row.attempts), (0, 0));
        }
        wait_until(LIMIT, "delivered after requeue", || counts(&mut conn) == (0, 0));
        let metrics = running.shutdown();
        assert_eq!((metrics.retried, metrics.dead, metrics.delivered), (2, 1, 1));
    }

    fn a_poison_payload_dies_and_the_others_are_delivered(db) {
        add_outbox(&db);
        seed(&db, 20, "t", 3);
        let mut hooked = HookedConnection::new(open(&db), Registry::new());
        hooked.publish("t", "poison", "not an object").expect("publish");
        hooked.publish("t", "panics", &serde_json::json!({"seq": 999})).expect("publish");
        let tally = Tally::new(20);
        let seen = tally.clone();
        let running = Outbox::<Inner>::builder(db.url())
            .workers(workers(BACKEND))
            .poll_interval(Duration::from_millis(20))
            .retry(RetryPolicy::default().max_attempts(2).backoff(Duration::from_millis(10), Duration::from_millis(10)))
            .start(Handlers::new().on("t", move |event| {
                let seq = seq_of(event)?;
                assert!(seq != 999, "handler bug on this payload");
                seen.hit(seq);
                Ok(())
            }))
            .expect("start");
        let mut conn = open(&db);
        wait_until(LIMIT, "settled", || counts(&mut conn) == (0, 2));
        running.shutdown();
        assert_eq!(tally.lost_and_duplicates(), (0, 0));
        let errors: Vec<String> = rows(&mut conn).into_iter().filter_map(|r| r.last_error).collect();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].contains("no seq"), "{errors:?}");
        assert!(errors[1].contains("handler panicked") && errors[1].contains("handler bug"), "{errors:?}");
    }

    fn shutdown_gives_back_the_leases_of_unstarted_events(db) {
        add_outbox(&db);
        seed(&db, 10, "t", 10);
        let (started, wait) = mpsc::channel();
        let started = Mutex::new(started);
        let running = Outbox::<Inner>::builder(db.url())
            .batch_size(10)
            .start(Handlers::new().on("t", move |_| {
                let _ = started.lock().expect("sender").send(());
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            }))
            .expect("start");
        wait.recv_timeout(LIMIT).expect("the first event started");
        let metrics = running.shutdown();
        assert_eq!((metrics.delivered, metrics.released), (1, 9));
        let mut conn = open(&db);
        let left = rows(&mut conn);
        assert_eq!(left.len(), 9);
        assert!(left.iter().all(|r| r.lease_owner.is_none() && r.attempts == 0), "{left:?}");
    }
}

mod ordered {
    use super::*;

    backend_suite! {
        backends(postgres, mysql);

        fn events_of_a_key_are_delivered_in_order_one_at_a_time_under_eight_workers(db) {
            add_outbox(&db);
            let (keys, per_key) = (20, 20);
            seed(&db, keys * per_key, "t", keys);
            let order: Arc<Mutex<HashMap<String, Vec<usize>>>> = Arc::default();
            let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
            let overlaps = Arc::new(Mutex::new(Vec::new()));
            let (o, f, v) = (Arc::clone(&order), Arc::clone(&in_flight), Arc::clone(&overlaps));
            let running = Outbox::<Inner>::builder(db.url())
                .workers(8)
                .batch_size(10)
                .ordered_by_key(true)
                .poll_interval(Duration::from_millis(10))
                .start(Handlers::new().on("t", move |event| {
                    if !f.lock().expect("in flight").insert(event.key.clone()) {
                        v.lock().expect("overlaps").push(event.key.clone());
                    }
                    std::thread::sleep(Duration::from_millis(1));
                    o.lock().expect("order").entry(event.key.clone()).or_default().push(seq_of(event)?);
                    f.lock().expect("in flight").remove(&event.key);
                    Ok(())
                }))
                .expect("start");
            let mut conn = open(&db);
            wait_until(LIMIT, "all delivered", || counts(&mut conn) == (0, 0));
            running.shutdown();
            assert!(overlaps.lock().expect("overlaps").is_empty(), "a key was delivered twice at once");
            let order = order.lock().expect("order");
            assert_eq!(order.len(), keys);
            for (key, seqs) in order.iter() {
                let k: usize = key[1..].parse().expect("key");
                let expected: Vec<usize> = (0..per_key).map(|i| i * keys + k).collect();
                assert_eq!(seqs, &expected, "key {key} out of order");
            }
        }
    }
}
