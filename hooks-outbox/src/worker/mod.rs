//! Delivery: worker threads that claim batches of due events under a
//! lease, hand them to a [`Sink`], and remove, retry or bury them.

mod run;
mod sink;
mod wake;

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};

pub use sink::{BoxError, Handlers, Outcome, Sink};

use crate::clock::{Clock, SystemClock};
use crate::event::Event;
use crate::metrics::{Metrics, MetricsSnapshot};
use crate::retry::RetryPolicy;
use crate::store::{BackendKind, OutboxConnection};
use crate::{Error, Result};
use wake::Wake;

/// Called with the events a sink delivered, before they are removed.
pub type OnDelivered = Arc<dyn Fn(&[Event]) + Send + Sync>;

/// How an outbox delivers: see [`Outbox::builder`].
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) url: String,
    pub(crate) workers: usize,
    pub(crate) batch_size: i64,
    pub(crate) lease: Duration,
    pub(crate) poll_interval: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) ordered: bool,
    pub(crate) listen: bool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) on_delivered: Option<OnDelivered>,
    pub(crate) name: String,
    pub(crate) vacuum_every: u64,
}

/// Builds and starts the workers of an outbox on connections of type `C`.
///
/// ```no_run
/// use hooks_outbox::{Handlers, Outbox};
/// use std::time::Duration;
///
/// let handlers = Handlers::new().on("mail.welcome", |event| {
///     println!("{}", event.payload);
///     Ok(())
/// });
/// let outbox = Outbox::<diesel::sqlite::SqliteConnection>::builder("app.db")
///     .lease(Duration::from_secs(30))
///     .start(handlers)?;
/// // ... until the process stops:
/// outbox.shutdown();
/// # Ok::<(), hooks_outbox::Error>(())
/// ```
pub struct Outbox<C> {
    settings: Settings,
    _conn: PhantomData<fn() -> C>,
}

impl<C: OutboxConnection> Outbox<C> {
    /// Workers on the database at `url` (defaults: 1 worker, batches of
    /// 100, 30 s leases, polling every 500 ms, [`RetryPolicy::default`],
    /// no per-key ordering, `LISTEN/NOTIFY` wake-ups on PostgreSQL, the
    /// system clock).
    pub fn builder(url: impl Into<String>) -> Self {
        Outbox {
            settings: Settings {
                url: url.into(),
                workers: 1,
                batch_size: 100,
                lease: Duration::from_secs(30),
                poll_interval: Duration::from_millis(500),
                retry: RetryPolicy::default(),
                ordered: false,
                listen: C::KIND == BackendKind::Postgres,
                clock: Arc::new(SystemClock),
                on_delivered: None,
                name: default_name(),
                vacuum_every: 20_000,
            },
            _conn: PhantomData,
        }
    }

    /// How many worker threads (each with a connection of the pool). SQLite
    /// allows one.
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.settings.workers = workers;
        self
    }

    /// Events claimed at once by a worker.
    #[must_use]
    pub fn batch_size(mut self, events: usize) -> Self {
        self.settings.batch_size = i64::try_from(events.max(1)).unwrap_or(i64::MAX);
        self
    }

    /// How long a claim holds its events: a worker that dies has its events
    /// delivered again once the lease ends. Longer than a batch's
    /// delivery takes.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.settings.lease = lease;
        self
    }

    /// How long an idle worker waits before looking again (wake-ups come
    /// sooner on PostgreSQL).
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.settings.poll_interval = interval;
        self
    }

    /// Backoff and dead-lettering.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// Per-key ordering: events of one key are delivered in id order and
    /// never two at once (an event waits while an earlier one of its key
    /// is pending, retried or leased; a dead one no longer holds its key
    /// back).
    #[must_use]
    pub fn ordered_by_key(mut self, ordered: bool) -> Self {
        self.settings.ordered = ordered;
        self
    }

    /// Whether to wake on PostgreSQL notifications (default on PostgreSQL;
    /// ignored elsewhere).
    #[must_use]
    pub fn listen(mut self, listen: bool) -> Self {
        self.settings.listen = listen && C::KIND == BackendKind::Postgres;
        self
    }

    /// The clock workers read (tests move a [`ManualClock`](crate::ManualClock)).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.settings.clock = Arc::new(clock);
        self
    }

    /// Calls `f` with each batch's delivered events after the sink
    /// delivered them and before they are removed (latency measurement;
    /// tests that stop a worker right there).
    #[must_use]
    pub fn on_delivered(mut self, f: impl Fn(&[Event]) + Send + Sync + 'static) -> Self {
        self.settings.on_delivered = Some(Arc::new(f));
        self
    }

    /// PostgreSQL: a worker runs `VACUUM hooks_outbox` once this many
    /// events were removed since the last time and the workers have caught
    /// up (a claim found less than a full batch: a VACUUM reads the whole
    /// table, so while a backlog drains only every ten times this many).
    /// Default 20,000; 0: never, leave it to autovacuum. A queue table's space is reused only once vacuumed, and
    /// autovacuum looks at a table once a minute at most: without this, a
    /// steady flow grows the table by a minute's events or more. Needs the
    /// table's owner (a failure is logged once and turns it off).
    #[must_use]
    pub fn vacuum_every(mut self, events: u64) -> Self {
        self.settings.vacuum_every = events;
        self
    }

    /// The name leases are taken under (default: host process id and a
    /// start time); each worker adds its number.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.settings.name = name.into();
        self
    }

    /// Starts the workers, each with its own clone of `sink`.
    pub fn start<S: Sink<C> + Clone>(self, sink: S) -> Result<Running> {
        self.start_with(move |_| Ok(sink.clone()))
    }

    /// Starts the workers, worker `i` with the sink `make(i)` returns (a
    /// relay with a broker connection of its own).
    pub fn start_with<S: Sink<C>>(self, make: impl Fn(usize) -> Result<S>) -> Result<Running> {
        let settings = self.settings;
        if settings.workers == 0 {
            return Err(Error::Config("an outbox needs at least one worker".into()));
        }
        if C::KIND == BackendKind::Sqlite && settings.workers > 1 {
            return Err(Error::Config(format!(
                "SQLite has one writer at a time: run one outbox worker, not {}",
                settings.workers
            )));
        }
        let pool = Pool::builder()
            .max_size(u32::try_from(settings.workers).unwrap_or(u32::MAX))
            .connection_customizer(Box::new(Session))
            .build(ConnectionManager::<C>::new(settings.url.clone()))?;
        let shared = Arc::new(Shared {
            stop: Arc::new(AtomicBool::new(false)),
            wake: Arc::new(Wake::default()),
            metrics: Arc::new(Metrics::default()),
            since_vacuum: std::sync::atomic::AtomicU64::new(0),
        });
        let mut threads = Vec::new();
        if settings.listen {
            let (url, wake, stop) = (
                settings.url.clone(),
                Arc::clone(&shared.wake),
                Arc::clone(&shared.stop),
            );
            threads.push(
                std::thread::Builder::new()
                    .name("outbox-listen".into())
                    .spawn(move || wake::listen_postgres(url, wake, stop))
                    .map_err(|e| Error::Config(format!("cannot start a thread: {e}")))?,
            );
        }
        for index in 0..settings.workers {
            let sink = match make(index) {
                Ok(sink) => sink,
                Err(error) => {
                    stop_and_join(&shared, threads);
                    return Err(error);
                }
            };
            let worker = run::Worker::new(
                index,
                settings.clone(),
                pool.clone(),
                Arc::clone(&shared),
                sink,
            );
            threads.push(
                std::thread::Builder::new()
                    .name(format!("outbox-worker-{index}"))
                    .spawn(move || worker.run())
                    .map_err(|e| Error::Config(format!("cannot start a thread: {e}")))?,
            );
        }
        Ok(Running { shared, threads })
    }
}

/// What workers share.
pub(crate) struct Shared {
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) wake: Arc<Wake>,
    pub(crate) metrics: Arc<Metrics>,
    /// Events removed since the table was last vacuumed.
    pub(crate) since_vacuum: std::sync::atomic::AtomicU64,
}

/// Running workers; [`shutdown`](Self::shutdown) stops them (dropping it
/// does too).
pub struct Running {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Running {
    /// The counters so far.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.shared.metrics.snapshot()
    }

    /// Wakes idle workers now (an in-process publisher that just committed
    /// can call this where there are no notifications).
    pub fn wake(&self) {
        self.shared.wake.notify();
    }

    /// Stops the workers: each finishes the event in hand, gives back the
    /// leases of the events it has not started (they are due at once for
    /// the next worker, their attempt not counted), and ends. Returns the
    /// final counters.
    pub fn shutdown(mut self) -> MetricsSnapshot {
        stop_and_join(&self.shared, std::mem::take(&mut self.threads));
        self.shared.metrics.snapshot()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        stop_and_join(&self.shared, std::mem::take(&mut self.threads));
    }
}

fn stop_and_join(shared: &Shared, threads: Vec<JoinHandle<()>>) {
    shared.stop.store(true, Ordering::SeqCst);
    shared.wake.notify();
    for thread in threads {
        let _ = thread.join();
    }
}

fn default_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("pid{}-{nanos:x}", std::process::id())
}

/// Session settings of each pooled connection.
#[derive(Debug)]
struct Session;

impl<C: OutboxConnection> CustomizeConnection<C, diesel::r2d2::Error> for Session {
    fn on_acquire(&self, conn: &mut C) -> std::result::Result<(), diesel::r2d2::Error> {
        if C::KIND == BackendKind::Sqlite {
            conn.batch_execute("PRAGMA busy_timeout = 10000")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}
