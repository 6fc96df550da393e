//! Relays: sinks that publish events to a broker, with the event id as the
//! message id, and report an event delivered once the broker confirmed it.
//!
//! Each relay runs its client on a small tokio runtime of its own (one
//! thread) and offers a blocking face to the worker threads.

#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;

#[cfg(feature = "nats")]
pub use nats::NatsRelay;
#[cfg(feature = "rabbitmq")]
pub use rabbitmq::RabbitRelay;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::event::Event;
use crate::worker::Outcome;
use crate::{Error, Result};

/// The relay's runtime: one worker thread drives the broker connection;
/// workers block on it.
pub(crate) fn runtime(broker: &'static str) -> Result<Arc<tokio::runtime::Runtime>> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(format!("outbox-{}", broker.to_lowercase()))
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| Error::Config(format!("cannot start the {broker} relay's runtime: {e}")))
}

/// Sends every event (`send`; the ones after `stop` is raised are not
/// attempted), then waits for the broker's confirmation of each
/// (`confirm`), so that a batch is one round of sends and one of
/// confirmations; the outcomes are in the events' order.
pub(crate) async fn publish_each<P>(
    events: &[Event],
    stop: &AtomicBool,
    mut send: impl AsyncFnMut(&Event) -> std::result::Result<P, Outcome>,
    mut confirm: impl AsyncFnMut(P) -> Outcome,
) -> Vec<Outcome> {
    let mut pending = Vec::with_capacity(events.len());
    for event in events {
        if stop.load(Ordering::Relaxed) {
            pending.push(Err(Outcome::NotAttempted));
        } else {
            pending.push(send(event).await);
        }
    }
    let mut outcomes = Vec::with_capacity(events.len());
    for sent in pending {
        outcomes.push(match sent {
            Ok(sent) => confirm(sent).await,
            Err(outcome) => outcome,
        });
    }
    outcomes
}

/// A relay is a sink that needs no connection: it publishes.
macro_rules! relay_sink {
    ($relay:ty) => {
        impl<C: Send + 'static> $crate::worker::Sink<C> for $relay {
            fn deliver(
                &mut self,
                _conn: &mut C,
                events: &[$crate::event::Event],
                stop: &std::sync::atomic::AtomicBool,
            ) -> Vec<$crate::worker::Outcome> {
                self.publish(events, stop)
            }
        }
    };
}
pub(crate) use relay_sink;
