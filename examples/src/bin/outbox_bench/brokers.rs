//! The brokers' side of a relay run: the stream or queue the run's events
//! go to, how many messages it holds at the end, and its removal.

use crate::sinks::{SinkKind, Target};
use hooks_examples::db::BoxError;

pub struct Broker {
    kind: SinkKind,
    target: Target,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Broker {
    /// Makes the RabbitMQ queue (the stream is made by the relay).
    pub fn prepare(kind: SinkKind, target: &Target) -> Result<Broker, BoxError> {
        let runtime = match kind {
            SinkKind::Inproc => None,
            _ => Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?,
            ),
        };
        let broker = Broker {
            kind,
            target: target.clone(),
            runtime,
        };
        if kind == SinkKind::Rabbitmq {
            broker.rabbit(|channel, queue| async move {
                channel
                    .queue_declare(
                        queue.as_str().into(),
                        lapin::options::QueueDeclareOptions::default(),
                        lapin::types::FieldTable::default(),
                    )
                    .await?;
                Ok(0)
            })?;
        }
        Ok(broker)
    }

    fn rabbit<F, Fut>(&self, f: F) -> Result<u64, BoxError>
    where
        F: FnOnce(lapin::Channel, String) -> Fut,
        Fut: std::future::Future<Output = Result<u64, lapin::Error>>,
    {
        let runtime = self.runtime.as_ref().ok_or("no runtime")?;
        runtime.block_on(async {
            let connection = lapin::Connection::connect(
                &self.target.amqp_url,
                lapin::ConnectionProperties::default(),
            )
            .await
            .map_err(|e| format!("RabbitMQ is unreachable at {}: {e}", self.target.amqp_url))?;
            let channel = connection.create_channel().await?;
            let n = f(channel, self.target.topic.clone()).await?;
            let _ = connection.close(0, "done".into()).await;
            Ok(n)
        })
    }

    /// Messages the broker holds for the run (None for in-process).
    pub fn held(&self) -> Result<Option<u64>, BoxError> {
        match self.kind {
            SinkKind::Inproc => Ok(None),
            SinkKind::Rabbitmq => self
                .rabbit(|channel, queue| async move {
                    let q = channel
                        .queue_declare(
                            queue.as_str().into(),
                            lapin::options::QueueDeclareOptions {
                                passive: true,
                                ..Default::default()
                            },
                            lapin::types::FieldTable::default(),
                        )
                        .await?;
                    Ok(u64::from(q.message_count()))
                })
                .map(Some),
            SinkKind::Nats => {
                let runtime = self.runtime.as_ref().ok_or("no runtime")?;
                runtime.block_on(async {
                    let client = async_nats::connect(&self.target.nats_url).await?;
                    let js = async_nats::jetstream::new(client);
                    let mut stream = js.get_stream(&self.target.stream).await?;
                    Ok(Some(stream.info().await?.state.messages))
                })
            }
        }
    }
}

/// The run's stream or queue is removed at the end, also after an error.
impl Drop for Broker {
    fn drop(&mut self) {
        match self.kind {
            SinkKind::Inproc => {}
            SinkKind::Rabbitmq => {
                let _ = self.rabbit(|channel, queue| async move {
                    channel
                        .queue_delete(queue.as_str().into(), Default::default())
                        .await
                        .map(u64::from)
                });
            }
            SinkKind::Nats => {
                if let Some(runtime) = &self.runtime {
                    let _ = runtime.block_on(async {
                        let client = async_nats::connect(&self.target.nats_url).await?;
                        let js = async_nats::jetstream::new(client);
                        js.delete_stream(&self.target.stream).await?;
                        Ok::<_, BoxError>(())
                    });
                }
            }
        }
    }
}
