//! The same hooks on SQLite and PostgreSQL (or MySQL): one hook set,
//! written once without naming a backend or a connection type (the hooks
//! run hooked operations through `HookedOps`), registered on a connection
//! of each.
//!
//! ```text
//! cargo run -p hooks-examples --example same_hooks
//! cargo run -p hooks-examples --features postgres --example same_hooks -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//!
//! Without a URL it runs on an embedded SQLite file; with one, on SQLite
//! and then on the URL's database.

use std::process::ExitCode;

use clap::Parser;
use hooks_diesel::hooks_core::Hosts;
use hooks_diesel::prelude::*;
use hooks_diesel::Writable;
use hooks_examples::db::{Backend, BoxError, ExampleConnection};
use hooks_examples::models::{Account, AuditEntry};

#[derive(Parser)]
#[command(about = "The same hooks on SQLite and on the database at --database-url")]
struct Args {
    /// A PostgreSQL or MySQL URL to run the hooks on too.
    #[arg(long)]
    database_url: Option<String>,
}

/// The application's hooks, for any connection: no backend named. An
/// AFTER_CREATE hook audits new accounts through the connection running
/// it (a hooked operation on another model), a BEFORE_UPDATE hook refuses
/// negative balances, an AFTER_UPDATE hook reports status changes.
fn account_hooks<X>() -> Registry<X>
where
    X: HookedOps + Hosts<Account> + Hosts<AuditEntry>,
{
    Registry::new()
        .with_model::<AuditEntry>()
        .with(Hook::after_create(
            |ctx: &mut HookContext<'_, X>, batch: &Batch<Account>| {
                let entries = batch
                    .news()
                    .map(|a| AuditEntry::new(a.id, "opened"))
                    .collect();
                let written = ctx.conn().bulk_create(entries)?;
                println!(
                    "  [{}] audited {} new account(s)",
                    ctx.conn().backend_name(),
                    written.len()
                );
                Ok(())
            },
        ))
        .with(Hook::before_update(|_ctx, batch: &mut Batch<Account>| {
            batch.reject_where(
                |new, _| new.balance < 0,
                |a| format!("{} would go negative", a.owner),
            );
            Ok(())
        }))
        .with(
            Hook::after_update(|ctx: &mut HookContext<'_, X>, batch: &Batch<Account>| {
                for (new, old) in batch.iter() {
                    let was = old.map_or("?", |o| o.status.as_str());
                    println!(
                        "  [{}] {}: {was} -> {}",
                        ctx.conn().backend_name(),
                        new.owner,
                        new.status
                    );
                }
                Ok(())
            })
            .when(FieldChanged(Account::STATUS)),
        )
}

/// The application's code, written once too (generic over the backend).
fn run<C>(url: &str) -> Result<(), BoxError>
where
    C: ExampleConnection,
    Account: Writable<C::Backend>,
    AuditEntry: Writable<C::Backend>,
{
    let mut conn = HookedConnection::new(C::open(url)?, account_hooks());
    println!("{}:", Backend::of(url));
    let mut created = conn.bulk_create(vec![
        Account::new("ada", 100, "active"),
        Account::new("bob", 20, "active"),
    ])?;
    created[1].status = "frozen".into();
    let mut frozen = conn.bulk_update(created)?.into_records();
    for account in &mut frozen {
        account.balance -= 50;
    }
    if let Err(error) = conn.bulk_update(frozen) {
        println!("  refused: {error}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let file = std::env::temp_dir().join(format!("hooks-same-hooks-{}.db", std::process::id()));
    let sqlite = file.to_string_lossy().into_owned();
    let mut result = run::<diesel::sqlite::SqliteConnection>(&sqlite);
    let _ = std::fs::remove_file(&file);
    if let (Ok(()), Some(url)) = (&result, args.database_url.as_deref()) {
        result = match Backend::of(url) {
            #[cfg(feature = "postgres")]
            Backend::Postgres => run::<diesel::pg::PgConnection>(url),
            #[cfg(feature = "mysql")]
            Backend::Mysql => run::<diesel::mysql::MysqlConnection>(url),
            other => Err(other.unsupported(url)),
        };
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("same_hooks: {error}");
            ExitCode::FAILURE
        }
    }
}
