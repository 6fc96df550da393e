//! The errors of the outbox.

/// What went wrong in the outbox; each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A payload could not be turned into JSON (publishing), or an event's
    /// JSON into the type asked for (delivering).
    #[error("the event payload is not the JSON asked for: {0} (check the payload's type)")]
    Payload(#[from] serde_json::Error),
    /// A statement on the outbox table failed.
    #[error(
        "outbox statement failed: {0} (is the outbox table migrated? see hooks_outbox::migrations)"
    )]
    Database(#[from] diesel::result::Error),
    /// The database could not be reached.
    #[error("cannot connect to the outbox database: {0} (check the URL and that the server runs)")]
    Connect(String),
    /// The outbox migrations failed.
    #[error("outbox migrations failed: {0}")]
    Migration(String),
    /// A broker could not be reached or refused the relay's setup.
    #[error("{broker} is unreachable at {url}: {reason} (start it, or give the relay the URL of a running server)")]
    BrokerUnreachable {
        /// `NATS` or `RabbitMQ`.
        broker: &'static str,
        /// Where the relay tried.
        url: String,
        /// What the client said.
        reason: String,
    },
    /// A setting the outbox cannot work with.
    #[error("invalid outbox configuration: {0}")]
    Config(String),
}

impl From<r2d2::Error> for Error {
    fn from(error: r2d2::Error) -> Self {
        Error::Connect(error.to_string())
    }
}

/// The outbox's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
