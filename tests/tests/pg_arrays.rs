//! PostgreSQL array columns (`text[]`, `integer[]`). The hooked operations
//! bind a chunk's columns as array parameters (`unnest($1, $2)`), and
//! PostgreSQL has no arrays of arrays: statements binding an array column
//! per row send `VALUES` rows instead. Array columns are PostgreSQL's
//! alone, so this suite runs there only.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use hooks_diesel::__private::ModelBinds;
use hooks_diesel::prelude::*;
use hooks_tests::recorder::Seen;
use hooks_tests::TestDb;

diesel::table! {
    tagged (id) {
        id -> BigInt,
        label -> Text,
        tags -> Array<Text>,
        scores -> Nullable<Array<Integer>>,
    }
}

#[derive(
    Queryable, Selectable, Insertable, Identifiable, AsChangeset, HookModel, Clone, Debug, PartialEq,
)]
#[diesel(table_name = tagged, treat_none_as_null = true)]
struct Tagged {
    #[diesel(skip_insertion)]
    id: i64,
    label: String,
    tags: Vec<String>,
    scores: Option<Vec<i32>>,
}

type Conn = HookedConnection<PgConnection>;

fn tagged(label: &str, tags: &[&str], scores: Option<Vec<i32>>) -> Tagged {
    Tagged {
        id: 0,
        label: label.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        scores,
    }
}

/// A connection to a fresh schema with the `tagged` table, whose hooks
/// record each (event, new, old) they see.
fn connect(db: &TestDb<PgConnection>) -> (Conn, Seen<(Event, Tagged, Option<Tagged>)>) {
    let seen = Seen::new();
    let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
    let record = |seen: Seen<(Event, Tagged, Option<Tagged>)>| {
        move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Tagged>| {
            let event = ctx.event();
            seen.extend(
                b.iter()
                    .map(|(new, old)| (event, new.clone(), old.cloned())),
            );
            Ok(())
        }
    };
    let registry = Registry::new()
        .with(Hook::after_create(record(s1)))
        .with(Hook::after_update(record(s2)))
        .with(Hook::after_delete(record(s3)));
    let mut conn = db.connect(registry);
    conn.batch_execute(
        "CREATE TABLE tagged (id BIGSERIAL PRIMARY KEY, label TEXT NOT NULL, \
         tags TEXT[] NOT NULL, scores INTEGER[])",
    )
    .expect("create tagged");
    (conn, seen)
}

fn stored(conn: &mut Conn) -> Vec<Tagged> {
    tagged::table
        .order(tagged::id)
        .load(conn)
        .expect("load tagged")
}

#[test]
fn the_derive_finds_the_array_fields() {
    let fields = <Tagged as ModelBinds<diesel::pg::Pg>>::array_fields();
    assert_eq!(fields.iter().collect::<Vec<_>>(), vec![2, 3]);
}

#[test]
fn a_model_with_array_columns_is_inserted_by_values_rows() {
    let db = TestDb::<PgConnection>::new();
    let (mut conn, _) = connect(&db);
    let statements = hooks_tests::recorder::Statements::default();
    conn.set_instrumentation(statements.clone());
    let rows = vec![
        tagged("a", &["x"], None),
        tagged("b", &["y", "z"], Some(vec![1])),
    ];
    let created = conn.bulk_create(rows).unwrap();
    assert_eq!(created, stored(&mut conn));
    let inserts: Vec<String> = statements
        .sql()
        .into_iter()
        .filter(|s| s.starts_with("INSERT"))
        .collect();
    assert_eq!(inserts.len(), 1);
    assert!(
        inserts[0].contains(" VALUES (") && !inserts[0].contains("unnest"),
        "{}",
        inserts[0]
    );
}

#[test]
fn hooked_operations_write_array_columns() {
    let db = TestDb::<PgConnection>::new();
    let (mut conn, seen) = connect(&db);
    let rows = vec![
        tagged("a", &["x", "y"], Some(vec![1, 2, 3])),
        tagged("b", &[], None),
        tagged("c", &["z"], Some(vec![])),
    ];
    let created = conn.bulk_create(rows).unwrap();
    assert_eq!(created, stored(&mut conn));
    assert_eq!(seen.len(), 3);

    // Ragged arrays, one per record, that no rectangular array could hold.
    let mut changed = created.clone();
    changed[0].tags = vec!["only".into()];
    changed[1].scores = Some(vec![9, 8]);
    changed[2].tags = vec!["p".into(), "q".into(), "r".into()];
    conn.bulk_update(changed.clone()).unwrap();
    assert_eq!(changed, stored(&mut conn));
    let updates: Vec<_> = seen
        .all()
        .into_iter()
        .filter(|(e, _, _)| *e == Event::AfterUpdate)
        .map(|(_, new, old)| (new, old))
        .collect();
    let expected: Vec<_> = changed
        .iter()
        .cloned()
        .zip(created.iter().cloned().map(Some))
        .collect();
    assert_eq!(updates, expected);

    let updated = conn
        .update_where::<Tagged>(tagged::label.ne("b"), tagged::tags.eq(vec!["same"]))
        .unwrap();
    assert_eq!(updated.len(), 2);
    let after = stored(&mut conn);
    assert_eq!(after[0].tags, vec!["same"]);
    assert_eq!(after[1].tags, Vec::<String>::new());
    assert_eq!(after[2].tags, vec!["same"]);

    let n = conn.delete_where::<Tagged>(tagged::label.eq("a")).unwrap();
    assert_eq!(n, 1);
    let deleted: Vec<_> = seen
        .all()
        .into_iter()
        .filter(|(e, _, _)| *e == Event::AfterDelete)
        .map(|(_, _, old)| old)
        .collect();
    assert_eq!(deleted, vec![Some(after[0].clone())]);
}

#[test]
fn ordinary_diesel_writes_return_array_columns() {
    let db = TestDb::<PgConnection>::new();
    let (mut conn, seen) = connect(&db);
    let rows = vec![
        tagged("a", &["x", "y"], Some(vec![1])),
        tagged("b", &["z"], None),
    ];
    let returned: Vec<(i64, Vec<String>, Option<Vec<i32>>)> = diesel::insert_into(tagged::table)
        .values(&rows)
        .returning((tagged::id, tagged::tags, tagged::scores))
        .get_results(&mut conn)
        .unwrap();
    let all = stored(&mut conn);
    assert_eq!(
        returned,
        all.iter()
            .map(|t| (t.id, t.tags.clone(), t.scores.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(seen.len(), 2);

    let updated: Vec<Tagged> = diesel::update(tagged::table.filter(tagged::label.eq("a")))
        .set(tagged::scores.eq(Some(vec![4, 5, 6])))
        .returning(Tagged::as_returning())
        .get_results(&mut conn)
        .unwrap();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].scores, Some(vec![4, 5, 6]));
    assert_eq!(updated[0].tags, vec!["x", "y"]);
    let (event, new, old) = seen.all().pop().unwrap();
    assert_eq!(event, Event::AfterUpdate);
    assert_eq!(new, updated[0]);
    assert_eq!(old.map(|o| o.scores), Some(Some(vec![1])));
}
