//! PostgreSQL: a statement fails inside a hooked operation or a transaction
//! helper and its error is ignored (`let _ = ..execute(ctx.conn())`), so
//! the server turns the COMMIT into a ROLLBACK. Every hooked operation and
//! every transaction helper returns `Error::RolledBackByServer`: nothing
//! was written, no on-commit callback or deferred hook ran, and the
//! connection is usable afterwards. (Diesel's own `transaction` reports
//! such a COMMIT as `Ok`: see `transactions/killed.rs`.)

use diesel::pg::PgConnection;
use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::{RetryPolicy, SyncOptions};
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;
use hooks_tests::TestDb;

type Conn = HookedConnection<PgConnection>;

/// A statement that fails; its error is ignored.
fn swallow(conn: &mut Conn) {
    let swallowed = diesel::sql_query("SELECT 1/0").execute(conn);
    assert!(swallowed.is_err(), "the statement fails");
}

/// Every AFTER hook of `Account` swallows an error; every event also has a
/// deferred hook that records that it ran.
fn registry(deferred: &Seen<Event>) -> Registry<Conn> {
    let mut registry = Registry::new()
        .with(Hook::after_create(
            |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| {
                swallow(ctx.conn());
                Ok(())
            },
        ))
        .with(Hook::after_update(
            |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| {
                swallow(ctx.conn());
                Ok(())
            },
        ))
        .with(Hook::after_delete(
            |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| {
                swallow(ctx.conn());
                Ok(())
            },
        ));
    let (c, u, d) = (deferred.clone(), deferred.clone(), deferred.clone());
    registry = registry
        .with(
            Hook::after_create(move |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| {
                c.push(ctx.event());
                Ok(())
            })
            .deferred(),
        )
        .with(
            Hook::after_update(move |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| {
                u.push(ctx.event());
                Ok(())
            })
            .deferred(),
        )
        .with(
            Hook::after_delete(move |ctx: &mut HookContext<'_, Conn>, _: &Batch<Account>| {
                d.push(ctx.event());
                Ok(())
            })
            .deferred(),
        );
    registry
}

/// A database with two accounts (written without hooks) and a hooked
/// connection to it.
fn setup(deferred: &Seen<Event>) -> (TestDb<PgConnection>, Conn, Vec<Account>) {
    let db = TestDb::<PgConnection>::new();
    let stored = db
        .connect(Registry::new())
        .bulk_create(vec![
            Account::new("a", 100, "active"),
            Account::new("b", 200, "active"),
        ])
        .expect("seed");
    let conn = db.connect(registry(deferred));
    (db, conn, stored)
}

fn table(db: &TestDb<PgConnection>) -> Vec<(String, i64, String)> {
    accounts::table
        .order(accounts::id)
        .select((accounts::owner, accounts::balance, accounts::status))
        .load(&mut db.raw())
        .expect("read accounts")
}

fn seeded() -> Vec<(String, i64, String)> {
    vec![
        ("a".to_string(), 100, "active".to_string()),
        ("b".to_string(), 200, "active".to_string()),
    ]
}

/// The operation failed with `RolledBackByServer`, wrote nothing, ran no
/// deferred hook, and the connection still works.
fn assert_rolled_back<T: std::fmt::Debug>(
    result: Result<T, Error>,
    db: &TestDb<PgConnection>,
    conn: &mut Conn,
    deferred: &Seen<Event>,
) {
    match &result {
        Err(Error::RolledBackByServer) => {}
        other => panic!("expected Error::RolledBackByServer, got {other:?}"),
    }
    let message = result.unwrap_err().to_string();
    assert!(message.contains("rolled back"), "{message}");
    assert_eq!(table(db), seeded(), "nothing was written");
    assert!(
        deferred.is_empty(),
        "deferred hooks ran: {:?}",
        deferred.all()
    );
    let count: i64 = accounts::table.count().get_result(conn).expect("usable");
    assert_eq!(count, 2);
    conn.without_hooks(|conn| conn.bulk_create(vec![Account::new("after", 1, "active")]))
        .expect("the connection writes again");
}

fn raised(rows: &[Account]) -> Vec<Account> {
    rows.iter()
        .cloned()
        .map(|mut a| {
            a.balance += 1;
            a
        })
        .collect()
}

#[test]
fn bulk_create() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let result = conn.bulk_create(vec![Account::new("c", 1, "active")]);
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn create() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let result = conn.create(Account::new("c", 1, "active"));
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn bulk_update() {
    let deferred = Seen::new();
    let (db, mut conn, stored) = setup(&deferred);
    let result = conn.bulk_update(raised(&stored));
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn update_and_save() {
    let deferred = Seen::new();
    let (db, mut conn, stored) = setup(&deferred);
    let result = conn.update(raised(&stored).remove(0));
    assert_rolled_back(result, &db, &mut conn, &deferred);
    let result = conn.save(raised(&stored).remove(1));
    assert!(
        matches!(result, Err(Error::RolledBackByServer)),
        "{result:?}"
    );
}

#[test]
fn bulk_update_fields() {
    let deferred = Seen::new();
    let (db, mut conn, stored) = setup(&deferred);
    let result = conn.bulk_update_fields(raised(&stored), &[Account::BALANCE.key()]);
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn update_where() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let result =
        conn.update_where::<Account>(accounts::balance.gt(0), accounts::status.eq("frozen"));
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn update_where_count() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let result =
        conn.update_where_count::<Account>(accounts::balance.gt(0), accounts::status.eq("frozen"));
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn bulk_delete_and_delete() {
    let deferred = Seen::new();
    let (db, mut conn, stored) = setup(&deferred);
    let result = conn.bulk_delete(&stored);
    assert_rolled_back(result, &db, &mut conn, &deferred);
    let result = conn.delete(&stored[0]);
    assert!(
        matches!(result, Err(Error::RolledBackByServer)),
        "{result:?}"
    );
}

#[test]
fn delete_where() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let result = conn.delete_where::<Account>(accounts::balance.gt(0));
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn bulk_sync() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let result = conn.bulk_sync(
        vec![
            Account::new("a", 101, "active"),
            Account::new("c", 3, "active"),
        ],
        Account::OWNER,
        accounts::status.eq("active"),
        SyncOptions::new(),
    );
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn transaction_with_callbacks() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let seen = Seen::new();
    let (on_commit, on_rollback) = (seen.clone(), seen.clone());
    let result = conn.transaction_with_callbacks(|conn| {
        conn.without_hooks(|conn| conn.bulk_create(vec![Account::new("c", 1, "active")]))?;
        conn.on_commit(move |_| {
            on_commit.push("on_commit");
            Ok(())
        });
        conn.on_rollback(move |_| {
            on_rollback.push("on_rollback");
            Ok(())
        });
        swallow(conn);
        Ok(())
    });
    assert_rolled_back(result, &db, &mut conn, &deferred);
    assert_eq!(seen.all(), ["on_rollback"]);
}

#[test]
fn transaction_with() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let result = conn.transaction_with(hooks_diesel::TransactionOptions::new(), |conn| {
        conn.without_hooks(|conn| conn.bulk_create(vec![Account::new("c", 1, "active")]))?;
        swallow(conn);
        Ok(7)
    });
    assert_rolled_back(result, &db, &mut conn, &deferred);
}

#[test]
fn retry_transaction_does_not_retry_it() {
    let deferred = Seen::new();
    let (db, mut conn, _) = setup(&deferred);
    let mut attempts = 0;
    let result = conn.retry_transaction(RetryPolicy::default(), |conn| {
        attempts += 1;
        conn.without_hooks(|conn| conn.bulk_create(vec![Account::new("c", 1, "active")]))?;
        swallow(conn);
        Ok(())
    });
    assert_rolled_back(result, &db, &mut conn, &deferred);
    assert_eq!(
        attempts, 1,
        "a swallowed error is not a serialization failure"
    );
}

/// Inside a transaction, the operation's savepoint is rolled back and the
/// error returned; the enclosing transaction goes on and commits.
#[test]
fn a_hooked_operation_inside_a_transaction_rolls_back_its_savepoint() {
    let deferred = Seen::new();
    let (db, mut conn, stored) = setup(&deferred);
    let result = conn.transaction_with_callbacks::<_, hooks_diesel::Error>(|conn| {
        let inner = conn.bulk_update(raised(&stored));
        assert!(matches!(inner, Err(Error::RolledBackByServer)), "{inner:?}");
        conn.without_hooks(|conn| conn.bulk_create(vec![Account::new("c", 3, "active")]))?;
        Ok(())
    });
    result.expect("the enclosing transaction commits");
    let mut expected = seeded();
    expected.push(("c".to_string(), 3, "active".to_string()));
    assert_eq!(table(&db), expected);
    assert!(deferred.is_empty(), "{:?}", deferred.all());
}
