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

use std::sync::Arc;

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
