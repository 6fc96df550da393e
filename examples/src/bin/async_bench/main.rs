//! The async benchmark, on PostgreSQL: the phases of the accounts workload
//! (bench's `bulk_create`, `bulk_update`, `queryset_update`,
//! `bulk_delete`, with its five hooks) through the two routes to hooks on
//! diesel-async, against the sync hooked connection and against the bare
//! `AsyncPgConnection`; then many concurrent small requests.
//!
//! ```text
//! cargo run --release -p hooks-examples --features async-bench --bin async_bench -- \
//!     [--n 10000] [--repeat 3] [--clients 8] [--seconds 5] [--only phases|small|all]
//! ```
//!
//! Routes:
//! - `async`: [`AsyncHookedConnection<PgConnection>`], the sync hooked
//!   connection run on tokio's blocking threads (what hooks-diesel-async
//!   ships);
//! - `native`: a `HookedConnection` over diesel-async's `AsyncPgConnection`
//!   (tokio-postgres) through a sync bridge (`native.rs`), each call in
//!   `block_in_place`: how a native `AsyncConnection` wrapper would run
//!   the sync hook machinery.
//!
//! Every connection uses `sslmode=disable` (tokio-postgres has no TLS
//! here; libpq would otherwise negotiate it), `POSTGRES_URL` or the
//! default server.

mod native;
mod phases;
mod small;

use std::process::ExitCode;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use diesel_migrations::MigrationHarness;
use hooks_examples::POSTGRES_MIGRATIONS;

/// The error type of the benchmark.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Settings from the command line.
#[derive(Clone, Copy, Debug)]
pub struct Args {
    pub n: usize,
    pub repeat: usize,
    pub clients: usize,
    pub seconds: u64,
    /// `phases`, `small`, or both (`all`).
    pub only: &'static str,
}

fn parse() -> Result<Args, BoxError> {
    let mut args = Args {
        n: 10_000,
        repeat: 3,
        clients: 8,
        seconds: 5,
        only: "all",
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--n" => args.n = value.parse()?,
            "--repeat" => args.repeat = value.parse()?,
            "--clients" => args.clients = value.parse()?,
            "--seconds" => args.seconds = value.parse()?,
            "--only" => {
                args.only = match value.as_str() {
                    "phases" => "phases",
                    "small" => "small",
                    "all" => "all",
                    other => return Err(format!("--only {other}: phases, small or all").into()),
                }
            }
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(args)
}

/// A schema of the run's own, migrated, dropped at the end.
pub struct Schema {
    admin: PgConnection,
    name: String,
    pub url: String,
}

impl Schema {
    fn create() -> Result<Self, BoxError> {
        let base = std::env::var("POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
        let sep = if base.contains('?') { '&' } else { '?' };
        let base = format!("{base}{sep}sslmode=disable");
        let mut admin = PgConnection::establish(&base)?;
        let name = format!("async_bench_{}", std::process::id());
        admin.batch_execute(&format!("CREATE SCHEMA {name}"))?;
        let url = format!("{base}&options=-csearch_path%3D{name}");
        let schema = Schema { admin, name, url };
        PgConnection::establish(&schema.url)?.run_pending_migrations(POSTGRES_MIGRATIONS)?;
        Ok(schema)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

fn main() -> ExitCode {
    let result = parse().and_then(|args| {
        let schema = Schema::create()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        runtime.block_on(async {
            if args.only != "small" {
                phases::run(&schema.url, args).await?;
            }
            if args.only != "phases" {
                small::run(&schema.url, args).await?;
            }
            Ok(())
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("async_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
