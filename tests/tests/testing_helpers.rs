//! `hooks_diesel::testing` and `hooks_diesel_async::testing` on every
//! backend, each test in a test transaction (nothing committed): captured
//! `on_commit` callbacks and deferred hooks run on demand, the recorder of
//! fired hooks, muted hooks.

use std::sync::Arc;

use diesel::prelude::*;
use hooks_diesel::hooks_core::{BoxError, Event};
use hooks_diesel::testing::{self, Capture};
use hooks_diesel::{Batch, Hook, HookContext, HookedConnection, HookedOps, Registry};
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;
use hooks_tests::{backend_suite, TestBackend};

/// A callback for after the commit, on connection `X`.
type Callback<X> = Box<dyn FnOnce(&mut X) -> Result<(), BoxError> + Send>;

/// The hooks of these tests, for connection `X`: an AFTER_CREATE hook that
/// queues a welcome e-mail after commit (which itself queues a receipt), a
/// deferred AFTER_UPDATE hook, and a BEFORE_UPDATE hook that stamps
/// `updated_at`; `sent` is the outbox.
fn registry<X: HookedOps + hooks_diesel::hooks_core::Hosts<Account>>(
    sent: &Seen<String>,
    on_commit: fn(&mut X, Callback<X>),
) -> Registry<X> {
    let (welcome, deferred) = (sent.clone(), sent.clone());
    Registry::new()
        .with(
            Hook::after_create(
                move |ctx: &mut HookContext<'_, X>, batch: &Batch<Account>| {
                    let owners: Vec<String> = batch.news().map(|a| a.owner.clone()).collect();
                    let (welcome, receipt) = (welcome.clone(), welcome.clone());
                    on_commit(
                        ctx.conn(),
                        Box::new(move |conn: &mut X| {
                            welcome.extend(owners.iter().map(|o| format!("welcome {o}")));
                            on_commit(
                                conn,
                                Box::new(move |_| {
                                    receipt.push("receipt".into());
                                    Ok(())
                                }),
                            );
                            Ok(())
                        }),
                    );
                    Ok(())
                },
            )
            .named("welcome_email"),
        )
        .with(
            Hook::after_update(move |_ctx, batch: &Batch<Account>| {
                deferred.extend(batch.news().map(|a| format!("changed {}", a.owner)));
                Ok(())
            })
            .deferred()
            .named("changes_feed"),
        )
        .with(
            Hook::before_update(|_ctx, batch: &mut Batch<Account>| {
                let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0));
                batch.news_mut().for_each(|a| a.updated_at = at);
                Ok(())
            })
            .named("stamp"),
        )
}

fn sync_on_commit<C: hooks_diesel::InnerConnection>(
    conn: &mut HookedConnection<C>,
    f: Callback<HookedConnection<C>>,
) {
    conn.on_commit(f);
}

mod sync {
    use super::*;

    backend_suite! {
        fn on_commit_callbacks_are_captured_and_run_on_demand(db) {
            let sent = Seen::new();
            let mut conn = db.connect(registry(&sent, sync_on_commit::<Inner>));
            testing::begin_test_transaction(&mut conn).expect("test transaction");
            // Captured only: counted, waiting.
            let captured = testing::capture_on_commit(&mut conn, Capture::Only, |conn| {
                conn.bulk_create(vec![Account::new("ann", 1, "active"), Account::new("bob", 2, "idle")])
            })
            .expect("create");
            assert_eq!((captured.value.len(), captured.callbacks, captured.ran), (2, 1, 0));
            assert!(sent.is_empty());
            // The deferred hook waits too.
            let mut ann = captured.value[0].clone();
            ann.balance = 5;
            let captured = testing::capture_on_commit(&mut conn, Capture::Only, |conn| conn.save(ann))
                .expect("save");
            assert_eq!(captured.callbacks, 1);
            assert_eq!(testing::pending_callbacks(&mut conn), 2);
            // Run on demand: both, and the receipt the e-mail callback queued.
            assert_eq!(testing::run_pending_callbacks(&mut conn).expect("run"), 3);
            let mut outbox = sent.all();
            outbox.sort();
            assert_eq!(outbox, ["changed ann", "receipt", "welcome ann", "welcome bob"]);
            // Execute: run as soon as the closure returns.
            let captured = testing::capture_on_commit(&mut conn, Capture::Execute, |conn| {
                conn.create(Account::new("cy", 3, "idle"))
            })
            .expect("create");
            assert_eq!((captured.callbacks, captured.ran), (1, 2));
            assert_eq!(sent.len(), 6);
            assert_eq!(testing::pending_callbacks(&mut conn), 0);
        }

        fn the_recorder_sees_each_hook_run(db) {
            let sent = Seen::new();
            let mut conn = db.connect(registry(&sent, sync_on_commit::<Inner>));
            testing::begin_test_transaction(&mut conn).expect("test transaction");
            let log = testing::record_hooks(&mut conn);
            let made = conn
                .bulk_create(vec![Account::new("ann", 1, "active"), Account::new("bob", 2, "idle")])
                .expect("create");
            diesel::update(accounts::table.filter(accounts::owner.eq("bob")))
                .set(accounts::balance.eq(7_i64))
                .execute(&mut conn)
                .expect("update");
            testing::run_pending_callbacks(&mut conn).expect("run");
            testing::stop_recording(&mut conn);
            conn.delete(&made[0]).expect("delete");
            let fired = log.fired();
            let seen: Vec<_> = fired
                .iter()
                .map(|f| (f.event, f.model, f.hook.as_str(), f.keys.clone(), f.changed.clone(), f.deferred))
                .collect();
            let (ann, bob) = (made[0].id.to_string(), made[1].id.to_string());
            assert_eq!(
                seen,
                vec![
                    (Event::AfterCreate, "Account", "welcome_email", vec![ann, bob.clone()], vec![vec![], vec![]], false),
                    (Event::BeforeUpdate, "Account", "stamp", vec![bob.clone()], vec![vec!["balance"]], false),
                    // After the BEFORE hook: the stamp is a change too.
                    (Event::AfterUpdate, "Account", "changes_feed", vec![bob], vec![vec!["balance", "updated_at"]], true),
                ]
            );
            assert_eq!(log.count(Event::AfterUpdate, "Account"), 1);
        }

        fn muted_hooks_do_not_run_and_the_others_do(db) {
            let sent = Seen::new();
            let mut conn = db.connect(registry(&sent, sync_on_commit::<Inner>));
            testing::begin_test_transaction(&mut conn).expect("test transaction");
            testing::mute_hooks(&mut conn, ["welcome_email", "changes_feed"]);
            let mut ann = conn.create(Account::new("ann", 1, "active")).expect("create");
            ann.balance = 2;
            let saved = conn.save(ann).expect("save");
            assert!(saved.updated_at.is_some(), "the stamp hook still runs");
            assert_eq!(testing::pending_callbacks(&mut conn), 0);
            testing::unmute_hooks(&mut conn, ["welcome_email"]);
            let captured = testing::with_muted(&mut conn, &["stamp"], |conn| {
                testing::capture_on_commit(conn, Capture::Execute, |conn| {
                    conn.create(Account::new("bob", 1, "idle"))
                })
            })
            .expect("create");
            assert_eq!(captured.ran, 2);
            assert_eq!(sent.all(), ["welcome bob", "receipt"]);
            let mut bob = captured.value;
            bob.balance = 9;
            assert!(conn.save(bob).expect("save").updated_at.is_some(), "stamp back on");
        }
    }
}

mod async_conn {
    use super::*;
    use hooks_diesel_async::{testing as atesting, AsyncHookedConnection};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    }

    backend_suite! {
        fn async_test_transactions_capture_record_and_mute(db) {
            let sent = Seen::new();
            runtime().block_on(async {
                let mut conn = AsyncHookedConnection::<Inner>::connect(
                    db.url(),
                    registry(&sent, sync_on_commit::<Inner>),
                )
                .await
                .expect("connect");
                atesting::begin_test_transaction(&mut conn).await.expect("test transaction");
                let log = atesting::record_hooks(&mut conn);
                atesting::mute_hooks(&mut conn, ["stamp"]).expect("mute");
                let captured = atesting::capture_on_commit(&mut conn, Capture::Only, async |conn| {
                    diesel_async::RunQueryDsl::execute(
                        diesel::insert_into(accounts::table).values((
                            accounts::owner.eq("ann"),
                            accounts::balance.eq(1_i64),
                            accounts::status.eq("active"),
                        )),
                        conn,
                    )
                    .await
                    .map_err(hooks_diesel::Error::from)
                })
                .await
                .expect("insert");
                assert_eq!((captured.value, captured.callbacks), (1, 1));
                assert!(sent.is_empty());
                let captured = atesting::capture_on_commit(&mut conn, Capture::Execute, async |conn| {
                    conn.update_where_count::<Account>(accounts::owner.eq("ann"), accounts::balance.eq(4_i64))
                        .await
                })
                .await
                .expect("update");
                // In registration order: the e-mail queued by the create,
                // the deferred hook, then the receipt the e-mail queued.
                assert_eq!((captured.value, captured.callbacks, captured.ran), (1, 1, 3));
                assert_eq!(sent.all(), ["welcome ann", "changed ann", "receipt"]);
                let names = log.names();
                assert_eq!(names, ["welcome_email", "changes_feed"], "stamp is muted");
                let stamped: Option<chrono::NaiveDateTime> = diesel_async::RunQueryDsl::get_result(
                    accounts::table.select(accounts::updated_at),
                    &mut conn,
                )
                .await
                .expect("read");
                assert_eq!(stamped, None);
            });
        }
    }
}

/// The test transactions above never commit: nothing is left behind.
#[test]
fn test_transactions_commit_nothing() {
    let db = hooks_tests::TestDb::<diesel::sqlite::SqliteConnection>::new();
    let sent = Seen::new();
    {
        let mut conn = db.connect(Arc::new(registry(
            &sent,
            sync_on_commit::<diesel::sqlite::SqliteConnection>,
        )));
        testing::begin_test_transaction(&mut conn).expect("test transaction");
        conn.create(Account::new("ann", 1, "active"))
            .expect("create");
    }
    let mut raw = db.raw();
    let left: i64 = accounts::table.count().get_result(&mut raw).expect("count");
    assert_eq!(left, 0);
    assert!(sent.is_empty());
    let _ = <diesel::sqlite::SqliteConnection as TestBackend>::KIND;
}
