//! An audit trail written once, for any model: `AuditTrail<M>` (in
//! `examples/src/audit.rs`) is a hook set added for every model that
//! implements the `Audited` trait, and records each change (model, key,
//! field, old, new) into the `audit_changes` table of `migrations/`, in
//! the same transaction as the change.
//!
//! ```sh
//! cargo run -p hooks-examples --example audit
//! ```
//!
//! It runs on a new SQLite file in the temp directory, removed afterwards.
//! The test suite runs the same hook set on PostgreSQL and MySQL.

use std::process::ExitCode;

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_examples::audit::{self, AuditTrail};
use hooks_examples::db::{BoxError, ExampleConnection};
use hooks_examples::models::{Account, Membership};
use hooks_examples::schema::accounts;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::WARN)
        .init();
    let path = std::env::temp_dir().join(format!("hooks-audit-{}.db", std::process::id()));
    let url = path.to_string_lossy().into_owned();
    let result = run(&url);
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{url}{suffix}"));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(url: &str) -> Result<(), BoxError> {
    // One hook set, added for two unrelated models.
    let registry = Registry::new()
        .with_set(AuditTrail::<Account>::new())
        .with_set(AuditTrail::<Membership>::new());
    let mut conn = HookedConnection::new(SqliteConnection::open(url)?, registry);

    println!("bulk_create: ada and bob");
    let mut created = conn.bulk_create(vec![
        Account::new("ada", 100, "active"),
        Account::new("bob", 50, "idle"),
    ])?;

    println!("bulk_update: ada's balance, bob's status");
    created[0].balance += 25;
    created[1].status = "active".into();
    let updated = conn.bulk_update(created)?;

    println!("update_where: every active balance doubled");
    conn.update_where::<Account>(
        accounts::status.eq("active"),
        accounts::balance.eq(accounts::balance * 2),
    )?;

    println!("create + update: ada joins organisation 7, then becomes its admin");
    let mut member = conn.create(Membership::new(7, updated[0].id, "member"))?;
    member.role = "admin".into();
    conn.update(member)?;

    println!("a transaction that fails: its changes and their trail roll back");
    let failed: Result<(), Error> = conn.transaction_with_callbacks(|conn| {
        conn.update_where::<Account>(accounts::owner.eq("bob"), accounts::balance.eq(0))?;
        Err(Error::Invalid("changed my mind".into()))
    });
    assert!(failed.is_err());

    println!("delete: bob");
    conn.delete(&updated[1])?;

    let trail = audit::trail(&mut conn)?;
    println!();
    println!(
        "{:>3}  {:<10} {:<8} {:<7} {:<11} {:<22} new",
        "#", "model", "key", "op", "field", "old"
    );
    for change in &trail {
        println!(
            "{:>3}  {:<10} {:<8} {:<7} {:<11} {:<22} {}",
            change.id,
            change.model,
            change.record_key,
            change.operation,
            change.field,
            change.old_value.as_deref().unwrap_or("-"),
            change.new_value.as_deref().unwrap_or("-"),
        );
    }
    println!("{} changes recorded", trail.len());
    Ok(())
}
