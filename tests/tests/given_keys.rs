//! Keys generated when unset (`#[hook(generated_when_unset)]`): a record
//! with a given key is written with it, a record with an unset key (`0`,
//! `None`) gets one from the database, in the same batch and statement,
//! on every backend; a given key that a row has already is refused by
//! name, with nothing written.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_diesel::SyncOptions;
use hooks_tests::backend_suite;
use hooks_tests::recorder::{Seen, Statements};
use hooks_tests::schema::accounts;

/// An account whose key the caller may choose: `0` lets the database
/// generate it.
#[derive(Queryable, Selectable, Identifiable, AsChangeset, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
pub struct Keyed {
    #[hook(generated_when_unset)]
    pub id: i64,
    pub owner: String,
    pub balance: i64,
    pub status: String,
    pub updated_at: Option<NaiveDateTime>,
}

fn keyed(id: i64, owner: &str, balance: i64) -> Keyed {
    Keyed {
        id,
        owner: owner.into(),
        balance,
        status: "active".into(),
        updated_at: None,
    }
}

/// The same, as Diesel's `Insertable` expects a key the database may
/// generate: `None` is `DEFAULT` in an ordinary `insert_into(..)` too.
#[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = accounts)]
pub struct Opened {
    #[hook(generated_when_unset)]
    #[diesel(deserialize_as = i64)]
    pub id: Option<i64>,
    pub owner: String,
    pub balance: i64,
    pub status: String,
    pub updated_at: Option<NaiveDateTime>,
}

fn opened(id: Option<i64>, owner: &str) -> Opened {
    Opened {
        id,
        owner: owner.into(),
        balance: 1,
        status: "active".into(),
        updated_at: None,
    }
}

/// Every row of `accounts`, as `Keyed`, in key order.
macro_rules! stored {
    ($conn:expr) => {
        accounts::table
            .order(accounts::id)
            .select(Keyed::as_select())
            .load::<Keyed>(&mut $conn)
            .unwrap()
    };
}

backend_suite! {
    fn mixed_batches_write_given_keys_and_generate_the_others(db) {
        let seen = Seen::<(i64, String)>::new();
        let s = seen.clone();
        let registry = Registry::new()
            .with(Hook::before_create(|_, b: &mut Batch<Keyed>| {
                // A BEFORE hook may choose a key too.
                for k in b.news_mut().filter(|k| k.owner == "h") {
                    k.id = 3000;
                }
                Ok(())
            }))
            .with(Hook::after_create(move |_, b: &Batch<Keyed>| {
                s.extend(b.news().map(|k| (k.id, k.owner.clone())));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        conn.config_mut().chunk_size = 4;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        // Within each statement, generated keys come before and after a
        // given key above every key so far (MySQL's counter jumps past it).
        let input = vec![
            keyed(0, "a", 1), keyed(1000, "b", 2), keyed(0, "c", 3), keyed(500, "d", 4),
            keyed(0, "e", 5), keyed(2000, "f", 6), keyed(0, "g", 7), keyed(0, "h", 8),
        ];
        let created = conn.bulk_create(input.clone()).unwrap();
        assert_eq!(statements.count("INSERT"), 2, "one INSERT per chunk: {:?}", statements.sql());

        let owners: Vec<&str> = created.iter().map(|k| k.owner.as_str()).collect();
        assert_eq!(owners, ["a", "b", "c", "d", "e", "f", "g", "h"], "the caller's order");
        for (made, wanted) in created.iter().zip(&input) {
            assert_eq!((made.balance, &made.status), (wanted.balance, &wanted.status));
        }
        assert_eq!((created[1].id, created[3].id, created[5].id, created[7].id), (1000, 500, 2000, 3000), "given keys written");
        let generated: Vec<i64> = [0, 2, 4, 6].iter().map(|&i| created[i].id).collect();
        let distinct: HashSet<i64> = created.iter().map(|k| k.id).collect();
        assert!(generated.iter().all(|&id| id > 0), "{created:?}");
        assert_eq!(distinct.len(), 8, "no generated key repeats a given one: {created:?}");

        let mut by_key = created.clone();
        by_key.sort_by_key(|k| k.id);
        assert_eq!(stored!(conn), by_key, "returned exactly as stored");
        let expected: Vec<(i64, String)> = created.iter().map(|k| (k.id, k.owner.clone())).collect();
        assert_eq!(seen.all(), expected, "AFTER_CREATE saw the stored keys, in the caller's order");
    }

    fn batches_of_one_kind_are_written_as_before(db) {
        let mut conn = db.connect(Registry::new());
        let given = conn.bulk_create(vec![keyed(700, "a", 1), keyed(600, "b", 2)]).unwrap();
        assert_eq!(given.iter().map(|k| k.id).collect::<Vec<_>>(), [700, 600]);
        let generated = conn.bulk_create(vec![keyed(0, "c", 3), keyed(0, "d", 4)]).unwrap();
        assert!(generated.iter().all(|k| k.id > 0 && k.id != 600 && k.id != 700), "{generated:?}");
        assert!(generated[0].id < generated[1].id, "generated in the caller's order");
        assert_eq!(stored!(conn).len(), 4);
    }

    fn chunks_past_the_bind_limit_generate_or_take_keys_alike(db) {
        let mut conn = db.connect(Registry::new().with(Hook::after_create(|_, _: &Batch<Keyed>| Ok(()))));
        conn.config_mut().chunk_size = 15_000;
        let statements = Statements::default();
        conn.set_instrumentation(statements.clone());
        // Every key unset: PostgreSQL leaves the key column out of its
        // arrays and the sequence draws each one, in order.
        let input: Vec<Keyed> = (0..15_000).map(|i| keyed(0, &format!("g{i}"), i)).collect();
        let generated = conn.bulk_create(input).unwrap();
        let owners_in_order = generated.iter().enumerate().all(|(i, k)| k.owner == format!("g{i}") && k.balance == i as i64);
        assert!(owners_in_order && generated.windows(2).all(|w| w[0].id < w[1].id));
        if BACKEND == hooks_tests::BackendKind::Postgres {
            let sql = statements.sql();
            let inserts: Vec<&String> = sql.iter().filter(|s| s.starts_with("INSERT")).collect();
            assert_eq!(inserts.len(), 1);
            assert!(inserts[0].starts_with(r#"INSERT INTO "accounts" ("owner", "balance", "status", "updated_at") SELECT * FROM unnest("#), "{}", inserts[0]);
        }
        // Given and unset keys mixed: `VALUES` rows (an unset key is
        // `DEFAULT`), sent within the bind limit.
        statements.clear();
        // Given keys descending from far above: SQLite and MySQL generate
        // above the largest key so far, which no later given key reaches.
        let input: Vec<Keyed> = (0..15_000)
            .map(|i| keyed(if i % 1000 == 7 { 1_000_000_000_000 - i } else { 0 }, &format!("m{i}"), i))
            .collect();
        let mixed = conn.bulk_create(input.clone()).unwrap();
        for (made, record) in mixed.iter().zip(&input) {
            assert_eq!((&made.owner, made.balance), (&record.owner, record.balance));
            if record.id != 0 {
                assert_eq!(made.id, record.id, "given key written");
            }
        }
        if BACKEND == hooks_tests::BackendKind::Postgres {
            // Five binds a row: 13,107 rows a statement.
            assert_eq!(statements.count("INSERT"), 2, "{}", statements.sql().len());
        }
        let mut all = generated;
        all.extend(mixed);
        all.sort_by_key(|k| k.id);
        assert_eq!(stored!(conn), all, "returned exactly as stored");
    }

    fn create_and_save_take_given_keys(db) {
        let events = Seen::<(Event, i64, i64)>::new();
        let (e1, e2) = (events.clone(), events.clone());
        let registry = Registry::new()
            .with(Hook::after_create(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Keyed>| {
                e1.extend(b.news().map(|k| (ctx.event(), k.id, k.balance)));
                Ok(())
            }))
            .with(Hook::after_update(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Keyed>| {
                e2.extend(b.iter().map(|(k, old)| (ctx.event(), k.id, old.map_or(-1, |o| o.balance))));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        let a = conn.create(keyed(0, "a", 1)).unwrap();
        assert!(a.id > 0);
        let b = conn.create(keyed(700, "b", 2)).unwrap();
        assert_eq!(b.id, 700);

        // `save` of a given key no row has creates the record with it.
        let c = conn.save(keyed(800, "c", 3)).unwrap();
        assert!(c.written());
        assert_eq!(c.id, 800);
        // A row exists: `save` updates it.
        let mut c = c.into_record();
        c.balance = 30;
        let saved = conn.save(c.clone()).unwrap();
        assert!(saved.written());
        assert_eq!(*saved, c);
        // Unset: created with a generated key.
        let d = conn.save(keyed(0, "d", 4)).unwrap().into_record();
        assert!(d.id > 0 && d.id != 700 && d.id != 800);
        assert_eq!(events.all(), [
            (Event::AfterCreate, a.id, 1),
            (Event::AfterCreate, 700, 2),
            (Event::AfterCreate, 800, 3),
            (Event::AfterUpdate, 800, 3),
            (Event::AfterCreate, d.id, 4),
        ]);

        // `update` still refuses a row that does not exist.
        let err = conn.update(keyed(900, "x", 9)).unwrap_err();
        assert!(matches!(err, Error::Vanished { ref keys, .. } if keys == &["900"]), "{err}");
        // `create` of a key that exists names it.
        let err = conn.create(keyed(700, "again", 9)).unwrap_err();
        assert!(matches!(err, Error::KeyExists { ref keys, .. } if keys == &["700"]), "{err}");
        assert!(err.to_string().contains("700"), "{err}");
        let mut all = vec![a, b, c, d];
        all.sort_by_key(|k| k.id);
        assert_eq!(stored!(conn), all);
    }

    fn sync_keeps_given_keys(db) {
        let mut conn = db.connect(Registry::new());
        conn.bulk_create(vec![keyed(100, "a", 1), keyed(200, "b", 2), keyed(0, "z", 9)]).unwrap();
        let z = stored!(conn).into_iter().find(|k| k.owner == "z").unwrap();

        // By owner: a new record's given key is written; a matched row
        // keeps its key whatever the record carries.
        let report = conn.bulk_sync(
            vec![keyed(0, "a", 10), keyed(300, "n", 3), keyed(0, "m", 4), z.clone()],
            Keyed::OWNER,
            accounts::id.gt(0),
            SyncOptions::new(),
        ).unwrap();
        assert_eq!((report.created, report.updated, report.deleted, report.unchanged), (2, 1, 1, 1));
        let rows = stored!(conn);
        let m = rows.iter().find(|k| k.owner == "m").cloned().unwrap();
        assert!(m.id > 0 && m.id != 300, "{rows:?}");
        let mut expected = vec![keyed(100, "a", 10), keyed(300, "n", 3), z.clone(), m.clone()];
        expected.sort_by_key(|k| k.id);
        assert_eq!(rows, expected);

        // By the primary key: unset keys are new records (several of them
        // are no duplicates), given keys are kept or created.
        let report = conn.bulk_sync(
            vec![keyed(100, "a", 11), keyed(0, "p", 5), keyed(0, "q", 6), keyed(400, "r", 7), z.clone()],
            Keyed::ID,
            accounts::id.gt(0),
            SyncOptions::new(),
        ).unwrap();
        assert_eq!((report.created, report.updated, report.deleted, report.unchanged), (3, 1, 2, 1));
        let rows = stored!(conn);
        let owners: Vec<(&str, i64)> = rows.iter().map(|k| (k.owner.as_str(), k.balance)).collect();
        assert_eq!(owners.len(), 5, "{rows:?}");
        assert!(rows.contains(&keyed(100, "a", 11)) && rows.contains(&keyed(400, "r", 7)) && rows.contains(&z), "{rows:?}");
        let new: Vec<&Keyed> = rows.iter().filter(|k| k.owner == "p" || k.owner == "q").collect();
        assert_eq!(new.len(), 2);
        assert!(new.iter().all(|k| ![100, 300, 400, z.id, m.id].contains(&k.id)), "{rows:?}");
    }

    fn given_keys_that_exist_are_refused_and_nothing_is_written(db) {
        let created = Seen::<i64>::new();
        let c = created.clone();
        let registry = Registry::new().with(Hook::after_create(move |_, b: &Batch<Keyed>| {
            c.extend(b.news().map(|k| k.id));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let mut closed = keyed(100, "old", 1);
        closed.status = "closed".into();
        conn.create(closed.clone()).unwrap();
        let before = stored!(conn);

        for chunk_size in [1000, 1] {
            conn.config_mut().chunk_size = chunk_size;
            let err = conn
                .bulk_create(vec![keyed(0, "x", 1), keyed(150, "y", 2), keyed(100, "z", 3)])
                .unwrap_err();
            assert!(
                matches!(err, Error::KeyExists { ref keys, ref positions, .. } if keys == &["100"] && positions == &[2]),
                "{err:?}"
            );
            assert!(err.to_string().contains("key 100 exists already"), "{err}");
            assert_eq!(stored!(conn), before, "nothing written (chunks of {chunk_size})");
            if chunk_size > 1 {
                assert_eq!(created.all(), [100], "checked before the chunk is written");
            }
        }

        let err = conn
            .bulk_create(vec![keyed(150, "y", 2), keyed(0, "x", 1), keyed(150, "w", 3)])
            .unwrap_err();
        assert!(
            matches!(err, Error::DuplicateKey { ref key, ref positions, .. } if key == "150" && positions == &[0, 2]),
            "{err:?}"
        );
        assert_eq!(stored!(conn), before);

        // A sync whose new record takes the key of a row outside its
        // filter: refused, and its deletes are rolled back too.
        conn.create(keyed(200, "live", 2)).unwrap();
        let before = stored!(conn);
        let err = conn.bulk_sync(
            vec![keyed(100, "new", 5)],
            Keyed::OWNER,
            accounts::status.eq("active"),
            SyncOptions::new(),
        ).unwrap_err();
        assert!(matches!(err, Error::KeyExists { ref keys, .. } if keys == &["100"]), "{err:?}");
        assert_eq!(stored!(conn), before);
    }

    fn option_keys_are_generated_when_none(db) {
        let seen = Seen::<(Option<i64>, String)>::new();
        let s = seen.clone();
        let registry = Registry::new().with(Hook::after_create(move |_, b: &Batch<Opened>| {
            s.extend(b.news().map(|o| (o.id, o.owner.clone())));
            Ok(())
        }));
        let mut conn = db.connect(registry);
        // The library's operation and an ordinary Diesel insert, whose
        // `Insertable` writes `None` as DEFAULT.
        let made = conn.bulk_create(vec![opened(None, "a"), opened(Some(1000), "b"), opened(None, "c")]).unwrap();
        assert_eq!(made[1].id, Some(1000));
        assert!(made[0].id.is_some() && made[2].id.is_some(), "{made:?}");
        let inserted = diesel::insert_into(accounts::table)
            .values(&vec![opened(None, "d"), opened(Some(2000), "e"), opened(None, "f")])
            .execute(&mut conn)
            .unwrap();
        assert_eq!(inserted, 3);
        let rows: Vec<Opened> = accounts::table.order(accounts::id).select(Opened::as_select()).load(&mut conn).unwrap();
        let mut expected = seen.all();
        expected.sort_by_key(|(id, _)| *id);
        let rows: Vec<(Option<i64>, String)> = rows.into_iter().map(|o| (o.id, o.owner)).collect();
        assert_eq!(rows, expected, "hooks saw every row as stored");
        let owners: Vec<String> = seen.all().into_iter().map(|(_, o)| o).collect();
        assert_eq!(owners, ["a", "b", "c", "d", "e", "f"], "in the caller's order");
        assert!(seen.all().contains(&(Some(2000), "e".to_string())));
    }
}

/// SQLite and MySQL generate a key above every key so far: a given key
/// written after a generated one in the same statement could be the one
/// just generated. Given keys are written first. (PostgreSQL's sequence
/// does not know given keys at all: keep them out of its range.)
mod generated_after_given {
    use super::*;

    backend_suite! {
        backends(sqlite, mysql);

        fn generated_keys_never_take_a_key_given_in_the_same_statement(db) {
            let mut conn = db.connect(Registry::new());
            let first = conn.create(keyed(0, "a", 1)).unwrap();
            let next = first.id + 1;
            let created = conn
                .bulk_create(vec![keyed(0, "b", 2), keyed(next, "c", 3), keyed(0, "d", 4)])
                .unwrap();
            assert_eq!(created[1].id, next);
            assert!(created[0].id > next && created[2].id > created[0].id, "{created:?}");
            let mut all = vec![first];
            all.extend(created);
            all.sort_by_key(|k| k.id);
            assert_eq!(stored!(conn), all);
        }
    }
}
