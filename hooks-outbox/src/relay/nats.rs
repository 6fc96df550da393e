//! The relay to NATS JetStream.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::HeaderMap;

use crate::event::Event;
use crate::worker::Outcome;
use crate::{Error, Result};

/// Publishes events to a JetStream stream: subject `<prefix><topic>`,
/// header `Nats-Msg-Id` = the event id, payload = the event's JSON. An
/// event is delivered once JetStream acknowledged it (stored).
///
/// A relay that dies after publishing and before the events are removed
/// publishes them again once its lease ends; JetStream drops the second
/// copy when it comes within the stream's de-duplication window (set to
/// [`NatsRelay::DUPLICATE_WINDOW`] on the streams the relay creates), so
/// the stream holds each event once. Event ids are unique per outbox
/// table: relay each table to a stream of its own.
///
/// ```no_run
/// use hooks_outbox::{relay::NatsRelay, Outbox};
/// let relay = NatsRelay::connect("127.0.0.1:4222", "ORDERS", "orders.")?;
/// let running = Outbox::<diesel::sqlite::SqliteConnection>::builder("app.db")
///     .start(relay)?;
/// # Ok::<(), hooks_outbox::Error>(())
/// ```
#[derive(Clone)]
pub struct NatsRelay {
    runtime: Arc<tokio::runtime::Runtime>,
    jetstream: jetstream::Context,
    prefix: String,
    url: String,
}

impl std::fmt::Debug for NatsRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsRelay")
            .field("url", &self.url)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl NatsRelay {
    /// The de-duplication window of the streams the relay creates: longer
    /// than any lease.
    pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);

    /// Connects to the NATS server at `url` and makes sure stream `stream`
    /// exists, taking subjects `<prefix>>` (created with
    /// [`DUPLICATE_WINDOW`](Self::DUPLICATE_WINDOW) when missing; an
    /// existing stream keeps its own settings).
    pub fn connect(url: &str, stream: &str, prefix: &str) -> Result<Self> {
        let runtime = super::runtime("NATS")?;
        let unreachable = |reason: String| Error::BrokerUnreachable {
            broker: "NATS",
            url: url.to_string(),
            reason,
        };
        let jetstream = runtime.block_on(async {
            let client = tokio::time::timeout(Duration::from_secs(5), async_nats::connect(url))
                .await
                .map_err(|_| unreachable("no answer within 5 s".into()))?
                .map_err(|e| unreachable(e.to_string()))?;
            let jetstream = jetstream::new(client);
            jetstream
                .get_or_create_stream(jetstream::stream::Config {
                    name: stream.to_string(),
                    subjects: vec![format!("{prefix}>")],
                    duplicate_window: Self::DUPLICATE_WINDOW,
                    ..Default::default()
                })
                .await
                .map_err(|e| {
                    unreachable(format!("stream {stream}: {e} (is JetStream enabled?)"))
                })?;
            Ok::<_, Error>(jetstream)
        })?;
        Ok(NatsRelay {
            runtime,
            jetstream,
            prefix: prefix.to_string(),
            url: url.to_string(),
        })
    }

    /// Publishes `events` and waits for JetStream's acknowledgements.
    pub fn publish(&self, events: &[Event], stop: &AtomicBool) -> Vec<Outcome> {
        let send = async |event: &Event| {
            let mut headers = HeaderMap::new();
            headers.insert("Nats-Msg-Id", event.id.to_string().as_str());
            let subject = format!("{}{}", self.prefix, event.topic);
            self.jetstream
                .publish_with_headers(subject, headers, event.payload.clone().into())
                .await
                .map_err(|e| Outcome::Failed(format!("NATS publish: {e}")))
        };
        let confirm = async |ack: jetstream::context::PublishAckFuture| match ack.await {
            Ok(_) => Outcome::Delivered,
            Err(e) => Outcome::Failed(format!("JetStream did not acknowledge: {e}")),
        };
        self.runtime
            .block_on(super::publish_each(events, stop, send, confirm))
    }
}

super::relay_sink!(NatsRelay);
