//! A hooked operation that fails on a lock (a lock-wait timeout, a
//! deadlock) inside its locking `SELECT`: the error is returned, nothing is
//! written, and the next operation on the same connection runs. On MySQL
//! with libmariadb, a cached prepared statement whose result set failed
//! halfway used to block the next execution of the same statement text
//! forever (README, "Known issues").

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::schema::accounts;
use hooks_tests::sessions::is_postgres;

/// How long an operation that should return at once may take before the
/// test calls it hung.
const HUNG: Duration = Duration::from_secs(20);

/// The statement that makes a connection wait at most a second for a lock.
fn short_lock_wait<C: 'static>() -> &'static str {
    if is_postgres::<C>() {
        "SET lock_timeout = '1s'"
    } else {
        "SET SESSION innodb_lock_wait_timeout = 1"
    }
}

backend_suite! {
    backends(postgres, mysql);

    fn a_lock_error_in_bulk_update_leaves_the_connection_usable(db) {
        let mut conn = db.connect(
            Registry::new().with(Hook::after_update(|_, _: &Batch<Account>| Ok(()))),
        );
        let created = conn
            .bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "active")])
            .unwrap();
        let bump = |rows: &[Account], by: i64| -> Vec<Account> {
            rows.iter().cloned().map(|mut a| { a.balance += by; a }).collect()
        };
        // Once with two keys, so that the statement text is known.
        let stored = conn.bulk_update(bump(&created, 1)).unwrap();
        conn.batch_execute(short_lock_wait::<Inner>()).unwrap();
        let mut locker = db.raw();
        locker
            .batch_execute(&format!(
                "BEGIN; SELECT id FROM accounts WHERE id = {} FOR UPDATE",
                stored[1].id
            ))
            .unwrap();
        let failed = conn.bulk_update(bump(&stored, 1));
        let message = failed.expect_err("the second row is locked").to_string();
        assert!(message.to_lowercase().contains("lock"), "{message}");
        locker.batch_execute("COMMIT").unwrap();

        // The same two keys again: must return, and write.
        let kill = hooks_tests::kill_statement!(Inner, &mut conn);
        let (done, wait) = mpsc::channel();
        let again = bump(&stored, 1);
        let worker = thread::spawn(move || {
            let result = conn.bulk_update(again).map(|rows| rows.len());
            let _ = done.send(result.map_err(|e| e.to_string()));
        });
        let result = match wait.recv_timeout(HUNG) {
            Ok(result) => result,
            Err(_) => {
                // Unblock the hung client before failing.
                let _ = db.raw().batch_execute(&kill);
                let _ = worker.join();
                panic!("bulk_update after a lock error hung for {HUNG:?}");
            }
        };
        worker.join().unwrap();
        assert_eq!(result, Ok(2));
        let balances: Vec<i64> = accounts::table
            .order(accounts::id)
            .select(accounts::balance)
            .load(&mut db.raw())
            .unwrap();
        assert_eq!(balances, [3, 4], "the failed update wrote nothing, the last one wrote");
    }
}
