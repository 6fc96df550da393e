//! The relay to RabbitMQ, with publisher confirms.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};

use crate::event::Event;
use crate::worker::Outcome;
use crate::{Error, Result};

/// Publishes events to a RabbitMQ exchange: routing key = the topic,
/// `message_id` = the event id, persistent, `application/json`, mandatory
/// (an event no queue takes fails). An event is delivered once the broker
/// confirmed it (publisher confirms).
///
/// RabbitMQ has no de-duplication: a relay that dies after publishing and
/// before the events are removed publishes them again once its lease ends,
/// so queues hold each event at least once; consumers de-duplicate by
/// `message_id`.
///
/// ```no_run
/// use hooks_outbox::{relay::RabbitRelay, Outbox};
/// // The default exchange routes to the queue named by the topic.
/// let relay = RabbitRelay::connect("amqp://guest:guest@127.0.0.1:5672/%2f", "")?;
/// let running = Outbox::<diesel::sqlite::SqliteConnection>::builder("app.db")
///     .start(relay)?;
/// # Ok::<(), hooks_outbox::Error>(())
/// ```
#[derive(Clone)]
pub struct RabbitRelay {
    runtime: Arc<tokio::runtime::Runtime>,
    url: String,
    exchange: String,
    channel: Arc<Mutex<Option<(Connection, Channel)>>>,
}

impl std::fmt::Debug for RabbitRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitRelay")
            .field("exchange", &self.exchange)
            .finish_non_exhaustive()
    }
}

impl RabbitRelay {
    /// Connects to the broker at `url` (`amqp://user:password@host:port/vhost`)
    /// and opens a confirming channel; events go to `exchange` (`""`: the
    /// default exchange, which routes to the queue named by the topic).
    /// Each clone shares the connection; [`connect`](Self::connect) once
    /// per worker for a channel each.
    pub fn connect(url: &str, exchange: &str) -> Result<Self> {
        let runtime = super::runtime("RabbitMQ")?;
        let relay = RabbitRelay {
            runtime,
            url: url.to_string(),
            exchange: exchange.to_string(),
            channel: Arc::new(Mutex::new(None)),
        };
        let opened = relay.open()?;
        *relay.channel.lock().unwrap_or_else(|e| e.into_inner()) = Some(opened);
        Ok(relay)
    }

    fn open(&self) -> Result<(Connection, Channel)> {
        let unreachable = |reason: String| Error::BrokerUnreachable {
            broker: "RabbitMQ",
            url: redact(&self.url),
            reason,
        };
        self.runtime.block_on(async {
            let connection = tokio::time::timeout(
                Duration::from_secs(5),
                Connection::connect(&self.url, ConnectionProperties::default()),
            )
            .await
            .map_err(|_| unreachable("no answer within 5 s".into()))?
            .map_err(|e| unreachable(e.to_string()))?;
            let channel = connection
                .create_channel()
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            Ok((connection, channel))
        })
    }

    /// Publishes `events` and waits for the broker's confirms.
    pub fn publish(&self, events: &[Event], stop: &AtomicBool) -> Vec<Outcome> {
        let mut slot = self.channel.lock().unwrap_or_else(|e| e.into_inner());
        let connected = slot
            .as_ref()
            .is_some_and(|(_, channel)| channel.status().connected());
        if !connected {
            match self.open() {
                Ok(opened) => *slot = Some(opened),
                Err(error) => {
                    let error = error.to_string();
                    return events
                        .iter()
                        .map(|_| Outcome::Failed(error.clone()))
                        .collect();
                }
            }
        }
        let Some((_, channel)) = slot.as_ref() else {
            return Vec::new();
        };
        let send = async |event: &Event| {
            let properties = BasicProperties::default()
                .with_message_id(event.id.to_string().into())
                .with_content_type("application/json".into())
                .with_delivery_mode(2);
            channel
                .basic_publish(
                    self.exchange.as_str().into(),
                    event.topic.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    event.payload.as_bytes(),
                    properties,
                )
                .await
                .map_err(|e| Outcome::Failed(format!("RabbitMQ publish: {e}")))
        };
        let confirm = async |confirm: lapin::PublisherConfirm| match confirm.await {
            Ok(Confirmation::Ack(None)) => Outcome::Delivered,
            Ok(Confirmation::Ack(Some(_))) => Outcome::Failed(
                "RabbitMQ returned the message: no queue is bound for its topic".into(),
            ),
            Ok(Confirmation::Nack(_)) => {
                Outcome::Failed("RabbitMQ refused the message (nack)".into())
            }
            Ok(Confirmation::NotRequested) => {
                Outcome::Failed("publisher confirms are off on the channel".into())
            }
            Err(e) => Outcome::Failed(format!("RabbitMQ confirm: {e}")),
        };
        self.runtime
            .block_on(super::publish_each(events, stop, send, confirm))
    }
}

super::relay_sink!(RabbitRelay);

/// `url` without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let authority = &url[scheme + 3..at];
            match authority.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
