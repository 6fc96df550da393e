//! Eight workers over many events: each delivered at least once, and
//! duplicates only where a lease ended before its batch was settled.
//!
//! 100,000 events (about 10 s per backend in a debug build on 2 shared
//! cores); `HOOKS_OUTBOX_EVENTS=20000` runs fewer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hooks_outbox::{Handlers, Outbox};
use hooks_tests::backend_suite;

use crate::common::{add_outbox, counts, open, seed, seq_of, wait_until, Tally};

fn events() -> usize {
    std::env::var("HOOKS_OUTBOX_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

backend_suite! {
    backends(postgres, mysql);

    fn eight_workers_deliver_every_event_at_least_once(db) {
        add_outbox(&db);
        let n = events();
        seed(&db, n, "load", 1000);
        let tally = Tally::new(n);
        let seen = tally.clone();
        // Deliveries of events claimed before (attempt > 1): the only ones
        // that may be duplicates.
        let reclaimed = Arc::new(AtomicU64::new(0));
        let again = Arc::clone(&reclaimed);
        let start = Instant::now();
        let running = Outbox::<Inner>::builder(db.url())
            .workers(8)
            .batch_size(200)
            .lease(Duration::from_secs(20))
            .poll_interval(Duration::from_millis(20))
            .start(Handlers::new().on("load", move |event| {
                if event.attempts > 1 {
                    again.fetch_add(1, Ordering::Relaxed);
                }
                seen.hit(seq_of(event)?);
                Ok(())
            }))
            .expect("start");
        let mut conn = open(&db);
        wait_until(Duration::from_secs(120), "all delivered", || counts(&mut conn) == (0, 0));
        let metrics = running.shutdown();
        let (lost, duplicates) = tally.lost_and_duplicates();
        let reclaimed = reclaimed.load(Ordering::Relaxed);
        eprintln!(
            "outbox load {BACKEND:?}: {n} events, 8 workers, {:.1} s, duplicates={duplicates} \
             reclaimed={reclaimed}",
            start.elapsed().as_secs_f64()
        );
        assert_eq!(lost, 0, "every event delivered");
        assert!(duplicates <= reclaimed, "duplicates ({duplicates}) only of reclaimed events ({reclaimed})");
        assert_eq!(metrics.delivered, n as u64 + duplicates);
    }
}
