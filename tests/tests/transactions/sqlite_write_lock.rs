//! SQLite's write lock, which stands in for row locks: `BEGIN IMMEDIATE`
//! takes it at the begin, a hooked operation outside a transaction begins
//! one, and inside a deferred transaction the first hooked write takes it
//! before it reads. Also the options SQLite refuses or ignores.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use hooks_diesel::prelude::*;
use hooks_diesel::{IsolationLevel, TransactionOptions};
use hooks_tests::models::Account;
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::accounts;
use hooks_tests::TestDb;

use super::add_account;

type Write = fn(&mut HookedConnection<SqliteConnection>, &Account) -> Result<(), Error>;

/// A hooked write inside Diesel's `transaction` (a deferred `BEGIN`)
/// while another connection holds the write lock: it waits for the
/// lock (the busy timeout), as plain Diesel's write does, and its hook
/// sees the row the other connection committed. It reads the old row
/// before it writes, and SQLite refuses a transaction that has read
/// the lock at once, without waiting: so it takes the lock first.
#[test]
fn hooked_writes_in_a_deferred_transaction_wait_for_the_write_lock() {
    let db = TestDb::<SqliteConnection>::new();
    let olds = Seen::new();
    let seen = olds.clone();
    let mut conn = db.connect(Registry::new().with(Hook::after_update(
        move |_, batch: &Batch<Account>| {
            seen.extend(batch.iter().filter_map(|(_, old)| old.map(|o| o.balance)));
            Ok(())
        },
    )));
    conn.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
    let account = conn.create(Account::new("a", 0, "active")).unwrap();
    let writes: [(&str, Write); 3] = [
        ("bulk_update", |conn, account| {
            let mut changed = account.clone();
            changed.status = "changed".into();
            conn.bulk_update(vec![changed]).map(|_| ())
        }),
        ("update_where", |conn, account| {
            conn.update_where::<Account>(accounts::id.eq(account.id), accounts::status.eq("set"))
                .map(|_| ())
        }),
        ("an ordinary diesel::update", |conn, account| {
            diesel::update(accounts::table.find(account.id))
                .set(accounts::status.eq("ordinary"))
                .execute(conn)
                .map(|_| ())
                .map_err(Error::from)
        }),
    ];
    let mut other = db.raw();
    for (round, (name, write)) in (1..).zip(writes) {
        other
            .batch_execute(&format!(
                "BEGIN IMMEDIATE; UPDATE accounts SET balance = {round} WHERE id = {}",
                account.id
            ))
            .unwrap();
        let result = std::thread::scope(|s| {
            let holder = s.spawn(|| {
                std::thread::sleep(Duration::from_millis(300));
                other.batch_execute("COMMIT")
            });
            let result = conn.transaction(|conn| write(conn, &account));
            holder.join().unwrap().unwrap();
            result
        });
        assert!(result.is_ok(), "{name}: {result:?}");
        assert_eq!(olds.all().last(), Some(&round), "{name}: the old row");
    }
    assert_eq!(olds.len(), 3);
}

/// On a database opened read-only, a hooked write that has nothing to
/// write succeeds inside a deferred transaction as outside one: the
/// refused lock statement does not fail it.
#[test]
fn a_read_only_database_still_reads_inside_a_deferred_transaction() {
    let db = TestDb::<SqliteConnection>::new();
    let account = db
        .connect(Registry::new())
        .create(Account::new("a", 1, "active"))
        .unwrap();
    let read_only = SqliteConnection::establish(&format!("file:{}?mode=ro", db.url())).unwrap();
    let mut conn = HookedConnection::new(
        read_only,
        Registry::new().with(Hook::before_update(|_, _: &mut Batch<Account>| Ok(()))),
    );
    let unchanged = conn.transaction(|conn| {
        conn.bulk_update(vec![account.clone()])
            .map(|written| written.written())
    });
    assert!(matches!(unchanged, Ok(0)), "{unchanged:?}");
    let mut changed = account;
    changed.balance = 2;
    let refused = conn.transaction(|conn| conn.bulk_update(vec![changed]));
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("readonly")),
        "{refused:?}"
    );
}

/// The lock is taken once per deferred transaction, before the first
/// hooked write reads; a transaction begun `IMMEDIATE` holds it
/// already, and outside a transaction the operation begins one.
#[test]
fn the_write_lock_is_taken_once_per_deferred_transaction() {
    let db = TestDb::<SqliteConnection>::new();
    let statements = Statements::default();
    let mut conn =
        db.connect(Registry::new().with(Hook::before_update(|_, _: &mut Batch<Account>| Ok(()))));
    conn.set_instrumentation(statements.clone());
    let is_lock = |sql: &String| sql.contains("WHERE 0");
    for round in 0..2 {
        conn.transaction::<_, Error, _>(|conn| {
            statements.clear();
            let created = conn.bulk_create(vec![Account::new(format!("r{round}"), 1, "active")])?;
            conn.update_where::<Account>(accounts::id.eq(created[0].id), accounts::balance.eq(2))?;
            Ok(())
        })
        .unwrap();
        let sql = statements.sql();
        assert_eq!(sql.iter().filter(|s| is_lock(s)).count(), 1, "{sql:?}");
        assert!(is_lock(&sql[0]), "taken before anything else: {sql:?}");
    }
    conn.transaction_with::<_, Error>(TransactionOptions::new().immediate(), |conn| {
        statements.clear();
        conn.update_where::<Account>(accounts::balance.eq(2), accounts::balance.eq(3))?;
        Ok(())
    })
    .unwrap();
    assert!(
        !statements.sql().iter().any(is_lock),
        "{:?}",
        statements.sql()
    );
    statements.clear();
    conn.update_where::<Account>(accounts::balance.eq(3), accounts::balance.eq(4))
        .unwrap();
    assert!(
        !statements.sql().iter().any(is_lock),
        "{:?}",
        statements.sql()
    );
    assert_eq!(
        statements.count("BEGIN IMMEDIATE"),
        1,
        "{:?}",
        statements.sql()
    );
    assert_eq!(count_accounts!(&mut db.raw()), 2);
}

#[test]
fn immediate_takes_the_write_lock_at_begin() {
    let db = TestDb::<SqliteConnection>::new();
    let mut conn = db.connect(Registry::new());
    let mut other = db.raw();
    conn.transaction_with::<_, hooks_diesel::Error>(TransactionOptions::new().immediate(), |_| {
        let refused = other.batch_execute("BEGIN IMMEDIATE");
        assert!(refused
            .unwrap_err()
            .to_string()
            .contains("database is locked"));
        Ok(())
    })
    .unwrap();
    // Negative case: a plain (deferred) transaction that has not written
    // yet holds no write lock.
    conn.transaction_with::<_, hooks_diesel::Error>(TransactionOptions::new(), |_| {
        other
            .batch_execute("BEGIN IMMEDIATE")
            .expect("no lock taken yet");
        other.batch_execute("COMMIT").expect("commit");
        Ok(())
    })
    .unwrap();
}

#[test]
fn read_only_is_refused_and_isolation_levels_are_accepted() {
    let db = TestDb::<SqliteConnection>::new();
    let mut conn = db.connect(Registry::new());
    let result = conn.transaction_with(TransactionOptions::new().read_only(), |_| Ok(()));
    assert!(matches!(result, Err(Error::Invalid(_))), "{result:?}");
    conn.transaction_with::<_, hooks_diesel::Error>(
        TransactionOptions::new().isolation(IsolationLevel::Serializable),
        |conn| {
            add_account(conn, "serializable anyway", 1);
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(count_accounts!(&mut db.raw()), 1);
}

#[test]
fn hooked_operations_begin_immediate_outside_a_transaction() {
    let db = TestDb::<SqliteConnection>::new();
    let statements = Statements::default();
    let mut conn = db.connect(Registry::new());
    conn.set_instrumentation(statements.clone());
    conn.bulk_create(vec![Account::new("a", 1, "active")])
        .unwrap();
    assert_eq!(
        statements.count("BEGIN IMMEDIATE"),
        1,
        "{:?}",
        statements.sql()
    );
}
