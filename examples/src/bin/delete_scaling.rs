//! How an ordinary set-based delete with delete hooks scales with the rows
//! it matches: `diesel::delete(accounts.filter(id.eq_any(&ids)))`, one
//! statement, through a `HookedConnection` with an AFTER_DELETE hook (and
//! with a BEFORE_DELETE hook too) against the same statement on the bare
//! connection, on PostgreSQL, for 5,000 to 70,000 rows. Prints one line
//! per size with the medians of 3 runs and the ratios.
//!
//! ```sh
//! cargo run --release -p hooks-examples --features postgres --bin delete_scaling
//! ```

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::PgConnection;
use diesel_migrations::MigrationHarness;
use hooks_diesel::prelude::*;
use hooks_examples::models::Account;
use hooks_examples::schema::accounts;
use hooks_examples::POSTGRES_MIGRATIONS;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let base = std::env::var("POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("delete_scaling_{}", std::process::id());
    let mut admin = PgConnection::establish(&base)?;
    admin.batch_execute(&format!("CREATE SCHEMA {schema}"))?;
    let result = run(&base, &schema);
    admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))?;
    result
}

fn run(base: &str, schema: &str) -> Result<(), BoxError> {
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
    let mut bare = PgConnection::establish(&url)?;
    bare.run_pending_migrations(POSTGRES_MIGRATIONS)?;
    let after = Registry::new().with(Hook::after_delete(|_, b: &Batch<Account>| {
        std::hint::black_box(b.len());
        Ok(())
    }));
    let both = Registry::new()
        .with(Hook::before_delete(|_, b: &mut Batch<Account>| {
            std::hint::black_box(b.len());
            Ok(())
        }))
        .with(Hook::after_delete(|_, b: &Batch<Account>| {
            std::hint::black_box(b.len());
            Ok(())
        }));
    let mut after_only = HookedConnection::new(PgConnection::establish(&url)?, after);
    let mut before_after = HookedConnection::new(PgConnection::establish(&url)?, both);
    for n in [5_000usize, 10_000, 20_000, 40_000, 70_000] {
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..4 {
            for (variant, samples) in times.iter_mut().enumerate() {
                let ids = seed(&mut bare, n)?;
                let delete = diesel::delete(accounts::table.filter(accounts::id.eq_any(&ids)));
                let started = Instant::now();
                let deleted = match variant {
                    0 => delete.execute(&mut bare)?,
                    1 => delete.execute(&mut after_only)?,
                    _ => delete.execute(&mut before_after)?,
                };
                let took = started.elapsed();
                if deleted != n {
                    return Err(format!("deleted {deleted} of {n} rows").into());
                }
                if round > 0 {
                    samples.push(took);
                }
            }
        }
        let [plain, after, both] = times.map(median);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "backend=postgres n={n} plain_ms={:.1} after_hook_ms={:.1} before_after_ms={:.1} \
             after_vs_plain={:.2} before_after_vs_plain={:.2}",
            ms(plain),
            ms(after),
            ms(both),
            ms(after) / ms(plain),
            ms(both) / ms(plain)
        );
    }
    Ok(())
}

/// Fills the table with `n` fresh rows; returns their keys.
fn seed(conn: &mut PgConnection, n: usize) -> Result<Vec<i64>, BoxError> {
    conn.batch_execute("TRUNCATE accounts")?;
    conn.batch_execute(&format!(
        "INSERT INTO accounts (owner, balance, status) \
         SELECT 'o' || g, g, 'active' FROM generate_series(1, {n}) AS g"
    ))?;
    Ok(accounts::table.select(accounts::id).load(conn)?)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
