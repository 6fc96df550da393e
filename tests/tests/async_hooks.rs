//! Hooks on diesel-async: ordinary `diesel_async::RunQueryDsl` writes,
//! transactions and callbacks, the async bulk operations, through
//! `AsyncHookedConnection`, on every backend, with one hook set written once
//! for the sync and the async connection.

use std::sync::Arc;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hooks_diesel::hooks_core::Hosts;
use hooks_diesel::{Batch, Hook, HookContext, HookedOps, Registry};
use hooks_diesel_async::{AsyncHookedConnection, AsyncInner};
use hooks_tests::models::{Account, AuditEntry};
use hooks_tests::recorder::Seen;
use hooks_tests::schema::{accounts, audit_log};
use hooks_tests::{backend_suite, TestBackend, TestDb};

/// What the hooks of [`hooks`] saw: (event, owner, old balance, new balance).
type Log = Seen<(&'static str, String, Option<i64>, i64)>;

/// One hook set, written once for any hooked connection, sync or async:
/// rejects negative balances, audits creates and balance changes through
/// a hooked operation, and logs what it saw.
fn hooks<X: HookedOps + Hosts<Account> + Hosts<AuditEntry>>(log: &Log) -> Registry<X> {
    let (created, updated, deleted) = (log.clone(), log.clone(), log.clone());
    Registry::new()
        .with_model::<AuditEntry>()
        .with(Hook::before_create(|_ctx, batch: &mut Batch<Account>| {
            batch.reject_where(
                |a, _| a.balance < 0,
                |a| format!("{}: negative balance", a.owner),
            );
            Ok(())
        }))
        .with(Hook::after_create(
            move |ctx: &mut HookContext<'_, X>, batch: &Batch<Account>| {
                created.extend(
                    batch
                        .news()
                        .map(|a| ("create", a.owner.clone(), None, a.balance)),
                );
                let audits = batch
                    .news()
                    .map(|a| AuditEntry::new(a.id, "opened"))
                    .collect();
                ctx.conn().bulk_create(audits)?;
                Ok(())
            },
        ))
        .with(
            Hook::after_update(move |_ctx, batch: &Batch<Account>| {
                updated.extend(batch.iter().map(|(a, old)| {
                    ("update", a.owner.clone(), old.map(|o| o.balance), a.balance)
                }));
                Ok(())
            })
            .when(Account::BALANCE.changed()),
        )
        .with(Hook::after_delete(move |_ctx, batch: &Batch<Account>| {
            deleted.extend(
                batch
                    .olds()
                    .map(|a| ("delete", a.owner.clone(), Some(a.balance), a.balance)),
            );
            Ok(())
        }))
}

/// Counts what callbacks did, from any thread.
#[derive(Clone, Default)]
struct Tally(Arc<std::sync::atomic::AtomicUsize>);

impl Tally {
    fn add(&self) {
        std::sync::atomic::AtomicUsize::fetch_add(&self.0, 1, std::sync::atomic::Ordering::SeqCst);
    }
    fn get(&self) -> usize {
        std::sync::atomic::AtomicUsize::load(&self.0, std::sync::atomic::Ordering::SeqCst)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn connect<C: AsyncInner + TestBackend>(db: &TestDb<C>, log: &Log) -> AsyncHookedConnection<C>
where
    Account: hooks_diesel::Writable<C::Backend>,
    AuditEntry: hooks_diesel::Writable<C::Backend>,
{
    AsyncHookedConnection::connect(db.url(), hooks(log))
        .await
        .expect("connect")
}

mod writes {
    use super::*;

    backend_suite! {
        fn ordinary_async_writes_run_the_hooks(db) {
            let log = Log::new();
            runtime().block_on(async {
                let mut conn = connect(&db, &log).await;
                // One row per statement: diesel-async has no multi-row INSERT
                // on SQLite (batch inserts are tested on the others below).
                let mut n = 0;
                for (owner, balance, status) in [("ann", 10_i64, "active"), ("bob", 20, "idle")] {
                    n += diesel::insert_into(accounts::table)
                        .values((accounts::owner.eq(owner), accounts::balance.eq(balance), accounts::status.eq(status)))
                        .execute(&mut conn)
                        .await
                        .expect("insert");
                }
                assert_eq!(n, 2);
                diesel::update(accounts::table.filter(accounts::status.eq("active")))
                    .set(accounts::balance.eq(accounts::balance + 5))
                    .execute(&mut conn)
                    .await
                    .expect("update");
                diesel::delete(accounts::table.filter(accounts::owner.eq("bob")))
                    .execute(&mut conn)
                    .await
                    .expect("delete");
                // A rejected insert writes nothing and names the record.
                let err = diesel::insert_into(accounts::table)
                    .values((accounts::owner.eq("eve"), accounts::balance.eq(-1_i64), accounts::status.eq("active")))
                    .execute(&mut conn)
                    .await
                    .expect_err("negative balance");
                assert!(err.to_string().contains("eve: negative balance"), "{err}");
                let owners: Vec<(String, i64)> = accounts::table
                    .select((accounts::owner, accounts::balance))
                    .order(accounts::id)
                    .load(&mut conn)
                    .await
                    .expect("load");
                assert_eq!(owners, vec![("ann".to_string(), 15)]);
                let audited: i64 = audit_log::table.count().get_result(&mut conn).await.expect("count");
                assert_eq!(audited, 2);
            });
            let mut seen = log.all();
            seen.sort();
            assert_eq!(
                seen,
                vec![
                    ("create", "ann".into(), None, 10),
                    ("create", "bob".into(), None, 20),
                    ("delete", "bob".into(), Some(20), 20),
                    ("update", "ann".into(), Some(10), 15),
                ]
            );
        }
    }
}

#[path = "async_hooks/operations.rs"]
mod operations;

mod batch_inserts {
    use super::*;

    backend_suite! {
        backends(postgres, mysql);

        fn multi_row_inserts_are_hooked(db) {
            let log = Log::new();
            runtime().block_on(async {
                let mut conn = connect(&db, &log).await;
                let fresh = vec![Account::new("ann", 1, "active"), Account::new("bob", 2, "idle")];
                let n = diesel::insert_into(accounts::table)
                    .values(&fresh)
                    .execute(&mut conn)
                    .await
                    .expect("insert");
                assert_eq!(n, 2);
            });
            assert_eq!(log.len(), 2);
        }
    }
}

#[path = "async_hooks/postgres_only.rs"]
mod postgres_only;

/// diesel-async's own `SyncConnectionWrapper` around a hooked SQLite
/// connection: its statements run the hooks, the hooked operations through
/// `spawn_blocking`.
#[test]
fn sync_connection_wrapper_runs_the_hooks_on_sqlite() {
    use diesel::sqlite::SqliteConnection;
    use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    use hooks_diesel::HookedConnection;
    let db = TestDb::<SqliteConnection>::new();
    let log = Log::new();
    let hooked = db.connect(hooks(&log));
    runtime().block_on(async {
        let mut conn = SyncConnectionWrapper::<HookedConnection<SqliteConnection>>::new(hooked);
        diesel::insert_into(accounts::table)
            .values((
                accounts::owner.eq("ann"),
                accounts::balance.eq(3_i64),
                accounts::status.eq("active"),
            ))
            .execute(&mut conn)
            .await
            .expect("insert");
        let made = conn
            .spawn_blocking(|c| {
                c.bulk_create(vec![Account::new("bob", 4, "idle")])
                    .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))
            })
            .await
            .expect("bulk_create");
        assert_eq!(made.len(), 1);
        let audited: i64 = audit_log::table
            .count()
            .get_result(&mut conn)
            .await
            .expect("count");
        assert_eq!(audited, 2);
    });
    assert_eq!(log.len(), 2);
}
