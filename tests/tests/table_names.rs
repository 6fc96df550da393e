//! A model over a table that `diesel::table!` renames with
//! `#[sql_name = ".."]`: its statements, and the statements of ordinary
//! Diesel writes that reach its hooks, name the table's SQL name.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::recorder::Seen;
use hooks_tests::writes::{bulk_create, delete_where, update_where};

diesel::table! {
    /// The `accounts` table of the migrations, under another name, with
    /// its `owner` column renamed too.
    #[sql_name = "accounts"]
    ledger (id) {
        id -> BigInt,
        #[sql_name = "owner"]
        holder -> Text,
        balance -> BigInt,
        status -> Text,
        updated_at -> Nullable<Timestamp>,
    }
}

#[derive(
    Queryable, Selectable, Insertable, Identifiable, AsChangeset, HookModel, Clone, Debug, PartialEq,
)]
#[diesel(table_name = ledger, treat_none_as_null = true)]
pub struct Entry {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub holder: String,
    pub balance: i64,
    pub status: String,
    pub updated_at: Option<NaiveDateTime>,
}

fn entry(holder: &str, balance: i64) -> Entry {
    Entry {
        id: 0,
        holder: holder.into(),
        balance,
        status: "active".into(),
        updated_at: None,
    }
}

#[test]
fn the_table_is_named_by_its_sql_name() {
    assert_eq!(<Entry as HookModel>::TABLE, "accounts");
    assert_eq!(<Entry as HookModel>::FIELDS[1].column, "owner");
}

backend_suite! {
    writes(hooked, diesel);

    fn a_renamed_table_is_written_and_hooked(db) {
        let seen = Seen::<(Event, String, i64)>::new();
        let (s1, s2, s3) = (seen.clone(), seen.clone(), seen.clone());
        let registry = Registry::new()
            .with(Hook::after_create(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Entry>| {
                s1.extend(b.news().map(|e| (ctx.event(), e.holder.clone(), e.balance)));
                Ok(())
            }))
            .with(Hook::after_update(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Entry>| {
                s2.extend(b.news().map(|e| (ctx.event(), e.holder.clone(), e.balance)));
                Ok(())
            }))
            .with(Hook::after_delete(move |ctx: &mut HookContext<'_, Conn>, b: &Batch<Entry>| {
                s3.extend(b.olds().map(|e| (ctx.event(), e.holder.clone(), e.balance)));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        let created = bulk_create!(conn, vec![entry("a", 1), entry("b", 2)]).unwrap();
        assert!(created.iter().all(|e| e.id > 0), "{created:?}");
        let mut changed = created.clone();
        changed[0].balance = 10;
        conn.bulk_update(changed).unwrap();
        assert_eq!(update_where!(conn, Entry, ledger::holder.eq("b"), ledger::balance.eq(20)).unwrap(), 1);
        let rows: Vec<(String, i64)> = ledger::table
            .order(ledger::id)
            .select((ledger::holder, ledger::balance))
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows, [("a".to_string(), 10), ("b".to_string(), 20)]);
        assert_eq!(delete_where!(conn, Entry, ledger::balance.gt(15)).unwrap(), 1);
        assert_eq!(seen.all(), [
            (Event::AfterCreate, "a".to_string(), 1),
            (Event::AfterCreate, "b".to_string(), 2),
            (Event::AfterUpdate, "a".to_string(), 10),
            (Event::AfterUpdate, "b".to_string(), 20),
            (Event::AfterDelete, "b".to_string(), 20),
        ]);
    }
}
