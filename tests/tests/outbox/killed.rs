//! A worker process killed with SIGKILL in the middle of a batch: once its
//! lease ends, every event is delivered by another worker; nothing is lost,
//! and the only duplicates are the events the killed worker handled but
//! never removed.

use std::time::Duration;

use hooks_outbox::{Handlers, Outbox};
use hooks_tests::backend_suite;

use crate::child::{Orders, Worker};
use crate::common::{add_outbox, counts, open, rows, seed, seq_of, wait_until, Tally};

backend_suite! {
    backends(postgres, mysql);

    fn a_worker_killed_mid_batch_loses_nothing(db) {
        add_outbox(&db);
        let n = 500;
        seed(&db, n, "t", 50);
        let deliveries = std::env::temp_dir().join(format!(
            "hooks_outbox_kill_{}_{:?}.txt",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_file(&deliveries);
        let backend = if BACKEND == hooks_tests::BackendKind::Postgres { "postgres" } else { "mysql" };
        // Batches of 50; killed after 75 events: in the middle of the
        // second batch, 25 of its events handled and none removed.
        Worker::spawn(&Orders {
            url: db.url(),
            backend,
            sink: "handlers",
            kill_at: 75,
            deliveries: &deliveries.to_string_lossy(),
            nats: "",
            batch: 50,
        })
        .kill_when_told();

        let mut conn = open(&db);
        let leased = rows(&mut conn).iter().filter(|r| r.lease_owner.is_some()).count();
        assert_eq!(leased, 50, "the killed worker's batch is still leased");
        assert_eq!(counts(&mut conn), (450, 0), "the first batch was removed");

        let tally = Tally::new(n);
        let handled_by_child = std::fs::read_to_string(&deliveries).expect("the child's deliveries");
        let _ = std::fs::remove_file(&deliveries);
        for seq in handled_by_child.lines() {
            tally.hit(seq.parse().expect("seq"));
        }
        let seen = tally.clone();
        let running = Outbox::<Inner>::builder(db.url())
            .workers(2)
            .batch_size(50)
            .poll_interval(Duration::from_millis(50))
            .start(Handlers::new().on("t", move |event| {
                seen.hit(seq_of(event)?);
                Ok(())
            }))
            .expect("start");
        // The killed batch comes back when its lease (1.5 s) ends.
        wait_until(Duration::from_secs(60), "all delivered", || counts(&mut conn) == (0, 0));
        let metrics = running.shutdown();
        assert_eq!(tally.lost_and_duplicates(), (0, 25), "nothing lost; the 25 handled events of the killed batch again");
        assert_eq!(metrics.delivered, 450);
    }
}
