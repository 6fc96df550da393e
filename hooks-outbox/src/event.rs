//! Events: what is published, and what workers deliver.

use chrono::NaiveDateTime;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Result;

/// An event to be written to the outbox: its topic, its key and its
/// payload as JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// What the event is about (`accounts.status`); handlers and broker
    /// subjects are chosen by it.
    pub topic: String,
    /// The key (`Account:42`): with per-key ordering, events of one key are
    /// delivered in the order they were written, one at a time.
    pub key: String,
    /// The payload, JSON text.
    pub payload: String,
}

impl NewEvent {
    /// An event with `payload` serialised as JSON.
    ///
    /// ```
    /// let event = hooks_outbox::NewEvent::new("mail", "user:7", &serde_json::json!({"to": 7}))?;
    /// assert_eq!(event.payload, r#"{"to":7}"#);
    /// # Ok::<(), hooks_outbox::Error>(())
    /// ```
    pub fn new<P: Serialize + ?Sized>(
        topic: impl Into<String>,
        key: impl Into<String>,
        payload: &P,
    ) -> Result<Self> {
        Ok(NewEvent {
            topic: topic.into(),
            key: key.into(),
            payload: serde_json::to_string(payload)?,
        })
    }
}

/// An event as a worker delivers it.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct Event {
    /// The event's id: ordered, unique; the message id on brokers.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Its topic.
    #[diesel(sql_type = Text)]
    pub topic: String,
    /// Its key.
    #[diesel(sql_type = Text, column_name = event_key)]
    pub key: String,
    /// Its payload, JSON text.
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// When it was written (UTC).
    #[diesel(sql_type = Timestamp)]
    pub created_at: NaiveDateTime,
    /// Deliveries begun, this one included (1 on the first).
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

impl Event {
    /// The payload, deserialised.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_str(&self.payload)?)
    }
}

/// A row of the outbox table, as [`OutboxConnection::rows`](crate::OutboxConnection::rows)
/// reads it (to look at dead events, or in tests).
#[derive(Clone, Debug, PartialEq, Eq, diesel::Queryable)]
pub struct OutboxRow {
    /// The event's id.
    pub id: i64,
    /// Its topic.
    pub topic: String,
    /// Its key.
    pub key: String,
    /// Its payload, JSON text.
    pub payload: String,
    /// When it was written (UTC).
    pub created_at: NaiveDateTime,
    /// Deliveries begun.
    pub attempts: i32,
    /// Not delivered before this (UTC).
    pub next_attempt_at: NaiveDateTime,
    /// The worker holding its lease, if any.
    pub lease_owner: Option<String>,
    /// When that lease ends (UTC).
    pub lease_expires_at: Option<NaiveDateTime>,
    /// The last delivery's error.
    pub last_error: Option<String>,
    /// [`PENDING`](crate::schema::PENDING) or [`DEAD`](crate::schema::DEAD).
    pub state: i16,
}
