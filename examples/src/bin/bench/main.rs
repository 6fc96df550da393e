//! The benchmark of the accounts workload (`shared/bench/WORKLOAD.md`):
//! every phase run hooked, raw and equivalent (each baseline twice: with
//! Diesel's query builder, and with every statement prepared once) and as
//! ordinary Diesel writes through the hooked connection, on SQLite,
//! PostgreSQL and MySQL/MariaDB.
//!
//! ```text
//! cargo run --release -p hooks-examples --features postgres,mysql --bin bench -- \
//!     [--n 10000] [--backend sqlite|postgres|mysql|all] [--chunk 1000] [--repeat 3]
//!     [--variants hooked,raw_prep,..]
//! ```
//!
//! Prints one line per backend and phase, then `peak_rss_mib=..`; the
//! targets of WORKLOAD.md are checked on stderr. Exits non-zero when a
//! hook saw the wrong records or a variant left the wrong table behind.

mod args;
mod diesel_writes;
mod equivalent;
mod hooked;
mod memory;
mod mysql;
mod phases;
mod postgres;
mod prepared;
mod raw;
mod report;
mod returning;
mod server_time;
mod sqlite;
mod statements;
mod workload;

use std::io::Write;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::{MysqlConnection, PgConnection, SqliteConnection};

use args::{Args, BackendKind};
use report::Line;

/// The error type of the benchmark.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), BoxError> {
    let Some(args) = args::parse(std::env::args().skip(1))? else {
        println!("{}", args::USAGE);
        return Ok(());
    };
    let mut lines = Vec::new();
    let mut overheads = Vec::new();
    for &backend in &args.backends {
        eprintln!(
            "# {}: n={} chunk={} repeat={}",
            backend.name(),
            args.n,
            args.chunk,
            args.repeat
        );
        let mut report = |line: &Line| {
            println!("{line}");
            let _ = std::io::stdout().flush();
            lines.push(line.clone());
        };
        let overhead = run_backend(backend, &args, &mut report)?;
        println!("{}", report::total(&lines, backend.name()));
        if let Some(overhead) = overhead {
            println!("{overhead}");
            overheads.push(overhead);
        }
    }
    let peak = memory::peak_rss_mib()?;
    println!("peak_rss_mib={peak:.1}");
    for target in report::targets(&lines, &overheads, args.chunk, peak) {
        eprintln!("# {target}");
    }
    Ok(())
}

fn run_backend(
    backend: BackendKind,
    args: &Args,
    report: &mut dyn FnMut(&Line),
) -> Result<Option<report::Overhead>, BoxError> {
    match backend {
        BackendKind::Sqlite => {
            let file = sqlite::SqliteFile::create()?;
            phases::run::<SqliteConnection>(&file.url(), args, None, report)
        }
        BackendKind::Postgres => {
            let base =
                std::env::var("POSTGRES_URL").unwrap_or_else(|_| postgres::DEFAULT_URL.to_string());
            let database = postgres::PgDatabase::create(&base)?;
            let clock = database
                .server_clock()
                .map(|c| Box::new(c) as Box<dyn server_time::ServerClock>);
            phases::run::<PgConnection>(database.url(), args, clock, report)
        }
        BackendKind::Mysql => {
            let base =
                std::env::var("MYSQL_URL").unwrap_or_else(|_| mysql::DEFAULT_URL.to_string());
            let database = mysql::MysqlDatabase::create(&base)?;
            phases::run::<MysqlConnection>(database.url(), args, None, report)
        }
    }
}

/// Nanoseconds since the epoch, to name temporary databases.
pub fn unique_suffix() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
