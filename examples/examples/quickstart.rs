//! Quickstart: lifecycle hooks on an embedded SQLite database, no setup.
//!
//! Run with `cargo run -p hooks-examples --example quickstart`.

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use hooks_diesel::prelude::*;
use hooks_examples::models::Account;
use hooks_examples::schema::accounts;
use hooks_examples::SQLITE_MIGRATIONS;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let path = std::env::temp_dir().join(format!("hooks-quickstart-{}.db", std::process::id()));
    let url = path.to_string_lossy().into_owned();
    let mut raw = SqliteConnection::establish(&url)?;
    raw.run_pending_migrations(SQLITE_MIGRATIONS)?;

    // Hooks are registered explicitly, into a registry the connection holds.
    let registry = Registry::new()
        .with(
            Hook::before_create(|_ctx, batch: &mut Batch<Account>| {
                batch.reject_where(
                    |new, _| new.balance < 0,
                    |a| format!("{} has a negative balance", a.owner),
                );
                Ok(())
            })
            .named("no_negative_balance")
            .priority(Priority::HIGH),
        )
        .with(Hook::after_create(|_ctx, batch: &Batch<Account>| {
            for account in batch.news() {
                println!(
                    "created  #{} {} with {}",
                    account.id, account.owner, account.balance
                );
            }
            Ok(())
        }))
        .with(
            Hook::after_update(|_ctx, batch: &Batch<Account>| {
                for (new, old) in batch.iter() {
                    let before = old.map_or(0, |o| o.balance);
                    println!("balance  {}: {before} -> {}", new.owner, new.balance);
                }
                Ok(())
            })
            .when(Account::BALANCE.changed()),
        )
        .with(
            // Deferred: runs once the transaction has committed, with the
            // records it would have seen; never if it rolls back.
            Hook::after_update(|_ctx, batch: &Batch<Account>| {
                let owners: Vec<&str> = batch.news().map(|a| a.owner.as_str()).collect();
                println!("frozen   {owners:?} (after commit)");
                Ok(())
            })
            .when(Account::STATUS.changes_to("frozen"))
            .deferred(),
        )
        .with(Hook::after_delete(|_ctx, batch: &Batch<Account>| {
            println!("deleted  {} account(s)", batch.len());
            Ok(())
        }));
    // Swap the connection type; the Diesel code stays as it is.
    let mut conn = HookedConnection::new(raw, registry);

    // Ordinary Diesel writes run the hooks: the insert's rows reach the
    // create hooks as stored, the update's the update hooks beside their
    // old rows.
    diesel::insert_into(accounts::table)
        .values(&vec![
            Account::new("ada", 100, "active"),
            Account::new("bob", 50, "idle"),
        ])
        .execute(&mut conn)?;
    diesel::update(accounts::table.filter(accounts::owner.eq("bob")))
        .set(accounts::balance.eq(accounts::balance + 25))
        .execute(&mut conn)?;

    // A BEFORE hook rejects records; nothing of the statement is written.
    let refused = diesel::insert_into(accounts::table)
        .values(&Account::new("eve", -5, "active"))
        .execute(&mut conn);
    if let Err(error) = refused {
        println!("refused  {}", Error::from(error));
    }

    // The bulk methods: one INSERT ... RETURNING per chunk, keys back in
    // the caller's order; a bulk update writes only the changed fields.
    let mut created = conn.bulk_create(vec![Account::new("cy", 75, "active")])?;
    created[0].balance += 5;
    conn.bulk_update(created)?;

    // Set-based update: a Diesel filter and changeset; hooks get the rows.
    // Inside a transaction, on_commit callbacks and deferred hooks wait for
    // the commit.
    conn.transaction_with_callbacks(|conn| {
        let frozen = conn.update_where::<Account>(
            accounts::status.eq("active"),
            accounts::status.eq("frozen"),
        )?;
        conn.on_commit(|_| {
            println!("commit   done");
            Ok(())
        });
        println!(
            "updated  {} row(s) by filter, not yet committed",
            frozen.len()
        );
        Ok(())
    })?;

    // A transaction that rolls back runs no deferred hook.
    let rolled_back: Result<(), Error> = conn.transaction_with_callbacks(|conn| {
        conn.update_where::<Account>(accounts::status.eq("idle"), accounts::status.eq("frozen"))?;
        Err(Error::Invalid("changed my mind".into()))
    });
    println!("rolled   back: {}", rolled_back.is_err());

    // Set-based delete.
    conn.delete_where::<Account>(accounts::balance.lt(80))?;

    let left: Vec<(String, i64, String)> = accounts::table
        .order(accounts::id)
        .select((accounts::owner, accounts::balance, accounts::status))
        .load(&mut conn)?;
    println!("left     {left:?}");

    drop(conn);
    let _ = std::fs::remove_file(&path);
    Ok(())
}
