//! The outbox benchmark (PostgreSQL): events published in transactions and
//! delivered by one of the three sinks, one line per run:
//!
//! ```text
//! outbox sink=inproc backend=postgres workers=4 events=100000 published_per_s=.. delivered_per_s=..
//!     delivered=.. duplicates=.. lost=.. p50_ms=.. p99_ms=.. publish_overhead=.. [kills=..] table_kb=..
//! ```
//!
//! ```sh
//! cargo run --release -p hooks-examples --features postgres,brokers --bin outbox-bench -- --sink inproc
//! cargo run --release -p hooks-examples --features postgres,brokers --bin outbox-bench -- --sink nats --chaos
//! ```
//!
//! A run without `--chaos`: (1) `publish_overhead`: a hooked 10,000-record
//! `bulk_update` that changes every record's status, with the outbox's
//! change-event hook set (one event per record), divided by the same
//! update with a no-op hook on the same condition instead (median of 3,
//! after a warm-up each); (2) latency: workers running, `--latency-events`
//! published at `--rate` events/s in transactions of 10; `p50_ms` and
//! `p99_ms` are from the publisher's commit to the sink's delivery (for the
//! relays: the broker's confirmation); (3) throughput: `--events`
//! published with the workers stopped (`published_per_s`, transactions of
//! 100 from 2 threads), then delivered by `--workers` workers from that
//! backlog (`delivered_per_s`); with `--steady`, the workers run while
//! they are published, and `delivered_per_s` is over the whole phase.
//!
//! `--chaos`: the workers run in 2 worker processes (this program with
//! `--worker-process`), one of which is killed with SIGKILL and restarted
//! every 2 s while `--events` are published and delivered (leases of 2 s);
//! `delivered_per_s` is then over the whole run, and the latency includes
//! the waits for killed workers' leases. `delivered`, `duplicates` and
//! `lost` count distinct events delivered, extra deliveries, and events
//! never delivered; for the relays `duplicates` counts the copies the
//! broker holds (JetStream stream messages, RabbitMQ queue messages) beyond
//! one per event. `table_kb`: the outbox table's size (with indexes and
//! TOAST) once everything was delivered, and after a `VACUUM`.

mod brokers;
mod overhead;
mod record;
mod sinks;

use std::process::{Child, Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;
use hooks_diesel::{HookedConnection, Registry};
use hooks_examples::db::{BoxError, ExampleConnection};
use hooks_outbox::{OutboxConnection, Publish};

use record::{now_us, Record};
use sinks::{Recorder, SinkKind, Target, WorkerSettings};

#[derive(Parser, Debug)]
#[command(name = "outbox-bench")]
struct Args {
    /// Where events are delivered.
    #[arg(long, value_enum, default_value_t = SinkKind::Inproc)]
    sink: SinkKind,
    /// Worker threads (with `--chaos`, over 2 worker processes).
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Events of the throughput phase (of the whole run with `--chaos`).
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Events of the latency phase.
    #[arg(long, default_value_t = 10_000)]
    latency_events: usize,
    /// Events per second published in the latency phase.
    #[arg(long, default_value_t = 2_000)]
    rate: usize,
    /// Events a worker claims at once.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// Records of the publish_overhead update.
    #[arg(long, default_value_t = 10_000)]
    overhead_records: usize,
    /// Kill and restart worker processes every 2 s.
    #[arg(long)]
    chaos: bool,
    /// Throughput phase with the workers running while the events are
    /// published (no backlog): `delivered_per_s` over the whole phase, and
    /// `table_kb` is what a steady flow leaves.
    #[arg(long)]
    steady: bool,
    /// The PostgreSQL server; the run uses a schema of its own, dropped at
    /// the end.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    database_url: String,
    #[arg(long, default_value = "127.0.0.1:4222")]
    nats_url: String,
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    amqp_url: String,

    // A worker process of a `--chaos` run (internal).
    #[arg(long, hide = true)]
    worker_process: Option<std::path::PathBuf>,
    #[arg(long, hide = true)]
    stream: Option<String>,
    #[arg(long, hide = true)]
    topic: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.worker_process {
        Some(path) => worker_process(&args, path),
        None => run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A schema of the run's own: the URL with it first on the search path.
struct Schema {
    server: String,
    name: String,
}

impl Schema {
    fn create(server: &str) -> Result<Self, BoxError> {
        let name = format!("outbox_bench_{}", std::process::id());
        PgConnection::establish(server)?.batch_execute(&format!("CREATE SCHEMA {name}"))?;
        Ok(Schema {
            server: server.to_string(),
            name,
        })
    }

    fn url(&self) -> String {
        let sep = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.server, self.name)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.server) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

fn target(args: &Args, run: &str) -> Target {
    Target {
        nats_url: args.nats_url.clone(),
        stream: args.stream.clone().unwrap_or_else(|| run.to_uppercase()),
        prefix: format!("{run}."),
        amqp_url: args.amqp_url.clone(),
        topic: args.topic.clone().unwrap_or_else(|| run.to_string()),
    }
}

fn run(args: &Args) -> Result<(), BoxError> {
    let schema = Schema::create(&args.database_url)?;
    let url = schema.url();
    let mut conn = PgConnection::open(&url)?;
    hooks_outbox::migrate(&mut conn)?;
    let run_name = schema.name.clone();
    let target = target(args, &run_name);
    let broker = brokers::Broker::prepare(args.sink, &target)?;

    let publish_overhead = overhead::measure(&url, args.overhead_records)?;
    conn.batch_execute("TRUNCATE hooks_outbox")?;

    let lease = if args.chaos {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(30)
    };
    let settings = WorkerSettings {
        url: url.clone(),
        workers: args.workers,
        batch: args.batch,
        lease,
    };
    let latency_events = if args.chaos { 0 } else { args.latency_events };
    let total = latency_events + args.events;
    let record = Arc::new(Record::new(total));

    let (published_per_s, delivered_per_s, kills) = if args.chaos {
        chaos(args, &url, &target, &record, total)?
    } else {
        // Latency: workers running, paced publishing.
        let running = sinks::start(
            args.sink,
            &settings,
            &target,
            Recorder::Memory(Arc::clone(&record)),
        )?;
        publish(&url, 0..latency_events, 10, Some(args.rate), &record)?;
        wait_for(&record, latency_events, Duration::from_secs(120))?;
        running.shutdown();
        let memory = || Recorder::Memory(Arc::clone(&record));
        if args.steady {
            // Throughput: publishing and delivering at once.
            let started = Instant::now();
            let running = sinks::start(args.sink, &settings, &target, memory())?;
            publish(&url, latency_events..total, 100, None, &record)?;
            let published_per_s = args.events as f64 / started.elapsed().as_secs_f64();
            wait_for(&record, total, Duration::from_secs(1200))?;
            let delivered_per_s = args.events as f64 / started.elapsed().as_secs_f64();
            running.shutdown();
            (published_per_s, delivered_per_s, None)
        } else {
            // Throughput: a backlog, then the workers.
            let started = Instant::now();
            publish(&url, latency_events..total, 100, None, &record)?;
            let published_per_s = args.events as f64 / started.elapsed().as_secs_f64();
            let started = Instant::now();
            let running = sinks::start(args.sink, &settings, &target, memory())?;
            wait_for(&record, total, Duration::from_secs(600))?;
            let delivered_per_s = args.events as f64 / started.elapsed().as_secs_f64();
            running.shutdown();
            (published_per_s, delivered_per_s, None)
        }
    };

    let (p50, p99) = if args.chaos {
        record.latency_ms(0..total)
    } else {
        record.latency_ms(0..latency_events)
    };
    let (distinct, extra) = record.totals();
    let duplicates = match broker.held()? {
        Some(held) => held.saturating_sub(distinct as u64),
        None => extra,
    };
    let table_kb = table_kb(&mut conn)?;
    conn.batch_execute("VACUUM hooks_outbox")?;
    let vacuumed_kb = table_kb_of(&mut conn)?;
    let mut line = format!(
        "outbox sink={} backend=postgres workers={} events={total} published_per_s={published_per_s:.0} \
         delivered_per_s={delivered_per_s:.0} delivered={distinct} duplicates={duplicates} lost={} \
         p50_ms={p50:.1} p99_ms={p99:.1} publish_overhead={publish_overhead:.2}",
        args.sink.name(),
        args.workers,
        total - distinct,
    );
    if let Some(kills) = kills {
        line.push_str(&format!(" kills={kills}"));
    }
    line.push_str(&format!(
        " relay_redelivered={extra} table_kb={table_kb} table_kb_vacuumed={vacuumed_kb}"
    ));
    println!("{line}");
    Ok(())
}

/// Publishes the events `seqs` from 2 threads, `per_tx` per transaction,
/// at `rate` events/s in all when given; records each commit.
fn publish(
    url: &str,
    seqs: std::ops::Range<usize>,
    per_tx: usize,
    rate: Option<usize>,
    record: &Record,
) -> Result<(), BoxError> {
    let threads = 2;
    let topic = url
        .rsplit("search_path%3D")
        .next()
        .unwrap_or("bench")
        .to_string();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for thread in 0..threads {
            let (seqs, topic) = (seqs.clone(), topic.clone());
            handles.push(scope.spawn(move || -> Result<(), BoxError> {
                let mut conn =
                    HookedConnection::new(PgConnection::establish(url)?, Registry::new());
                let mine: Vec<usize> = seqs.skip(thread).step_by(threads).collect();
                let interval =
                    rate.map(|r| Duration::from_secs_f64((per_tx * threads) as f64 / r as f64));
                let started = Instant::now();
                for (n, chunk) in mine.chunks(per_tx).enumerate() {
                    if let Some(interval) = interval {
                        let due = started + interval * n as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                    }
                    conn.transaction::<_, hooks_outbox::Error, _>(|conn| {
                        for seq in chunk {
                            conn.publish(
                                &topic,
                                format!("k{}", seq % 1000),
                                &serde_json::json!({ "seq": seq }),
                            )?;
                        }
                        Ok(())
                    })?;
                    let at = now_us();
                    for seq in chunk {
                        record.committed(*seq..*seq + 1, at);
                    }
                }
                Ok(())
            }));
        }
        for handle in handles {
            handle.join().map_err(|_| "a publisher panicked")??;
        }
        Ok(())
    })
}

fn wait_for(record: &Record, n: usize, limit: Duration) -> Result<(), BoxError> {
    let started = Instant::now();
    while record.distinct() < n {
        if started.elapsed() > limit {
            return Err(format!(
                "only {} of {n} events delivered within {limit:?}",
                record.distinct()
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

fn table_kb_of(conn: &mut PgConnection) -> Result<i64, BoxError> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        kb: i64,
    }
    let size: Size =
        diesel::sql_query("SELECT pg_total_relation_size('hooks_outbox') / 1024 AS kb")
            .get_result(conn)?;
    Ok(size.kb)
}

fn table_kb(conn: &mut PgConnection) -> Result<i64, BoxError> {
    table_kb_of(conn)
}

/// The chaos run: worker processes killed and restarted every 2 s while
/// the events are published and delivered.
fn chaos(
    args: &Args,
    url: &str,
    target: &Target,
    record: &Arc<Record>,
    total: usize,
) -> Result<(f64, f64, Option<u64>), BoxError> {
    let dir = std::env::temp_dir().join(format!("outbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let per_process = args.workers.div_ceil(2).max(1);
    let mut spawned = 0;
    let spawn = |spawned: &mut usize| -> Result<Child, BoxError> {
        *spawned += 1;
        let exe = std::env::current_exe()?;
        Ok(Command::new(exe)
            .args([
                "--sink",
                args.sink.name(),
                "--workers",
                &per_process.to_string(),
            ])
            .args(["--batch", &args.batch.to_string(), "--database-url", url])
            .args(["--nats-url", &args.nats_url, "--amqp-url", &args.amqp_url])
            .args(["--stream", &target.stream, "--topic", &target.topic])
            .arg("--worker-process")
            .arg(dir.join(format!("deliveries-{spawned}.txt")))
            .spawn()?)
    };
    let mut children = vec![spawn(&mut spawned)?, spawn(&mut spawned)?];
    let started = Instant::now();
    let mut published_per_s = 0.0;
    let mut kills = 0u64;
    std::thread::scope(|scope| -> Result<(), BoxError> {
        let publisher = scope.spawn(|| {
            let started = Instant::now();
            publish(url, 0..total, 100, None, record).map(|()| started.elapsed())
        });
        let mut conn = PgConnection::establish(url)?;
        let mut next_kill = Instant::now() + Duration::from_secs(2);
        loop {
            std::thread::sleep(Duration::from_millis(20));
            if publisher.is_finished() && conn.count_state(hooks_outbox::schema::PENDING)? == 0 {
                break;
            }
            if started.elapsed() > Duration::from_secs(600) {
                return Err("the chaos run did not finish within 10 minutes".into());
            }
            if Instant::now() >= next_kill {
                let victim = (kills % 2) as usize;
                let _ = children[victim].kill();
                let _ = children[victim].wait();
                kills += 1;
                children[victim] = spawn(&mut spawned)?;
                next_kill += Duration::from_secs(2);
            }
        }
        let took = publisher.join().map_err(|_| "the publisher panicked")??;
        published_per_s = total as f64 / took.as_secs_f64();
        Ok(())
    })?;
    let delivered_per_s = total as f64 / started.elapsed().as_secs_f64();
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    for n in 1..=spawned {
        let path = dir.join(format!("deliveries-{n}.txt"));
        if path.exists() {
            record.read_file(&path)?;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok((published_per_s, delivered_per_s, Some(kills)))
}

/// A worker process of a chaos run: workers until killed.
fn worker_process(args: &Args, deliveries: &std::path::Path) -> Result<(), BoxError> {
    let run_name = args.topic.clone().unwrap_or_default();
    let target = target(args, &run_name);
    let settings = WorkerSettings {
        url: args.database_url.clone(),
        workers: args.workers,
        batch: args.batch,
        lease: Duration::from_secs(2),
    };
    let _running = sinks::start(
        args.sink,
        &settings,
        &target,
        Recorder::File(deliveries.to_path_buf()),
    )?;
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
