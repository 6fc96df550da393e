//! The relays against the real brokers: a relay process killed after the
//! broker confirmed a batch and before the batch was removed publishes it
//! again; JetStream keeps each event once (the event id is the message
//! id), RabbitMQ's queue holds the batch twice (counted).

use std::collections::HashMap;
use std::time::Duration;

use hooks_outbox::relay::{NatsRelay, RabbitRelay};
use hooks_outbox::Outbox;
use hooks_tests::TestDb;

use crate::child::{Orders, Worker};
use crate::common::{add_outbox, counts, open, seed, wait_until};

type Pg = diesel::pg::PgConnection;

const N: usize = 300;

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{nanos}", std::process::id())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

enum Broker {
    Stream(String),
    Queue(String),
}

/// Removes the test's stream or queue when the test ends, passed or not.
struct Removes(Broker);

impl Drop for Removes {
    fn drop(&mut self) {
        let rt = runtime();
        match &self.0 {
            Broker::Stream(name) => {
                let _ = rt.block_on(async {
                    let client = async_nats::connect("127.0.0.1:4222").await?;
                    async_nats::jetstream::new(client)
                        .delete_stream(name)
                        .await?;
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
                });
            }
            Broker::Queue(name) => {
                let _ = rt.block_on(async {
                    let connection = lapin::Connection::connect(
                        "amqp://guest:guest@127.0.0.1:5672/%2f",
                        lapin::ConnectionProperties::default(),
                    )
                    .await?;
                    let channel = connection.create_channel().await?;
                    channel
                        .queue_delete(
                            name.as_str().into(),
                            lapin::options::QueueDeleteOptions::default(),
                        )
                        .await?;
                    connection.close(0, "done".into()).await
                });
            }
        }
    }
}

/// Kills a relay process after its second batch (of 50) was confirmed,
/// then relays the rest in this process; returns the ids the killed relay
/// had published but not removed.
fn relay_with_a_kill(
    db: &TestDb<Pg>,
    sink: &str,
    nats: &str,
    start: impl FnOnce() -> hooks_outbox::Running,
) -> Vec<i64> {
    let told = Worker::spawn(&Orders {
        url: db.url(),
        backend: "postgres",
        sink,
        kill_at: 2,
        deliveries: "",
        nats,
        batch: 50,
    })
    .kill_when_told();
    let unremoved: Vec<i64> = told.split(',').map(|id| id.parse().expect("id")).collect();
    let mut conn = open(db);
    assert_eq!(
        counts(&mut conn),
        ((N - 50) as i64, 0),
        "the killed batch is still there"
    );
    let running = start();
    wait_until(Duration::from_secs(60), "all relayed", || {
        counts(&mut conn) == (0, 0)
    });
    let metrics = running.shutdown();
    assert_eq!(metrics.delivered, (N - 50) as u64);
    unremoved
}

#[test]
fn jetstream_holds_each_event_once_after_a_relay_killed_between_publish_and_remove() {
    let db = TestDb::<Pg>::new();
    add_outbox(&db);
    let ids = seed(&db, N, "t", 10);
    let stream = unique("HOOKS_TEST").to_uppercase();
    let _removed = Removes(Broker::Stream(stream.clone()));
    let prefix = format!("{}.", unique("hooks_test"));
    let unremoved = relay_with_a_kill(&db, "nats", &format!("{stream} {prefix}"), || {
        let relay = NatsRelay::connect("127.0.0.1:4222", &stream, &prefix).expect("NATS");
        Outbox::<Pg>::builder(db.url())
            .batch_size(50)
            .poll_interval(Duration::from_millis(20))
            .start(relay)
            .expect("start")
    });
    assert_eq!(unremoved.len(), 50);

    let rt = runtime();
    let stored = rt.block_on(async {
        let client = async_nats::connect("127.0.0.1:4222")
            .await
            .expect("NATS is unreachable at 127.0.0.1:4222");
        let js = async_nats::jetstream::new(client);
        let mut s = js.get_stream(&stream).await.expect("stream");
        let messages = s.info().await.expect("stream info").state.messages;
        // Each event's id, read back from the stream.
        let mut seen = HashMap::<i64, u32>::new();
        for seq in 1..=messages {
            let message = s.get_raw_message(seq).await.expect("message");
            let id: i64 = message
                .headers
                .get("Nats-Msg-Id")
                .expect("message id")
                .as_str()
                .parse()
                .expect("id");
            *seen.entry(id).or_default() += 1;
        }
        (messages, seen)
    });
    let (messages, seen) = stored;
    assert_eq!(messages, N as u64, "JetStream holds each event once");
    let mut stored_ids: Vec<i64> = seen.keys().copied().collect();
    stored_ids.sort_unstable();
    assert_eq!(stored_ids, ids);
}

#[test]
fn rabbitmq_holds_each_event_at_least_once_after_a_relay_killed_between_publish_and_remove() {
    use lapin::options::{BasicGetOptions, QueueDeclareOptions};
    use lapin::types::FieldTable;

    let db = TestDb::<Pg>::new();
    add_outbox(&db);
    let queue = unique("hooks_test");
    let _removed = Removes(Broker::Queue(queue.clone()));
    let rt = runtime();
    let (connection, channel) = rt.block_on(async {
        let connection = lapin::Connection::connect(
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            lapin::ConnectionProperties::default(),
        )
        .await
        .expect("RabbitMQ is unreachable at 127.0.0.1:5672");
        let channel = connection.create_channel().await.expect("channel");
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("declare the test queue");
        (connection, channel)
    });
    // The default exchange routes each event to the queue named by its topic.
    let ids = seed(&db, N, &queue, 10);
    let unremoved = relay_with_a_kill(&db, "rabbitmq", "", || {
        let relay =
            RabbitRelay::connect("amqp://guest:guest@127.0.0.1:5672/%2f", "").expect("RabbitMQ");
        Outbox::<Pg>::builder(db.url())
            .batch_size(50)
            .poll_interval(Duration::from_millis(20))
            .start(relay)
            .expect("start")
    });

    let seen = rt.block_on(async {
        let mut seen = HashMap::<i64, u32>::new();
        while let Some(message) = channel
            .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .expect("get")
        {
            let id: i64 = message
                .properties
                .message_id()
                .as_ref()
                .expect("message id")
                .as_str()
                .parse()
                .expect("id");
            *seen.entry(id).or_default() += 1;
        }
        let _ = connection.close(0, "done".into()).await;
        seen
    });
    let mut stored_ids: Vec<i64> = seen.keys().copied().collect();
    stored_ids.sort_unstable();
    assert_eq!(stored_ids, ids, "every event at least once");
    let mut twice: Vec<i64> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    twice.sort_unstable();
    assert_eq!(
        twice, unremoved,
        "duplicates: exactly the batch the killed relay never removed"
    );
    assert!(seen.values().all(|n| *n <= 2));
}
