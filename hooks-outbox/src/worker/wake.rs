//! Waking idle workers: a generation counter under a condition variable,
//! bumped by PostgreSQL notifications (`LISTEN hooks_outbox`, sent by the
//! table's trigger at each commit that wrote events) or by shutdown.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Idle workers wait here.
#[derive(Debug, Default)]
pub(crate) struct Wake {
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Wake {
    /// The current generation, read before looking for work.
    pub(crate) fn generation(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every waiting worker.
    pub(crate) fn notify(&self) {
        let mut generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        *generation += 1;
        self.changed.notify_all();
    }

    /// Waits until the generation moves past `seen`, or `timeout`.
    pub(crate) fn wait(&self, seen: u64, timeout: Duration) {
        let generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .changed
            .wait_timeout_while(generation, timeout, |g| *g == seen);
    }
}

/// Listens for the outbox's notifications on a connection of its own and
/// wakes the workers; reconnects after errors. Returns when `stop` is set.
#[cfg(feature = "postgres")]
pub(crate) fn listen_postgres(url: String, wake: Arc<Wake>, stop: Arc<AtomicBool>) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    use std::sync::atomic::Ordering;

    // How often the socket is checked for notifications (no round trip:
    // libpq reads what arrived).
    const CHECK: Duration = Duration::from_millis(1);
    while !stop.load(Ordering::Relaxed) {
        let mut conn = match diesel::pg::PgConnection::establish(&url) {
            Ok(conn) => conn,
            Err(error) => {
                tracing::warn!(%error, "outbox listener cannot connect; workers poll meanwhile");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if let Err(error) = conn.batch_execute("LISTEN hooks_outbox") {
            tracing::warn!(%error, "outbox listener: LISTEN failed; workers poll meanwhile");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        // Events committed while the listener was away.
        wake.notify();
        'listening: while !stop.load(Ordering::Relaxed) {
            let mut woke = false;
            for notification in conn.notifications_iter() {
                match notification {
                    Ok(_) => woke = true,
                    Err(error) => {
                        tracing::warn!(%error, "outbox listener lost its connection; reconnecting");
                        break 'listening;
                    }
                }
            }
            if woke {
                wake.notify();
            }
            std::thread::sleep(CHECK);
        }
    }
}

#[cfg(not(feature = "postgres"))]
#[allow(dead_code)]
pub(crate) fn listen_postgres(_url: String, _wake: Arc<Wake>, _stop: Arc<AtomicBool>) {}
