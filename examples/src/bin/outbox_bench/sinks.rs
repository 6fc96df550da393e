//! The three sinks, started in this process or in a worker process of the
//! benchmark's own (`--chaos`).

use std::sync::Arc;
use std::time::Duration;

use diesel::pg::PgConnection;
use hooks_outbox::relay::{NatsRelay, RabbitRelay};
use hooks_outbox::{Handlers, Outbox, Running};

use crate::record::{append, now_us, seq_of, Record};

/// Which sink the run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SinkKind {
    /// In-process handlers (a no-op handler).
    Inproc,
    /// The relay to NATS JetStream.
    Nats,
    /// The relay to RabbitMQ.
    Rabbitmq,
}

impl SinkKind {
    pub fn name(self) -> &'static str {
        match self {
            SinkKind::Inproc => "inproc",
            SinkKind::Nats => "nats",
            SinkKind::Rabbitmq => "rabbitmq",
        }
    }
}

/// Where the run's events go on the brokers.
#[derive(Clone, Debug)]
pub struct Target {
    pub nats_url: String,
    pub stream: String,
    pub prefix: String,
    pub amqp_url: String,
    /// The topic: also the RabbitMQ queue (default exchange).
    pub topic: String,
}

/// How workers run.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub url: String,
    pub workers: usize,
    pub batch: usize,
    pub lease: Duration,
}

/// What each worker does with a delivered batch.
pub enum Recorder {
    /// This process's record.
    Memory(Arc<Record>),
    /// A worker process's file.
    File(std::path::PathBuf),
}

/// Starts the workers of `sink`.
pub fn start(
    sink: SinkKind,
    settings: &WorkerSettings,
    target: &Target,
    recorder: Recorder,
) -> Result<Running, hooks_outbox::Error> {
    let on_delivered: hooks_outbox::OnDelivered = match recorder {
        Recorder::Memory(record) => Arc::new(move |events: &[hooks_outbox::Event]| {
            let at = now_us();
            for event in events {
                if let Some(seq) = seq_of(event) {
                    record.delivered(seq, at);
                }
            }
        }),
        Recorder::File(path) => {
            let file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .map_err(|e| hooks_outbox::Error::Config(format!("{}: {e}", path.display())))?;
            let file = std::sync::Mutex::new(file);
            Arc::new(move |events: &[hooks_outbox::Event]| {
                if let Ok(mut file) = file.lock() {
                    append(&mut file, events);
                }
            })
        }
    };
    let builder = Outbox::<PgConnection>::builder(&settings.url)
        .workers(settings.workers)
        .batch_size(settings.batch)
        .lease(settings.lease)
        .poll_interval(Duration::from_millis(200))
        .on_delivered(move |events| on_delivered(events));
    match sink {
        SinkKind::Inproc => {
            builder.start(Handlers::new().on(target.topic.clone(), |_event| Ok(())))
        }
        SinkKind::Nats => {
            let target = target.clone();
            builder.start_with(move |_| {
                NatsRelay::connect(&target.nats_url, &target.stream, &target.prefix)
            })
        }
        SinkKind::Rabbitmq => {
            let target = target.clone();
            builder.start_with(move |_| RabbitRelay::connect(&target.amqp_url, ""))
        }
    }
}
