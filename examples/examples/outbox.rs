//! The transactional outbox: a hook publishes an event for every account
//! whose status changes, in the transaction of the change; a worker
//! delivers the events once they are committed. A transaction that rolls
//! back publishes nothing.
//!
//! ```sh
//! cargo run -p hooks-examples --example outbox
//! cargo run -p hooks-examples --features postgres --example outbox -- \
//!     --database-url "postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dmy_schema"
//! ```
//!
//! Without a URL it runs on a new SQLite file in the temp directory
//! (removed afterwards). With one, the outbox table is created if missing
//! and the worker delivers every event in it: give it a database (or
//! PostgreSQL schema) of its own. It leaves its accounts (owners
//! `outbox-<process id>-<n>`) behind.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "shared/logs.rs"]
mod logs;

use clap::Parser;
use diesel::r2d2::R2D2Connection;
use hooks_diesel::hooks_core::Operation;
use hooks_diesel::prelude::*;
use hooks_diesel::Writable;
use hooks_examples::db::{Backend, BoxError, ExampleConnection};
use hooks_examples::models::Account;
use hooks_outbox::{ChangeEvents, Handlers, Outbox, OutboxConnection};

/// Status changes published by a hook in the write's transaction and
/// delivered by an outbox worker after the commit.
#[derive(Parser, Debug)]
#[command(name = "outbox")]
struct Args {
    /// A postgres:// or mysql:// URL (with the `postgres` / `mysql`
    /// feature), or a SQLite file. Default: a new SQLite file.
    #[arg(long)]
    database_url: Option<String>,

    /// Accounts to create; every second one is then closed.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u16).range(2..=10000))]
    accounts: u16,

    /// Log what the library does (-v, -vv).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() -> ExitCode {
    let args = Args::parse();
    logs::init(args.verbose);
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), BoxError> {
    let (url, temporary) = match &args.database_url {
        Some(url) => (url.clone(), false),
        None => {
            let path = std::env::temp_dir().join(format!("hooks-outbox-{}.db", std::process::id()));
            (path.to_string_lossy().into_owned(), true)
        }
    };
    let backend = Backend::of(&url);
    println!(
        "outbox on {backend} {}",
        hooks_examples::urls::redact_password(&url)
    );
    let result = match backend {
        Backend::Sqlite => with::<diesel::sqlite::SqliteConnection>(&url, args),
        #[cfg(feature = "postgres")]
        Backend::Postgres => with::<diesel::pg::PgConnection>(&url, args),
        #[cfg(feature = "mysql")]
        Backend::Mysql => with::<diesel::mysql::MysqlConnection>(&url, args),
        #[allow(unreachable_patterns)]
        other => Err(other.unsupported(&url)),
    };
    if temporary {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{url}{suffix}"));
        }
    }
    result
}

fn with<C>(url: &str, args: &Args) -> Result<(), BoxError>
where
    C: ExampleConnection + OutboxConnection + R2D2Connection,
    Account: Writable<C::Backend>,
{
    let mut raw = C::open(url)?;
    hooks_outbox::migrate(&mut raw)?;

    // The hook: one event per account whose status changed, with the diff,
    // written in the same transaction as the change.
    let topic = "accounts.status";
    let registry = Registry::new().with_set(
        ChangeEvents::<Account>::new(topic)
            .only(&[Operation::Update])
            .when(Account::STATUS.changed()),
    );
    let mut conn = HookedConnection::new(raw, registry);

    // The worker: a handler per topic, run after the commit.
    let delivered = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&delivered);
    let outbox = Outbox::<C>::builder(url)
        .poll_interval(Duration::from_millis(50))
        .start(Handlers::new().on(topic, move |event| {
            let change: serde_json::Value = event.payload()?;
            let line = format!(
                "delivered event {}: account {} status {} -> {}",
                event.id,
                change["key"],
                change["changes"]["status"]["old"],
                change["changes"]["status"]["new"],
            );
            println!("{line}");
            log.lock().map_err(|e| e.to_string())?.push(line);
            Ok(())
        }))?;

    let prefix = format!("outbox-{}-", std::process::id());
    let accounts: Vec<Account> = (0..args.accounts)
        .map(|i| Account::new(format!("{prefix}{i}"), i64::from(i) * 10, "active"))
        .collect();
    let created = conn.bulk_create(accounts)?;

    // Rolled back: the hook ran, but no event is written.
    let rolled_back = conn.transaction_with_callbacks(|conn| -> Result<(), BoxError> {
        let mut all = created.clone();
        for account in &mut all {
            account.status = "frozen".into();
        }
        conn.bulk_update(all)?;
        Err("changed my mind".into())
    });
    println!(
        "froze every account and rolled back ({}): no event",
        rolled_back
            .err()
            .map_or_else(String::new, |e| e.to_string())
    );

    // Committed: one event per closed account.
    let closing: Vec<Account> = created
        .iter()
        .step_by(2)
        .map(|a| Account {
            status: "closed".into(),
            ..a.clone()
        })
        .collect();
    let expected = closing.len();
    conn.bulk_update(closing)?;
    println!("closed {expected} accounts and committed: {expected} events");

    let started = Instant::now();
    while delivered.lock().map_err(|e| e.to_string())?.len() < expected {
        if started.elapsed() > Duration::from_secs(30) {
            return Err("the events were not delivered within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let metrics = outbox.shutdown();
    println!(
        "worker stopped: delivered {}, retried {}, dead {}; events left in the outbox: {}",
        metrics.delivered,
        metrics.retried,
        metrics.dead,
        conn.inner_mut()
            .count_state(hooks_outbox::schema::PENDING)?
    );
    Ok(())
}
