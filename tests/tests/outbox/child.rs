//! A worker process for the tests that kill one: this test binary run
//! again with one `#[ignore]`d test, `child::worker`, told what to do by
//! the environment. It prints `KILL <detail>` at the moment the parent is
//! to kill it, and then waits to be killed.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use hooks_outbox::relay::{NatsRelay, RabbitRelay};
use hooks_outbox::{Handlers, Outbox, OutboxConnection};

use crate::common::seq_of;

/// What the child is told.
pub struct Orders<'a> {
    pub url: &'a str,
    /// `postgres` or `mysql`.
    pub backend: &'a str,
    /// `handlers` (each handled seq appended to `deliveries`), `nats`
    /// (`stream prefix`) or `rabbitmq`.
    pub sink: &'a str,
    /// Handlers: be killed after handling this many events (mid-batch);
    /// relays: after this many batches confirmed, before they are removed.
    pub kill_at: usize,
    pub deliveries: &'a str,
    pub nats: &'a str,
    pub batch: usize,
}

/// A killable child process running a worker.
pub struct Worker {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Worker {
    /// Starts the child.
    pub fn spawn(orders: &Orders<'_>) -> Worker {
        let exe = std::env::current_exe().expect("the test binary");
        let mut child = Command::new(exe)
            .args([
                "child::worker",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("HOOKS_OUTBOX_CHILD", "1")
            .env("HOOKS_OUTBOX_CHILD_URL", orders.url)
            .env("HOOKS_OUTBOX_CHILD_BACKEND", orders.backend)
            .env("HOOKS_OUTBOX_CHILD_SINK", orders.sink)
            .env("HOOKS_OUTBOX_CHILD_KILL_AT", orders.kill_at.to_string())
            .env("HOOKS_OUTBOX_CHILD_DELIVERIES", orders.deliveries)
            .env("HOOKS_OUTBOX_CHILD_NATS", orders.nats)
            .env("HOOKS_OUTBOX_CHILD_BATCH", orders.batch.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the worker process");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Worker { child, lines }
    }

    /// Waits for the child's `KILL` line, kills the child with SIGKILL and
    /// returns what the line said.
    pub fn kill_when_told(mut self) -> String {
        let told = loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                // The harness's `test child::worker ... ` may precede it.
                Ok(line) if line.contains("KILL ") => {
                    let at = line.find("KILL ").unwrap_or(0) + 5;
                    break line[at..].to_string();
                }
                Ok(_) => {}
                Err(error) => {
                    let _ = self.child.kill();
                    panic!("the worker process never got to the kill point ({error})");
                }
            }
        };
        self.child.kill().expect("SIGKILL the worker");
        let status = self.child.wait().expect("reap the worker");
        assert!(
            !status.success(),
            "the worker was killed, not finished: {status}"
        );
        told
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn kill_me(detail: String) -> ! {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "KILL {detail}");
    let _ = out.flush();
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

fn run<C: OutboxConnection>() {
    let url = env("HOOKS_OUTBOX_CHILD_URL");
    let kill_at: usize = env("HOOKS_OUTBOX_CHILD_KILL_AT").parse().expect("KILL_AT");
    let batch: usize = env("HOOKS_OUTBOX_CHILD_BATCH").parse().expect("BATCH");
    let builder = Outbox::<C>::builder(url)
        .batch_size(batch)
        .lease(Duration::from_millis(1500))
        .poll_interval(Duration::from_millis(20));
    let running = match env("HOOKS_OUTBOX_CHILD_SINK").as_str() {
        "handlers" => {
            let path = env("HOOKS_OUTBOX_CHILD_DELIVERIES");
            let handled = Arc::new(AtomicUsize::new(0));
            builder.start(Handlers::new().on("t", move |event| {
                let seq = seq_of(event)?;
                let mut file = std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)?;
                file.write_all(format!("{seq}\n").as_bytes())?;
                if handled.fetch_add(1, Ordering::SeqCst) + 1 == kill_at {
                    kill_me(format!("after seq {seq}"));
                }
                Ok(())
            }))
        }
        sink => {
            let batches = Arc::new(AtomicUsize::new(0));
            let builder = builder.on_delivered(move |events| {
                if batches.fetch_add(1, Ordering::SeqCst) + 1 == kill_at {
                    let ids: Vec<String> = events.iter().map(|e| e.id.to_string()).collect();
                    kill_me(ids.join(","));
                }
            });
            if sink == "nats" {
                let nats = env("HOOKS_OUTBOX_CHILD_NATS");
                let (stream, prefix) = nats.split_once(' ').expect("stream and prefix");
                builder.start(NatsRelay::connect("127.0.0.1:4222", stream, prefix).expect("NATS"))
            } else {
                builder.start(
                    RabbitRelay::connect("amqp://guest:guest@127.0.0.1:5672/%2f", "")
                        .expect("RabbitMQ"),
                )
            }
        }
    }
    .expect("start the child's worker");
    std::thread::sleep(Duration::from_secs(90));
    drop(running);
    panic!("the child's worker never reached its kill point");
}

/// The child's body; does nothing in an ordinary test run.
#[test]
#[ignore = "run by the kill tests as a child process"]
fn worker() {
    if std::env::var("HOOKS_OUTBOX_CHILD").is_err() {
        return;
    }
    match env("HOOKS_OUTBOX_CHILD_BACKEND").as_str() {
        "postgres" => run::<diesel::pg::PgConnection>(),
        "mysql" => run::<diesel::mysql::MysqlConnection>(),
        other => panic!("no such backend {other:?}"),
    }
}
