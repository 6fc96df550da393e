//! Where workers deliver events: a [`Sink`], such as [`Handlers`] (Rust
//! functions per topic) or a broker relay.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use diesel::Connection;

use crate::event::Event;

/// An error a handler returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What became of one event handed to a sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered: the event is removed.
    Delivered,
    /// Failed with this error: tried again after a backoff, or dead.
    Failed(String),
    /// Not tried (the worker is stopping): its lease is given back.
    NotAttempted,
}

/// Where a worker delivers the events it claimed.
///
/// `deliver` gets a batch in id order (with per-key ordering, at most one
/// event per key) and returns one [`Outcome`] per event, in the same
/// order. It should stop early, answering [`Outcome::NotAttempted`] for the
/// rest, once `stop` is set.
pub trait Sink<C>: Send + 'static {
    /// True when `deliver`'s writes through `conn` must commit in the
    /// transaction that removes the delivered events (effects in the same
    /// database, exactly once); `deliver` then runs inside that transaction
    /// and must undo the writes of each event it reports failed (savepoints).
    fn in_transaction(&self) -> bool {
        false
    }

    /// Delivers `events`.
    fn deliver(&mut self, conn: &mut C, events: &[Event], stop: &AtomicBool) -> Vec<Outcome>;
}

type Plain = Arc<dyn Fn(&Event) -> Result<(), BoxError> + Send + Sync>;
type Effect<C> = Arc<dyn Fn(&mut C, &Event) -> Result<(), BoxError> + Send + Sync>;

enum Handler<C> {
    Plain(Plain),
    Effect(Effect<C>),
}

impl<C> Clone for Handler<C> {
    fn clone(&self) -> Self {
        match self {
            Handler::Plain(f) => Handler::Plain(Arc::clone(f)),
            Handler::Effect(f) => Handler::Effect(Arc::clone(f)),
        }
    }
}

/// In-process delivery: one Rust function per topic.
///
/// - [`on`](Self::on): a function of the event, at least once: it runs,
///   then the event is removed; a worker that dies in between (or whose
///   lease ends first) has the event delivered again.
/// - [`on_in_transaction`](Self::on_in_transaction): a function of the
///   event and a connection inside a transaction; its writes and the
///   event's removal commit together, so its effect on the database
///   happens exactly once (a worker that lost the lease rolls it back).
///
/// An `Err` or a panic fails the event (retried with backoff, then dead);
/// an event of a topic without a handler fails too.
///
/// ```
/// use hooks_outbox::Handlers;
/// let handlers = Handlers::<diesel::sqlite::SqliteConnection>::new()
///     .on("mail.welcome", |event| {
///         let user: u64 = event.payload()?;
///         println!("welcome mail to {user}");
///         Ok(())
///     });
/// assert!(handlers.handles("mail.welcome"));
/// ```
pub struct Handlers<C> {
    by_topic: HashMap<String, Handler<C>>,
    any: Option<Handler<C>>,
}

impl<C> Clone for Handlers<C> {
    fn clone(&self) -> Self {
        Handlers {
            by_topic: self.by_topic.clone(),
            any: self.any.clone(),
        }
    }
}

impl<C> Default for Handlers<C> {
    fn default() -> Self {
        Handlers {
            by_topic: HashMap::new(),
            any: None,
        }
    }
}

impl<C: Connection + Send + 'static> Handlers<C> {
    /// No handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Delivers events of `topic` to `f` (at least once).
    #[must_use]
    pub fn on(
        mut self,
        topic: impl Into<String>,
        f: impl Fn(&Event) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.by_topic
            .insert(topic.into(), Handler::Plain(Arc::new(f)));
        self
    }

    /// Delivers events of `topic` to `f` inside the transaction that
    /// removes them (effects in the same database, exactly once).
    #[must_use]
    pub fn on_in_transaction(
        mut self,
        topic: impl Into<String>,
        f: impl Fn(&mut C, &Event) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.by_topic
            .insert(topic.into(), Handler::Effect(Arc::new(f)));
        self
    }

    /// Delivers events of every topic without a handler of its own to `f`.
    #[must_use]
    pub fn on_any(
        mut self,
        f: impl Fn(&Event) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.any = Some(Handler::Plain(Arc::new(f)));
        self
    }

    /// Whether events of `topic` have a handler.
    pub fn handles(&self, topic: &str) -> bool {
        self.any.is_some() || self.by_topic.contains_key(topic)
    }

    fn run(&self, conn: &mut C, event: &Event) -> Outcome {
        let Some(handler) = self.by_topic.get(&event.topic).or(self.any.as_ref()) else {
            return Outcome::Failed(format!(
                "no handler for topic {:?}: add one with Handlers::on",
                event.topic
            ));
        };
        let result = match handler {
            Handler::Plain(f) => catch_unwind(AssertUnwindSafe(|| f(event))),
            Handler::Effect(f) => catch_unwind(AssertUnwindSafe(|| {
                // A savepoint per event: a failed event's writes are undone,
                // the others' stay in the batch's transaction.
                conn.transaction::<_, TxError, _>(|conn| f(conn, event).map_err(TxError::Handler))
                    .map_err(|e| match e {
                        TxError::Handler(e) => e,
                        TxError::Database(e) => Box::new(e) as BoxError,
                    })
            })),
        };
        match result {
            Ok(Ok(())) => Outcome::Delivered,
            Ok(Err(error)) => Outcome::Failed(error.to_string()),
            Err(panic) => Outcome::Failed(format!("handler panicked: {}", panic_text(&*panic))),
        }
    }
}

enum TxError {
    Handler(BoxError),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for TxError {
    fn from(error: diesel::result::Error) -> Self {
        TxError::Database(error)
    }
}

/// The message of a panic payload.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(not a string)".to_string())
}

impl<C: Connection + Send + 'static> Sink<C> for Handlers<C> {
    fn in_transaction(&self) -> bool {
        self.by_topic
            .values()
            .chain(self.any.iter())
            .any(|h| matches!(h, Handler::Effect(_)))
    }

    fn deliver(&mut self, conn: &mut C, events: &[Event], stop: &AtomicBool) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(events.len());
        for event in events {
            if stop.load(Ordering::Relaxed) {
                outcomes.push(Outcome::NotAttempted);
                continue;
            }
            outcomes.push(self.run(conn, event));
        }
        outcomes
    }
}
