//! An r2d2 pool of hooked connections, shared by several threads: every
//! connection runs the same hooks, and each thread's `on_commit` callbacks
//! run once its transaction has committed, never after a rollback.
//!
//! ```sh
//! cargo run -p hooks-examples --example pool
//! cargo run -p hooks-examples --features postgres --example pool -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! Without a URL it runs on a new SQLite file in the temp directory
//! (removed afterwards). With one, it writes accounts whose owners start
//! with `pool-<process id>-` and deletes them at the end.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[path = "shared/logs.rs"]
mod logs;

use clap::Parser;
use diesel::r2d2::{CustomizeConnection, R2D2Connection};
use hooks_diesel::pool::{HookedConnectionManager, HookedPool};
use hooks_diesel::prelude::*;
use hooks_diesel::Writable;
use hooks_examples::db::{Backend, BoxError, ExampleConnection};
use hooks_examples::models::Account;

/// Hooked connections from an r2d2 pool, used by several threads.
#[derive(Parser, Debug)]
#[command(name = "pool")]
struct Args {
    /// A postgres:// or mysql:// URL (with the `postgres` / `mysql`
    /// feature), or a SQLite file. Default: a new SQLite file.
    #[arg(long)]
    database_url: Option<String>,

    /// Threads, each with a connection of its own from the pool.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=32))]
    threads: u8,

    /// Committed transactions per thread (each also rolls one back).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=100))]
    transactions: u8,

    /// Accounts created per transaction.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=10000))]
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
            let path = std::env::temp_dir().join(format!("hooks-pool-{}.db", std::process::id()));
            (path.to_string_lossy().into_owned(), true)
        }
    };
    let backend = Backend::of(&url);
    println!(
        "{} threads x {} transactions x {} accounts on {backend} {}",
        args.threads,
        args.transactions,
        args.accounts,
        hooks_examples::urls::redact_password(&url)
    );
    let result = match backend {
        Backend::Sqlite => with_pool::<diesel::sqlite::SqliteConnection>(&url, args),
        #[cfg(feature = "postgres")]
        Backend::Postgres => with_pool::<diesel::pg::PgConnection>(&url, args),
        #[cfg(feature = "mysql")]
        Backend::Mysql => with_pool::<diesel::mysql::MysqlConnection>(&url, args),
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

/// Gives every connection the pool opens its session settings.
#[derive(Debug)]
struct Prepare;

impl<C> CustomizeConnection<HookedConnection<C>, diesel::r2d2::Error> for Prepare
where
    C: ExampleConnection + R2D2Connection,
{
    fn on_acquire(&self, conn: &mut HookedConnection<C>) -> Result<(), diesel::r2d2::Error> {
        conn.inner_mut()
            .prepare()
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// What the hooks and callbacks of all threads saw.
#[derive(Default)]
struct Tally {
    /// Records the AFTER_CREATE hook saw (inside each transaction).
    hook: AtomicUsize,
    /// Records the deferred AFTER_CREATE hook saw (after each commit).
    deferred: AtomicUsize,
    commits: AtomicUsize,
    rollbacks: AtomicUsize,
}

fn with_pool<C>(url: &str, args: &Args) -> Result<(), BoxError>
where
    C: ExampleConnection + R2D2Connection,
    Account: Writable<C::Backend>,
{
    // Schema first, on a connection of its own.
    drop(C::open(url)?);

    // One registry for the whole pool: every connection runs these hooks.
    let tally = Arc::new(Tally::default());
    let (counter, deferred) = (Arc::clone(&tally), Arc::clone(&tally));
    let registry = Registry::new()
        .with(Hook::before_create(|_ctx, batch: &mut Batch<Account>| {
            batch.reject_where(
                |new, _| new.balance < 0,
                |a| format!("{} has a negative balance", a.owner),
            );
            Ok(())
        }))
        .with(Hook::after_create(move |_ctx, batch: &Batch<Account>| {
            counter.hook.fetch_add(batch.len(), Ordering::Relaxed);
            Ok(())
        }))
        .with(
            Hook::after_create(move |_ctx, batch: &Batch<Account>| {
                deferred.deferred.fetch_add(batch.len(), Ordering::Relaxed);
                Ok(())
            })
            .deferred(),
        );
    let manager = HookedConnectionManager::<C>::new(url, registry);
    let pool: HookedPool<C> = r2d2::Pool::builder()
        .max_size(u32::from(args.threads))
        .connection_customizer(Box::new(Prepare))
        .build(manager)?;

    let started = Instant::now();
    let prefix = format!("pool-{}-", std::process::id());
    let created: Vec<Account> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.threads)
            .map(|thread| {
                let (pool, tally, prefix) = (&pool, Arc::clone(&tally), &prefix);
                scope.spawn(move || work(pool, thread, args, prefix, &tally))
            })
            .collect();
        let mut created = Vec::new();
        for worker in workers {
            match worker.join() {
                Ok(result) => created.extend(result?),
                Err(_) => return Err(BoxError::from("a worker thread panicked")),
            }
        }
        Ok::<_, BoxError>(created)
    })?;
    let seconds = started.elapsed().as_secs_f64();

    println!("committed {} accounts in {seconds:.2} s", created.len());
    println!(
        "the AFTER_CREATE hook saw {} (inside every transaction, rolled back or not); \
         the deferred one saw {} (after each commit only)",
        tally.hook.load(Ordering::Relaxed),
        tally.deferred.load(Ordering::Relaxed),
    );
    println!(
        "on_commit callbacks ran {} times, on_rollback callbacks {} times",
        tally.commits.load(Ordering::Relaxed),
        tally.rollbacks.load(Ordering::Relaxed),
    );
    let state = pool.state();
    println!(
        "pool: {} connections, {} idle",
        state.connections, state.idle_connections
    );

    // Leave a shared database as it was.
    let deleted = pool.get()?.bulk_delete(&created)?;
    println!("deleted the {deleted} accounts again");
    Ok(())
}

/// One thread: commits `args.transactions` transactions, then rolls one
/// back; returns the accounts it committed.
fn work<C>(
    pool: &HookedPool<C>,
    thread: u8,
    args: &Args,
    prefix: &str,
    tally: &Arc<Tally>,
) -> Result<Vec<Account>, BoxError>
where
    C: ExampleConnection + R2D2Connection,
    Account: Writable<C::Backend>,
{
    let mut conn = pool.get()?;
    let mut committed = Vec::new();
    for tx in 0..=args.transactions {
        let batch: Vec<Account> = (0..args.accounts)
            .map(|i| Account::new(format!("{prefix}{thread}-{tx}-{i}"), i64::from(i), "active"))
            .collect();
        let roll_back = tx == args.transactions;
        let result = conn.transaction_with_callbacks(|conn| {
            let created = conn.bulk_create(batch)?;
            let (first, last) = (created[0].id, created[created.len() - 1].id);
            let tally_commit = Arc::clone(tally);
            conn.on_commit(move |_conn| {
                println!("thread {thread}: transaction {tx} committed, accounts #{first}..#{last}");
                tally_commit.commits.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
            let tally_rollback = Arc::clone(tally);
            conn.on_rollback(move |_conn| {
                println!("thread {thread}: transaction {tx} rolled back, its on_commit dropped");
                tally_rollback.rollbacks.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
            if roll_back {
                return Err(Error::Invalid("rolled back on purpose".into()));
            }
            Ok(created)
        });
        match result {
            Ok(created) => committed.extend(created),
            Err(Error::Invalid(_)) if roll_back => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(committed)
}
