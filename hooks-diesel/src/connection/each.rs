//! `insert_each`: a batch insert with its rows back, record by record, for
//! the backend whose batches Diesel cannot load through a wrapper.

use diesel::query_builder::InsertStatement;
use diesel::query_dsl::methods::LoadQuery;
use diesel::{Connection, Insertable, RunQueryDsl, Table};

use super::{HookedConnection, InnerConnection};

impl<C: InnerConnection> HookedConnection<C> {
    /// Inserts each record with `insert_into(table).values(record)` and
    /// returns the rows as stored (`get_result`), all in one transaction;
    /// hooks run for each record.
    ///
    /// On SQLite, Diesel sends a batch insert through a wrapper connection
    /// one row at a time, and `insert_into(t).values(&vec).get_results(..)`
    /// does not compile for `HookedConnection<SqliteConnection>`; this is
    /// the same batch with its rows back. It works on every backend with
    /// `RETURNING` (SQLite, PostgreSQL). For one statement per chunk, use
    /// [`bulk_create`](HookedConnection::bulk_create).
    ///
    /// ```
    /// # use diesel::prelude::*;
    /// # use hooks_diesel::{HookedConnection, Registry};
    /// # diesel::table! { notes (id) { id -> Integer, body -> Text, } }
    /// # #[derive(Insertable)] #[diesel(table_name = notes)] struct NewNote<'a> { body: &'a str }
    /// # let mut conn = HookedConnection::new(SqliteConnection::establish(":memory:")?, Registry::new());
    /// # diesel::sql_query("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(&mut conn)?;
    /// let rows: Vec<(i32, String)> =
    ///     conn.insert_each(notes::table, [NewNote { body: "a" }, NewNote { body: "b" }])?;
    /// assert_eq!(rows, [(1, "a".to_string()), (2, "b".to_string())]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert_each<T, V, U>(
        &mut self,
        table: T,
        records: impl IntoIterator<Item = V>,
    ) -> diesel::QueryResult<Vec<U>>
    where
        T: Table + Copy,
        V: Insertable<T>,
        for<'q> InsertStatement<T, V::Values>: LoadQuery<'q, Self, U>,
    {
        self.transaction(|conn| {
            records
                .into_iter()
                .map(|record| diesel::insert_into(table).values(record).get_result(conn))
                .collect()
        })
    }
}
