//! Set-based updates with hooks: the matching rows read and locked first
//! (all of them, or their keys when they are more than a chunk), then per
//! chunk the rows with the changeset's values and one UPDATE applying the
//! changeset by key, with what every hook gave all rows alike; and the
//! rows written are what plain Diesel would write.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::accounts;

fn accounts(n: i64) -> Vec<Account> {
    (1..=n)
        .map(|i| {
            Account::new(
                format!("o{i}"),
                i,
                if i % 2 == 1 { "active" } else { "idle" },
            )
        })
        .collect()
}

macro_rules! stored {
    ($conn:expr) => {
        accounts::table
            .select((
                accounts::owner,
                accounts::balance,
                accounts::status,
                accounts::updated_at.is_not_null(),
            ))
            .order(accounts::id)
            .load::<(String, i64, String, bool)>($conn)
            .expect("rows load")
    };
}

backend_suite! {
    fn two_statements_per_chunk_whatever_the_hooks_edit(db) {
        let seen = Seen::<(String, i64, i64, String)>::new();
        let s = seen.clone();
        let registry = Registry::new()
            .with(Hook::before_update(move |_, b: &mut Batch<Account>| {
                s.extend(b.iter().map(|(n, o)| (n.owner.clone(), o.map_or(0, |o| o.balance), n.balance, n.status.clone())));
                for a in b.news_mut() {
                    a.updated_at = Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap());
                }
                Ok(())
            }))
            .with(Hook::after_update(|_, _: &Batch<Account>| Ok(())));
        let mut conn = db.connect(registry);
        conn.bulk_create(accounts(10)).unwrap();
        conn.config_mut().chunk_size = 2;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let rows = conn
            .update_where::<Account>(accounts::status.eq("active"), (accounts::balance.eq(accounts::balance * 10), accounts::status.eq("frozen")))
            .unwrap();
        assert_eq!(rows.len(), 5);
        // Five rows in chunks of two: a first locking read (one chunk and
        // one row), then every key at once, then three chunks of one
        // UPDATE each, read first by one SELECT except the first chunk,
        // whose rows the first read gave (on MySQL, which has no
        // RETURNING, one more SELECT reads each chunk back, and one UPDATE
        // that matches no row checks the condition first). The hook's
        // stamp is written by the same UPDATEs: no row is written twice.
        let (selects, updates) = match BACKEND {
            hooks_tests::BackendKind::Mysql => (7, 4),
            _ => (4, 3),
        };
        assert_eq!(statements.count("SELECT"), selects, "{:#?}", statements.sql());
        assert_eq!(statements.updates().len(), updates, "{:#?}", statements.sql());
        assert_eq!(
            seen.all(),
            [1, 3, 5, 7, 9].map(|i| (format!("o{i}"), i, i * 10, "frozen".to_string())),
            "BEFORE hooks see the computed values before anything is written"
        );
        let stored = stored!(&mut conn);
        assert!(stored.iter().filter(|r| r.2 == "frozen").all(|r| r.3), "the hooks' stamp is written: {stored:?}");
        assert_eq!(stored.iter().filter(|r| r.2 == "frozen").map(|r| r.1).collect::<Vec<_>>(), [10, 30, 50, 70, 90]);

        statements.clear();
        let n = diesel::update(accounts::table.filter(accounts::status.eq("idle")))
            .set(accounts::balance.eq(accounts::balance + 1))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 5);
        assert_eq!(statements.count("SELECT"), selects, "{:#?}", statements.sql());
        // An ordinary statement on SQLite, whose captured binds are sent
        // all at once, writes the hook's stamp by an UPDATE of its own.
        let writes = if BACKEND == hooks_tests::BackendKind::Sqlite { 2 * updates } else { updates };
        assert_eq!(statements.updates().len(), writes, "{:#?}", statements.sql());
    }

    fn a_delete_reads_its_condition_once_however_many_chunks(db) {
        // Set-based deletes used to read the first matching chunk again
        // for every chunk (quadratic in the rows): the condition is read
        // once, the rows then by key.
        let registry = Registry::new().with(Hook::before_delete(|_, _: &mut Batch<Account>| Ok(())));
        let mut conn = db.connect(registry);
        let created = conn.bulk_create(accounts(9)).unwrap();
        conn.config_mut().chunk_size = 2;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        let ids: Vec<i64> = created.iter().map(|a| a.id).take(7).collect();
        let marked = diesel::dsl::sql::<diesel::sql_types::Bool>("'condition' = 'condition'");
        let n = diesel::delete(accounts::table.filter(accounts::id.eq_any(&ids).and(marked)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(n, 7);
        let evaluated = statements
            .sql()
            .iter()
            .filter(|s| s.starts_with("SELECT") && s.contains("'condition'"))
            .count();
        // Seven rows in chunks of two: the condition is read by a first
        // read (a chunk and one row) and once more for every key, never
        // per chunk; the chunks after the first (whose rows the first read
        // gave) are then read by key.
        assert_eq!(evaluated, 2, "{:#?}", statements.sql());
        assert_eq!(statements.count("SELECT"), 5, "{:#?}", statements.sql());
        assert_eq!(accounts::table.count().get_result::<i64>(&mut conn).unwrap(), 2);
    }

    fn the_rows_written_are_what_plain_diesel_writes(db) {
        // The same statements through a hooked connection and a plain one,
        // on two copies of the same rows.
        let hooked_db = hooks_tests::TestDb::<Inner>::new();
        let mut hooked = hooked_db.connect(
            Registry::new().with(Hook::before_update(|_, _: &mut Batch<Account>| Ok(()))),
        );
        let mut plain = db.raw();
        hooked.bulk_create(accounts(6)).unwrap();
        diesel::insert_into(accounts::table).values(&accounts(6)).execute(&mut plain).unwrap();
        macro_rules! both {
            ($statement:expr) => {{
                let h = $statement.execute(&mut hooked).unwrap();
                let p = $statement.execute(&mut plain).unwrap();
                assert_eq!(h, p, "row counts");
                assert_eq!(stored!(&mut hooked), stored!(&mut plain));
            }};
        }
        // A column read after another is assigned (MySQL assigns left to
        // right; the library applies such a changeset by UPDATE so that
        // every backend keeps its own meaning).
        both!(diesel::update(accounts::table.filter(accounts::balance.gt(2)))
            .set((accounts::owner.eq("renamed"), accounts::status.eq(accounts::owner))));
        both!(diesel::update(accounts::table)
            .set((accounts::balance.eq(accounts::balance * 2 + 1), accounts::updated_at.eq(None::<chrono::NaiveDateTime>))));
        both!(diesel::update(accounts::table.filter(accounts::balance.lt(8).or(accounts::owner.eq("o5"))))
            .set((accounts::status.eq("low"), accounts::balance.eq(accounts::balance - 1))));
    }
}
