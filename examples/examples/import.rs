//! Bulk import: makes the open accounts of the database match a CSV file
//! with one hooked `bulk_sync` (creates the new owners, updates the changed
//! ones, deletes the ones the file no longer lists), hooks included.
//!
//! ```sh
//! cargo run -p hooks-examples --example import
//! cargo run -p hooks-examples --example import -- examples/data/accounts-next.csv --dry-run
//! cargo run -p hooks-examples --features postgres --example import -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! The file has a header row `owner,balance,status`; owners are the key.
//! Accounts whose status is `closed` are history: the import never touches
//! them, and the file may not close accounts. By default it imports into a
//! SQLite file in the temp directory, so a second run reports everything
//! unchanged. Bad input (a missing file, a malformed row, an owner listed
//! twice) stops it with the file's line number and exit status 1, before
//! anything is written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[path = "shared/logs.rs"]
mod logs;

use clap::Parser;
use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::{Config, Filter, SyncOptions, SyncReport, Writable};
use hooks_examples::db::{Backend, BoxError, ExampleConnection};
use hooks_examples::models::Account;
use hooks_examples::schema::accounts;
use indicatif::{ProgressBar, ProgressStyle};

const DEFAULT_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/accounts.csv");
const STATUSES: [&str; 3] = ["active", "idle", "frozen"];

/// Import accounts from a CSV file (owner,balance,status) with hooks.
#[derive(Parser, Debug)]
#[command(name = "import")]
struct Args {
    /// The CSV file, with a header row: owner,balance,status.
    #[arg(default_value = DEFAULT_FILE)]
    file: PathBuf,

    /// Where to import: a SQLite file, or a postgres:// or mysql:// URL
    /// (with the `postgres` / `mysql` feature). Default: hooks-import.db in
    /// the temp directory.
    #[arg(long)]
    database_url: Option<String>,

    /// Run every hook and write, then roll back: report what would change.
    #[arg(long)]
    dry_run: bool,

    /// Rows per statement (and per hook call).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..))]
    batch_size: u16,

    /// Log what the hooks do (-v), and what the library does (-vv).
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
    let records = read_accounts(&args.file)?;
    println!(
        "read {} accounts from {}",
        records.len(),
        args.file.display()
    );
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => std::env::temp_dir()
            .join("hooks-import.db")
            .to_string_lossy()
            .into_owned(),
    };
    let backend = Backend::of(&url);
    println!(
        "importing into {backend} {} (batch size {}{})",
        hooks_examples::urls::redact_password(&url),
        args.batch_size,
        if args.dry_run { ", dry run" } else { "" }
    );

    // A progress bar when the work takes more than one chunk; indicatif
    // hides it when stderr is not a terminal.
    let bar = if records.len() > usize::from(args.batch_size) {
        ProgressBar::new(records.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );

    let started = Instant::now();
    let report = match backend {
        Backend::Sqlite => import::<diesel::sqlite::SqliteConnection>(&url, records, args, &bar),
        #[cfg(feature = "postgres")]
        Backend::Postgres => import::<diesel::pg::PgConnection>(&url, records, args, &bar),
        #[cfg(feature = "mysql")]
        Backend::Mysql => import::<diesel::mysql::MysqlConnection>(&url, records, args, &bar),
        #[allow(unreachable_patterns)]
        other => Err(other.unsupported(&url)),
    };
    bar.finish_and_clear();
    let report = report?;
    let seconds = started.elapsed().as_secs_f64();
    if args.dry_run {
        println!(
            "dry run, nothing written: would create {}, update {}, delete {}; {} unchanged ({seconds:.2} s)",
            report.created, report.updated, report.deleted, report.unchanged
        );
    } else {
        println!(
            "created {}, updated {}, deleted {}, unchanged {} ({seconds:.2} s)",
            report.created, report.updated, report.deleted, report.unchanged
        );
    }
    Ok(())
}

/// The hooks of the import. The sync runs them like any other hooked
/// write: BEFORE hooks validate and stamp, AFTER hooks log (`-v`).
fn registry<C>() -> Registry<HookedConnection<C>>
where
    C: ExampleConnection,
    Account: Writable<C::Backend>,
{
    // Microseconds: what every backend's timestamp column keeps, so the
    // stored row equals the record (MySQL's read-back after INSERT checks).
    let now = || chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6);
    Registry::new()
        .with(
            Hook::before_create(move |_ctx, batch: &mut Batch<Account>| {
                batch.reject_where(
                    |new, _| new.balance < 0,
                    |a| format!("{} has a negative balance", a.owner),
                );
                batch.news_mut().for_each(|a| a.updated_at = Some(now()));
                Ok(())
            })
            .named("validate_new_accounts"),
        )
        .with(
            Hook::before_update(move |_ctx, batch: &mut Batch<Account>| {
                batch.reject_where(
                    |new, _| new.balance < 0,
                    |a| format!("{} has a negative balance", a.owner),
                );
                batch.news_mut().for_each(|a| a.updated_at = Some(now()));
                Ok(())
            })
            .named("validate_changed_accounts"),
        )
        .with(
            Hook::after_update(|_ctx, batch: &Batch<Account>| {
                for (new, old) in batch.iter() {
                    let before = old.map_or(0, |o| o.balance);
                    tracing::info!("{}: balance {before} -> {}", new.owner, new.balance);
                }
                Ok(())
            })
            .when(Account::BALANCE.changed())
            .named("log_balance_changes"),
        )
        .with(
            Hook::after_delete(|_ctx, batch: &Batch<Account>| {
                for gone in batch.news() {
                    tracing::info!("{}: no longer listed, deleted", gone.owner);
                }
                Ok(())
            })
            .named("log_deleted_accounts"),
        )
}

/// Syncs `records` into the database at `url`, on any backend.
fn import<C>(
    url: &str,
    records: Vec<Account>,
    args: &Args,
    bar: &ProgressBar,
) -> Result<SyncReport, BoxError>
where
    C: ExampleConnection,
    Account: Writable<C::Backend>,
    diesel::dsl::NotEq<accounts::status, &'static str>: Filter<accounts::table, C::Backend>,
{
    let bar = bar.clone();
    // The library reports progress after each chunk of each operation the
    // sync runs (deletes, then updates, then creates).
    let config = Config::default().with_progress(move |p| {
        bar.set_message(format!("{} {}", p.operation, p.model));
        if let Some(total) = p.total {
            bar.set_length(total as u64);
        }
        bar.set_position(p.done as u64);
    });
    let mut conn = HookedConnection::new(C::open(url)?, registry()).with_config(config);

    let mut options = SyncOptions::new()
        .chunk_size(usize::from(args.batch_size))
        // The hooks stamp it; the file does not carry it.
        .ignore(&[Account::UPDATED_AT.key()]);
    if args.dry_run {
        options = options.dry_run();
    }
    let report = conn.bulk_sync(
        records,
        Account::OWNER,
        accounts::status.ne("closed"),
        options,
    )?;
    Ok(report)
}

/// What can be wrong with the file.
#[derive(Debug, thiserror::Error)]
enum InputError {
    #[error("cannot read {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the header has no `{column}` column (expected owner,balance,status)")]
    MissingColumn { path: String, column: &'static str },
    #[error("{path}, line {line}: {message}")]
    Row {
        path: String,
        line: u64,
        message: String,
    },
    #[error("{path}: no accounts listed; refusing to delete every open account")]
    Empty { path: String },
}

/// Reads and checks every row before anything is written.
fn read_accounts(path: &Path) -> Result<Vec<Account>, InputError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InputError::Open {
        path: name.clone(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let row_error = |line: u64, message: String| InputError::Row {
        path: name.clone(),
        line,
        message,
    };
    let headers = reader
        .headers()
        .map_err(|e| row_error(1, e.to_string()))?
        .clone();
    let column = |column: &'static str| {
        headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| InputError::MissingColumn {
                path: name.clone(),
                column,
            })
    };
    let (owner_at, balance_at, status_at) =
        (column("owner")?, column("balance")?, column("status")?);

    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut accounts = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("expected {expected_len} fields, found {len}"),
                _ => e.to_string(),
            };
            row_error(line, message)
        })?;
        let line = row.position().map_or(0, csv::Position::line);
        let field = |at: usize| row.get(at).unwrap_or_default();

        let owner = field(owner_at);
        if owner.is_empty() || owner.len() > 64 {
            return Err(row_error(line, "owner must have 1 to 64 characters".into()));
        }
        let balance: i64 = field(balance_at).parse().map_err(|_| {
            row_error(
                line,
                format!("balance `{}` is not a whole number", field(balance_at)),
            )
        })?;
        let status = field(status_at);
        if !STATUSES.contains(&status) {
            return Err(row_error(
                line,
                format!("status `{status}` is not one of {}", STATUSES.join(", ")),
            ));
        }
        if let Some(first) = seen.insert(owner.to_string(), line) {
            return Err(row_error(
                line,
                format!("owner `{owner}` is already listed on line {first}"),
            ));
        }
        accounts.push(Account::new(owner, balance, status));
    }
    if accounts.is_empty() {
        return Err(InputError::Empty { path: name });
    }
    Ok(accounts)
}
