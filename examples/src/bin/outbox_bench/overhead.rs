//! `publish_overhead`: a hooked 10,000-record `bulk_update` publishing one
//! event per changed record, divided by the same update without the
//! outbox (a no-op hook on the same condition).

use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;
use hooks_diesel::hooks_core::Operation;
use hooks_diesel::{Batch, Hook, HookedConnection, Registry};
use hooks_examples::db::BoxError;
use hooks_examples::models::Account;
use hooks_outbox::ChangeEvents;

type Conn = HookedConnection<PgConnection>;

fn toggle(accounts: &mut [Account], round: usize) {
    let status = if round & 1 == 0 { "closed" } else { "active" };
    for account in accounts {
        account.status = status.to_string();
    }
}

pub fn measure(url: &str, records: usize) -> Result<f64, BoxError> {
    let plain: Registry<Conn> = Registry::new().with(
        Hook::after_update(|_ctx, batch: &Batch<Account>| {
            std::hint::black_box(batch.len());
            Ok(())
        })
        .when(Account::STATUS.changed()),
    );
    let outbox: Registry<Conn> = Registry::new().with_set(
        ChangeEvents::<Account>::new("accounts.status")
            .only(&[Operation::Update])
            .when(Account::STATUS.changed()),
    );
    let mut without = HookedConnection::new(PgConnection::establish(url)?, plain);
    let mut with = HookedConnection::new(PgConnection::establish(url)?, outbox);
    let mut accounts = without.bulk_create(
        (0..records)
            .map(|i| Account::new(format!("bench-{i}"), i as i64, "active"))
            .collect(),
    )?;
    let mut round = 0;
    let mut times = [Vec::new(), Vec::new()];
    // A warm-up each, then 3 each, alternating.
    for rep in 0..4 {
        for (variant, conn) in [&mut without, &mut with].into_iter().enumerate() {
            toggle(&mut accounts, round);
            round += 1;
            let started = Instant::now();
            let written = conn.bulk_update(accounts.clone())?;
            let took = started.elapsed().as_secs_f64();
            assert_eq!(written.written(), records, "every record changes");
            if rep > 0 {
                times[variant].push(took);
            }
            conn.inner_mut().batch_execute("TRUNCATE hooks_outbox")?;
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (without_s, with_s) = (median(&mut times[0]), median(&mut times[1]));
    eprintln!(
        "publish_overhead: {records}-record bulk_update {:.1} ms without the outbox, {:.1} ms with it",
        without_s * 1000.0,
        with_s * 1000.0
    );
    Ok(with_s / without_s)
}
