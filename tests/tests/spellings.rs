//! "Hooked or refused" holds for every spelling of a write: with hooks on
//! `accounts` and the default policy (`UnhookedWrites::Refuse`), each
//! statement below is either routed to the hooks, refused before writing,
//! or proven a read; through `execute` and `batch_execute` alike. A
//! property test then generates spellings (keywords, modifiers, aliases,
//! comments, quoting, case, CTEs) and checks that the row is unchanged or
//! its hook ran exactly once: never written unhooked.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::Error;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::{backend_suite, BackendKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// What a spelling must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Written, and its hooks ran.
    Hooked,
    /// Refused before anything was written.
    Refused,
    /// A read (or a schema change): let through, nothing written, no hook.
    Read,
}

use Expect::*;

const ALL: &[BackendKind] = &[
    BackendKind::Sqlite,
    BackendKind::Postgres,
    BackendKind::Mysql,
];
const PG: &[BackendKind] = &[BackendKind::Postgres];
const MY: &[BackendKind] = &[BackendKind::Mysql];
const LITE: &[BackendKind] = &[BackendKind::Sqlite];
const PG_LITE: &[BackendKind] = &[BackendKind::Postgres, BackendKind::Sqlite];
const PG_MY: &[BackendKind] = &[BackendKind::Postgres, BackendKind::Mysql];
const MY_LITE: &[BackendKind] = &[BackendKind::Mysql, BackendKind::Sqlite];

/// `(statement, backends, expected)`; `{q}` is the backend's quote for
/// names.
const SPELLINGS: &[(&str, &[BackendKind], Expect)] = &[
    ("UPDATE accounts SET balance = 1 WHERE id = 1", ALL, Hooked),
    ("update accounts set balance = 1 where id = 1", ALL, Hooked),
    ("UPDATE {q}accounts{q} SET {q}balance{q} = 1 WHERE {q}id{q} = 1", ALL, Hooked),
    ("/* c */ UPDATE accounts SET balance = 1 WHERE id = 1", ALL, Hooked),
    ("-- c\nUPDATE accounts SET balance = 1 WHERE id = 1", ALL, Hooked),
    ("UPDATE  accounts\n\tSET balance=1 WHERE id=1", ALL, Hooked),
    ("UPDATE accounts SET balance = balance + 1", ALL, Hooked),
    ("UPDATE accounts SET balance = 1 WHERE id = 1 -- ; DELETE FROM accounts", ALL, Hooked),
    ("DELETE FROM accounts WHERE id = 1", ALL, Hooked),
    ("DELETE FROM accounts WHERE id IN (SELECT id FROM accounts WHERE balance > 15)", ALL, Hooked),
    ("INSERT INTO accounts (owner, balance, status) VALUES ('n', 1, 'active')", ALL, Hooked),
    ("insert into accounts(owner,balance,status)values('z',1,'x')", ALL, Hooked),
    ("INSERT INTO accounts (owner, balance, status) VALUES ('a;b', 1, 'x')", ALL, Hooked),
    ("INSERT INTO accounts (owner, balance, status) SELECT owner, balance, status FROM accounts", ALL, Hooked),
    ("UpDaTe AcCoUnTs SeT balance = 1", PG_LITE, Hooked),
    ("INSERT INTO accounts (owner, balance, status) VALUES ('a', 1, 'x') ON CONFLICT DO NOTHING", PG_LITE, Hooked),
    ("UPDATE accounts SET status = 'x' WHERE id = 1 RETURNING id", PG_LITE, Hooked),
    ("INSERT accounts (owner, balance, status) VALUES ('n', 1, 'x')", MY, Hooked),
    ("UPDATE accounts SET balance = 1 WHERE id = 1; SELECT 1", ALL, Refused),
    ("SELECT 1; DELETE FROM accounts", ALL, Refused),
    ("SELECT * FROM accounts WHERE id = 1 FOR UPDATE; UPDATE accounts SET balance = 2", ALL, Refused),
    ("WITH x AS (SELECT 1 AS one) UPDATE accounts SET balance = 1", PG_LITE, Refused),
    ("WITH d AS (DELETE FROM accounts RETURNING *) SELECT count(*) FROM d", PG, Refused),
    ("UPDATE accounts AS o SET balance = 1 WHERE o.id = 1", PG_LITE, Refused),
    ("UPDATE accounts SET balance = 1 FROM audit_log WHERE audit_log.account_id = accounts.id", PG_LITE, Refused),
    ("TRUNCATE accounts", PG, Refused),
    ("UPDATE ONLY accounts SET balance = 1", PG, Refused),
    ("DELETE FROM ONLY accounts WHERE id = 1", PG, Refused),
    ("DO $$ BEGIN UPDATE accounts SET balance = 1; END $$", PG, Refused),
    ("MERGE INTO accounts USING (SELECT 1 AS id) s ON accounts.id = s.id WHEN MATCHED THEN UPDATE SET balance = 5", PG, Refused),
    ("EXPLAIN ANALYZE DELETE FROM accounts", PG, Refused),
    ("PREPARE p AS UPDATE accounts SET balance = 1", PG, Refused),
    ("UPDATE LOW_PRIORITY accounts SET balance = 1", MY, Refused),
    ("UPDATE IGNORE accounts SET balance = 1", MY, Refused),
    ("DELETE FROM accounts ORDER BY id LIMIT 1", MY, Refused),
    ("INSERT INTO accounts SET owner = 'n', balance = 1, status = 'x'", MY, Refused),
    ("UPDATE accounts a JOIN audit_log l ON l.account_id = a.id SET a.balance = 1", MY, Refused),
    ("DELETE a FROM accounts a WHERE a.id = 1", MY, Refused),
    ("INSERT LOW_PRIORITY INTO accounts (owner, balance, status) VALUES ('n', 1, 'x')", MY, Refused),
    ("UPDATE OR IGNORE accounts SET balance = 1", LITE, Refused),
    ("INSERT OR REPLACE INTO accounts (id, owner, balance, status) VALUES (1, 'r', 1, 'x')", LITE, Refused),
    ("REPLACE INTO accounts (id, owner, balance, status) VALUES (1, 'r', 1, 'x')", MY_LITE, Refused),
    ("SELECT * FROM accounts", ALL, Read),
    ("SELECT * FROM accounts FOR UPDATE", PG_MY, Read),
    ("SELECT 'UPDATE accounts SET balance = 1'", ALL, Read),
    ("EXPLAIN DELETE FROM accounts", PG_MY, Read),
    ("CREATE INDEX accounts_owner_idx ON accounts (owner)", PG_LITE, Read),
    ("LOCK TABLE accounts IN SHARE MODE", PG, Read),
];

/// A registry counting hook calls per event.
fn counting<X: hooks_diesel::hooks_core::Hosts<Account>>(
    calls: &Seen<(&'static str, i64)>,
) -> Registry<X> {
    fn record(calls: &Seen<(&'static str, i64)>, event: &'static str, b: &Batch<Account>) {
        calls.extend(b.iter().map(|(new, _)| (event, new.id)));
    }
    let c = |calls: &Seen<(&'static str, i64)>| calls.clone();
    let (cr, up, de) = (c(calls), c(calls), c(calls));
    Registry::new()
        .with(Hook::after_create(move |_, b: &Batch<Account>| {
            record(&cr, "create", b);
            Ok(())
        }))
        .with(Hook::after_update(move |_, b: &Batch<Account>| {
            record(&up, "update", b);
            Ok(())
        }))
        .with(Hook::after_delete(move |_, b: &Batch<Account>| {
            record(&de, "delete", b);
            Ok(())
        }))
}

/// The rows of `accounts`, as `(id, balance, status)`.
macro_rules! rows {
    ($conn:expr) => {
        hooks_tests::schema::accounts::table
            .select((
                hooks_tests::schema::accounts::id,
                hooks_tests::schema::accounts::balance,
                hooks_tests::schema::accounts::status,
            ))
            .order(hooks_tests::schema::accounts::id)
            .load::<(i64, i64, String)>($conn)
            .expect("rows load")
    };
}

/// Runs `sql` on `conn` inside a transaction rolled back afterwards;
/// returns its outcome, the rows before and after.
macro_rules! attempt {
    ($conn:expr, $sql:expr, $batch:expr) => {{
        let mut outcome = None;
        let _ = $conn.transaction::<(), diesel::result::Error, _>(|conn| {
            let before = rows!(conn);
            let result = conn.transaction(|conn| {
                if $batch {
                    conn.batch_execute($sql)
                } else {
                    diesel::sql_query($sql).execute(conn).map(drop)
                }
            });
            outcome = Some((result, before, rows!(conn)));
            Err(diesel::result::Error::RollbackTransaction)
        });
        outcome.expect("the attempt ran")
    }};
}

fn refusal(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::QueryBuilderError(inner) => matches!(
            inner.downcast_ref::<Error>(),
            Some(Error::UnhookedWrite { .. } | Error::UnsupportedWrite { .. })
        ),
        _ => false,
    }
}

const SEED: &str = "INSERT INTO accounts (id, owner, balance, status) VALUES \
    (1, 'a', 10, 'active'), (2, 'b', 20, 'idle'), (3, 'c', 30, 'active')";

/// Moves PostgreSQL's key sequence past the seeded keys.
const PG_SEQUENCE: &str = "SELECT setval(pg_get_serial_sequence('accounts', 'id'), 100)";

backend_suite! {
    fn every_spelling_is_hooked_refused_or_a_read(db) {
        db.raw().batch_execute(SEED).expect("seed");
        if BACKEND == BackendKind::Postgres {
            db.raw().batch_execute(PG_SEQUENCE).expect("sequence");
        }
        let calls = Seen::new();
        let mut conn = db.connect(counting::<Conn>(&calls));
        let quote = if BACKEND == BackendKind::Mysql { "`" } else { "\"" };
        let mut failures = Vec::new();
        let mut checked = 0;
        for (sql, backends, expected) in SPELLINGS {
            if !backends.contains(&BACKEND) {
                continue;
            }
            let sql = sql.replace("{q}", quote);
            for batch in [false, true] {
                checked += 1;
                let seen = calls.len();
                let (result, before, after) = attempt!(conn, &sql, batch);
                let hooked = calls.len() > seen;
                let path = if batch { "batch_execute" } else { "execute" };
                let ok = match (expected, &result) {
                    (Hooked, Ok(())) => hooked,
                    (Refused, Err(e)) => refusal(e) && before == after && !hooked,
                    (Read, Ok(())) => before == after && !hooked,
                    _ => false,
                };
                if !ok {
                    failures.push(format!("{path} {sql:?}: expected {expected:?}, got {result:?} (hooked: {hooked}, changed: {})", before != after));
                }
            }
        }
        assert!(checked >= 40 || BACKEND != BackendKind::Postgres, "{checked} spellings checked");
        assert!(failures.is_empty(), "{:?}:\n{}", BACKEND, failures.join("\n"));
    }

    fn generated_spellings_never_write_unhooked(db) {
        db.raw().batch_execute(SEED).expect("seed");
        if BACKEND == BackendKind::Postgres {
            db.raw().batch_execute(PG_SEQUENCE).expect("sequence");
        }
        let calls = Seen::new();
        let conn = std::cell::RefCell::new(db.connect(counting::<Conn>(&calls)));
        let cases = std::env::var("HOOKS_SPELLING_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(120);
        let config = Config { cases, failure_persistence: None, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[17; 32]));
        let result = runner.run(&spelling(BACKEND), |sql| {
            for batch in [false, true] {
                let seen = calls.len();
                let (_, before, after) = attempt!(conn.borrow_mut(), &sql, batch);
                let ran: Vec<(&str, i64)> = calls.all().split_off(seen);
                // Each row that changed (or appeared, or vanished) was
                // seen by its hook exactly once.
                let ids: std::collections::BTreeSet<i64> = before.iter().chain(&after).map(|r| r.0).collect();
                for id in ids {
                    let (was, is) = (before.iter().find(|r| r.0 == id), after.iter().find(|r| r.0 == id));
                    if was != is {
                        let times = ran.iter().filter(|(_, key)| *key == id).count();
                        prop_assert_eq!(times, 1, "{}: row {} changed ({:?} -> {:?}) and its hooks ran {} times", sql, id, was, is, times);
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{BACKEND:?}: {e}");
        }
    }
}

/// Pieces a generated spelling is made of.
fn spelling(backend: BackendKind) -> impl Strategy<Value = String> {
    let quote = if backend == BackendKind::Mysql {
        "`"
    } else {
        "\""
    };
    let table = prop::sample::select(vec![
        "accounts".to_string(),
        "ACCOUNTS".to_string(),
        format!("{quote}accounts{quote}"),
        "accounts AS o".to_string(),
        "accounts o".to_string(),
    ]);
    let verb = prop::sample::select(vec![
        "UPDATE {t} SET balance = balance + 1 WHERE id = 1",
        "update {t} set balance = balance + 1 where id = 1",
        "UPDATE ONLY {t} SET balance = balance + 1 WHERE id = 1",
        "UPDATE LOW_PRIORITY {t} SET balance = balance + 1 WHERE id = 1",
        "UPDATE IGNORE {t} SET balance = balance + 1 WHERE id = 1",
        "UPDATE OR IGNORE {t} SET balance = balance + 1 WHERE id = 1",
        "DELETE FROM {t} WHERE id = 1",
        "delete from {t} where id = 1",
        "DELETE FROM ONLY {t} WHERE id = 1",
        "DELETE QUICK FROM {t} WHERE id = 1",
        "WITH x AS (SELECT 1 AS one) UPDATE {t} SET balance = balance + 1 WHERE id = 1",
        "WITH x AS (SELECT 1 AS one) DELETE FROM {t} WHERE id = 1",
        "UPDATE {t} SET balance = balance + 1 WHERE id = 1; SELECT 1",
        "SELECT 1; UPDATE {t} SET balance = balance + 1 WHERE id = 1",
        "INSERT INTO {t} (id, owner, balance, status) VALUES (9, 'n', 1, 'x')",
        "INSERT {t} (id, owner, balance, status) VALUES (9, 'n', 1, 'x')",
        "REPLACE INTO {t} (id, owner, balance, status) VALUES (1, 'n', 1, 'x')",
        "SELECT * FROM {t} WHERE id = 1",
    ]);
    let comment = prop::sample::select(vec!["", "/* x */ ", "-- x\n", "/* UPDATE accounts */ "]);
    (comment, verb, table)
        .prop_map(|(comment, verb, table)| format!("{comment}{}", verb.replace("{t}", &table)))
}
