use diesel::backend::Backend;
use diesel::query_builder::{AstPass, MoveableBindCollector, QueryFragment};
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

use crate::sql::{push_text, writes_sql, Carry, Piece};

use super::HookBackend;

impl HookBackend for Sqlite {
    const NAME: &'static str = "sqlite";
    /// `SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite.
    const BIND_LIMIT: usize = 32766;
    const RETURNING: bool = true;
    const ROW_LOCKS: bool = false;
    const ARRAYS: bool = false;
    const UPDATE_JOIN: bool = false;
    const CHECKS_CONDITION_BY_WRITE: bool = false;
    const TWO_PASS_SELF_UPDATES: bool = false;
    const VALUES_TABLE: bool = true;
    const ASSIGNS_IN_ORDER: bool = false;
    const UPSERT_MARKS_UPDATED: bool = false;
    const GENERATE_KEY: &'static str = "NULL";
    const DEFAULT_IN_VALUES: bool = false;
    /// `SQLITE_BUSY` and `SQLITE_LOCKED`, whose codes Diesel keeps.
    const RETRYABLE_MESSAGES: &'static [(&'static str, &'static str)] = &[
        ("database is locked", "SQLITE_BUSY"),
        ("database table is locked", "SQLITE_LOCKED"),
    ];

    /// `BEGIN IMMEDIATE` takes the write lock up front; an isolation level
    /// is satisfied by SQLite's serializable transactions.
    fn begin_sql(options: &crate::TransactionOptions) -> crate::Result<String> {
        if options.read_only {
            return Err(crate::Error::Invalid(
                "SQLite has no read-only transactions: open the database read-only \
                 (`?mode=ro` in the URL) or drop `read_only`"
                    .to_string(),
            ));
        }
        Ok(if options.immediate {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        }
        .to_string())
    }

    /// `DELETE FROM "t" WHERE 0`: a write statement begins the database's
    /// write transaction whatever rows it matches, and it waits for the
    /// lock (the busy timeout) only while its transaction has read
    /// nothing yet. A transaction that reads first and writes later is
    /// refused the lock at once, without waiting, when another connection
    /// holds it (waiting could deadlock); a hooked operation reads the
    /// old rows before it writes, so it takes the lock before that read.
    fn write_lock_sql(table: &str) -> Option<String> {
        Some(format!(
            "DELETE FROM \"{}\" WHERE 0",
            table.replace('"', "\"\"")
        ))
    }
}

/// SQLite's captured binds are opaque: they are re-sent all at once, by
/// the piece that mentions the last of them, and every piece refers to
/// them by number (`?3`).
impl super::Capture for Sqlite {
    const DIALECT: crate::sql::Dialect = crate::sql::Dialect::Sqlite;
    const SPLITS_BINDS: bool = false;
    type Binds =
        <<Sqlite as Backend>::BindCollector<'static> as MoveableBindCollector<Sqlite>>::BindData;

    fn capture_binds(
        query: &dyn QueryFragment<Sqlite>,
        lookup: &mut (),
    ) -> QueryResult<Self::Binds> {
        let mut binds = <Sqlite as Backend>::BindCollector::default();
        query.collect_binds(&mut binds, lookup, &Sqlite)?;
        Ok(binds.moveable())
    }

    fn extend_binds<'c>(
        binds: &Self::Binds,
        lookup: &mut (),
        push: &mut dyn FnMut(
            &mut <Sqlite as Backend>::BindCollector<'c>,
            &mut (),
        ) -> QueryResult<()>,
    ) -> QueryResult<Self::Binds> {
        let mut extended = <Sqlite as Backend>::BindCollector::default();
        extended.append_bind_data(binds);
        push(&mut extended, lookup)?;
        Ok(extended.moveable())
    }

    /// The captured binds are opaque; their debug forms count them.
    fn bind_count(binds: &Self::Binds) -> usize {
        super::sqlite_binds::count(binds)
    }

    fn select_binds(binds: &Self::Binds, indexes: &[usize]) -> Option<Self::Binds> {
        super::sqlite_binds::select(binds, indexes)
    }

    fn push_placeholder(out: &mut AstPass<'_, '_, Self>) -> QueryResult<()> {
        out.push_bind_param::<diesel::sql_types::Integer, i32>(&super::capture::PLACEHOLDER)
    }

    fn count_binds(_n: usize, _out: &mut AstPass<'_, '_, Self>) -> QueryResult<()> {
        Ok(())
    }

    fn push_binds<'b>(binds: &'b Self::Binds, out: &mut AstPass<'_, 'b, Self>) -> QueryResult<()> {
        out.push_bind_collector_data(binds)
    }

    fn push_piece<'b>(
        piece: &'b Piece,
        binds: &'b Self::Binds,
        out: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()> {
        let Some(Carry { total, condition }) = piece.carries() else {
            return if writes_sql(out) {
                push_numbered(piece, out)
            } else {
                Ok(())
            };
        };
        if writes_sql(out) {
            push_numbered(piece, out)?;
            // Every bind sent must be named in the text, the last one
            // included: a filter that does not name it says so harmlessly.
            if condition && total > 0 && piece.max_bind().is_none_or(|max| max + 1 < total) {
                out.push_sql(&format!(" AND (?{total} IS NULL OR 1 = 1)"));
            }
            return Ok(());
        }
        if total > 0 {
            out.push_bind_collector_data(binds)?;
        }
        Ok(())
    }
}

/// A piece's text with its placeholders numbered (`?3`).
fn push_numbered(piece: &Piece, out: &mut AstPass<'_, '_, Sqlite>) -> QueryResult<()> {
    use std::fmt::Write;
    let mut number = String::with_capacity(8);
    push_text(piece, out, |index, out| {
        number.clear();
        // Writing to a `String` cannot fail.
        let _ = write!(number, "?{}", index + 1);
        out.push_sql(&number);
        Ok(())
    })
}

impl super::Session for Sqlite {
    fn lexing<C: diesel::connection::LoadConnection<Backend = Self>>(
        _conn: &mut C,
    ) -> QueryResult<crate::sql::Lexing> {
        Ok(crate::sql::Lexing::default_for(crate::sql::Dialect::Sqlite))
    }

    /// SQLite compares names without regard to ASCII case, quoted or not.
    fn names_table<C: diesel::connection::LoadConnection<Backend = Self>>(
        _conn: &mut C,
        written: &crate::sql::Name,
        table: &str,
    ) -> QueryResult<bool> {
        Ok(written.text.eq_ignore_ascii_case(table))
    }

    /// From `pragma_table_info`; an `INTEGER PRIMARY KEY` (the rowid) is
    /// generated.
    fn column_defaults<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
        table: &str,
    ) -> QueryResult<Vec<super::ColumnDefault>> {
        use diesel::RunQueryDsl;
        let columns: Vec<super::session::CatalogColumn> = diesel::sql_query(
            "SELECT name, dflt_value AS \"default\", \
             (pk = 1 AND upper(type) = 'INTEGER' \
              AND (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > 0) = 1) AS generated \
             FROM pragma_table_info(?1) ORDER BY cid",
        )
        .bind::<diesel::sql_types::Text, _>(table)
        .load(conn)?;
        Ok(columns.into_iter().map(Into::into).collect())
    }

    /// An unqualified name is looked up in `temp`, then `main`, then the
    /// attached databases in the order they were attached.
    fn qualifies_table<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
        qualifier: &[crate::sql::Name],
        table: &str,
    ) -> QueryResult<bool> {
        use diesel::RunQueryDsl;
        let [schema] = qualifier else {
            return Ok(false);
        };
        let resolved: Option<String> = diesel::select(
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(
                "(SELECT d.name FROM pragma_database_list AS d \
                 JOIN pragma_table_list AS t ON t.schema = d.name \
                 WHERE t.name = ",
            )
            .bind::<diesel::sql_types::Text, _>(table)
            .sql(
                " COLLATE NOCASE ORDER BY CASE d.name WHEN 'temp' THEN 0 WHEN 'main' THEN 1 \
                 ELSE 2 + d.seq END LIMIT 1)",
            ),
        )
        .get_result::<Option<String>>(conn)?;
        Ok(resolved.is_some_and(|r| r.eq_ignore_ascii_case(&schema.text)))
    }
}
