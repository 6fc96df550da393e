//! Items staged in a transaction and written inside it, just before the
//! outermost `COMMIT`: what a transactional outbox needs to write the
//! events a transaction published together with its changes, in as few
//! statements as it likes, and never when the transaction (or the
//! savepoint that staged them) rolls back.

use std::any::{Any, TypeId};

use diesel::QueryResult;

use super::frames::{Outcome, Pending, Staged};
use crate::connection::InnerConnection;
use crate::HookedConnection;

/// Writes the staged items of one type, erased.
pub(crate) type FlushFn<C> =
    fn(&mut HookedConnection<C>, Vec<Box<dyn Any + Send>>) -> QueryResult<()>;

/// Staged entries of one type, grouped for their flush.
type Group<C> = (TypeId, FlushFn<C>, Vec<Box<dyn Any + Send>>);

/// A type whose values a transaction stages with
/// [`HookedConnection::stage`] and writes together, inside the
/// transaction, just before its outermost `COMMIT`.
///
/// - Values staged inside a savepoint that rolls back are dropped; a
///   released savepoint hands them to the enclosing transaction; nothing is
///   written when the transaction rolls back.
/// - At the outermost commit, every value staged of a type is handed to
///   its [`flush`](Self::flush) at once, in staging order (types in the
///   order their first value was staged), still inside the transaction. A
///   flush that fails rolls the transaction back and its error is what the
///   commit returns: the transaction's changes and its staged values
///   commit together or not at all.
/// - Outside a transaction a staged value is written at once.
///
/// ```
/// use diesel::connection::SimpleConnection;
/// use diesel::prelude::*;
/// use hooks_diesel::{BeforeCommit, HookedConnection, Registry};
///
/// struct Line(String);
///
/// impl<C: hooks_diesel::InnerConnection> BeforeCommit<C> for Line {
///     fn flush(conn: &mut HookedConnection<C>, items: Vec<Self>) -> QueryResult<()> {
///         let values: Vec<String> = items.iter().map(|l| format!("('{}')", l.0)).collect();
///         conn.batch_execute(&format!("INSERT INTO log (line) VALUES {}", values.join(", ")))
///     }
/// }
///
/// # let inner = diesel::sqlite::SqliteConnection::establish(":memory:")?;
/// let mut conn = HookedConnection::new(inner, Registry::new());
/// conn.batch_execute("CREATE TABLE log (line TEXT NOT NULL)")?;
/// conn.transaction::<_, diesel::result::Error, _>(|conn| {
///     conn.stage(Line("a".into()))?;
///     conn.stage(Line("b".into()))?; // one INSERT for both, before COMMIT
///     assert_eq!(conn.staged::<Line>(), 2);
///     Ok(())
/// })?;
/// let _ = conn.transaction::<(), _, _>(|conn| {
///     conn.stage(Line("never".into()))?;
///     Err(diesel::result::Error::RollbackTransaction)
/// });
/// let lines: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
///     "(SELECT COUNT(*) FROM log)",
/// ))
/// .get_result(&mut conn)?;
/// assert_eq!(lines, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait BeforeCommit<C>: Send + Sized + 'static {
    /// Writes `items` through `conn`, inside the transaction about to
    /// commit (or, for a value staged outside a transaction, at once).
    fn flush(conn: &mut HookedConnection<C>, items: Vec<Self>) -> QueryResult<()>;
}

fn flush_erased<C, T: BeforeCommit<C>>(
    conn: &mut HookedConnection<C>,
    boxes: Vec<Box<dyn Any + Send>>,
) -> QueryResult<()> {
    let mut items = Vec::new();
    for staged in boxes {
        // Entries are grouped by their type, so every one downcasts.
        if let Ok(values) = staged.downcast::<Vec<T>>() {
            items.extend(*values);
        }
    }
    T::flush(conn, items)
}

impl<C: InnerConnection> HookedConnection<C> {
    /// Stages `item` to be written by `T::flush` just before the outermost
    /// `COMMIT`; see [`BeforeCommit`]. Outside a transaction it is written
    /// at once, and the flush's error is returned.
    pub fn stage<T: BeforeCommit<C>>(&mut self, item: T) -> QueryResult<()> {
        self.stage_all(vec![item])
    }

    /// Stages every item of `items` (one entry, whatever their number).
    pub fn stage_all<T: BeforeCommit<C>>(&mut self, items: Vec<T>) -> QueryResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        self.settle_frames(Outcome::RolledBack);
        match self.inner_depth() {
            Some(depth) if depth > 0 => {
                self.tx.push(Pending::Staged(Staged {
                    kind: TypeId::of::<T>(),
                    items: Box::new(items),
                    flush: flush_erased::<C, T>,
                }));
                Ok(())
            }
            _ => T::flush(self, items),
        }
    }

    /// How many values of `T` wait for the outermost commit.
    pub fn staged<T: BeforeCommit<C>>(&mut self) -> usize {
        self.settle_frames(Outcome::RolledBack);
        let mut count = 0;
        self.tx.for_each_staged(|staged| {
            if staged.kind == TypeId::of::<T>() {
                count += staged.items.downcast_ref::<Vec<T>>().map_or(0, Vec::len);
            }
        });
        count
    }

    /// Writes every staged value now, inside the open transaction, as the
    /// outermost commit would (for a test transaction, which never
    /// commits, or to read the values back before committing). Returns
    /// how many types were flushed.
    pub fn flush_staged(&mut self) -> QueryResult<usize> {
        self.settle_frames(Outcome::RolledBack);
        let mut flushed = 0;
        loop {
            let staged = self.tx.take_staged();
            if staged.is_empty() {
                return Ok(flushed);
            }
            // Group by type, in the order each type was first staged.
            let mut groups: Vec<Group<C>> = Vec::new();
            for entry in staged {
                match groups.iter_mut().find(|(kind, _, _)| *kind == entry.kind) {
                    Some((_, _, items)) => items.push(entry.items),
                    None => groups.push((entry.kind, entry.flush, vec![entry.items])),
                }
            }
            for (_, flush, items) in groups {
                flush(self, items)?;
                flushed += 1;
            }
        }
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sqlite::SqliteConnection;

    use super::BeforeCommit;
    use crate::{HookedConnection, Registry};

    /// A line for table `log`; `"fail"` makes the flush fail.
    struct Line(&'static str);

    impl BeforeCommit<SqliteConnection> for Line {
        fn flush(
            conn: &mut HookedConnection<SqliteConnection>,
            items: Vec<Self>,
        ) -> QueryResult<()> {
            let values: Vec<String> = items.iter().map(|l| format!("('{}')", l.0)).collect();
            if items.iter().any(|l| l.0 == "fail") {
                return conn.batch_execute("INSERT INTO no_such_table VALUES (1)");
            }
            conn.batch_execute(&format!(
                "INSERT INTO log (line) VALUES {}",
                values.join(", ")
            ))
        }
    }

    fn conn() -> HookedConnection<SqliteConnection> {
        let mut conn = HookedConnection::new(
            SqliteConnection::establish(":memory:").expect("sqlite"),
            Registry::new(),
        );
        conn.batch_execute("CREATE TABLE log (line TEXT NOT NULL); CREATE TABLE t (x INTEGER)")
            .expect("schema");
        conn
    }

    fn lines(conn: &mut HookedConnection<SqliteConnection>) -> Vec<String> {
        diesel::sql_query("SELECT line FROM log ORDER BY rowid")
            .load::<LineRow>(conn)
            .expect("read")
            .into_iter()
            .map(|r| r.line)
            .collect()
    }

    #[derive(QueryableByName)]
    struct LineRow {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }

    #[test]
    fn savepoints_drop_or_hand_on_their_staged_values_and_the_commit_writes_them_once() {
        let mut conn = conn();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            conn.stage(Line("a"))?;
            let _ = conn.transaction::<(), _, _>(|conn| {
                conn.stage(Line("dropped"))?;
                Err(diesel::result::Error::RollbackTransaction)
            });
            conn.transaction::<_, diesel::result::Error, _>(|conn| conn.stage(Line("b")))?;
            assert_eq!(conn.staged::<Line>(), 2);
            assert!(lines(conn).is_empty(), "nothing written before the commit");
            Ok(())
        })
        .expect("commit");
        assert_eq!(lines(&mut conn), ["a", "b"]);
        assert_eq!(conn.staged::<Line>(), 0);
    }

    #[test]
    fn a_failed_flush_rolls_the_transaction_back() {
        let mut conn = conn();
        let result = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            conn.batch_execute("INSERT INTO t VALUES (1)")?;
            conn.stage(Line("fail"))
        });
        assert!(result.is_err(), "the commit returns the flush's error");
        let rows: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT COUNT(*) FROM t)",
        ))
        .get_result(&mut conn)
        .expect("count");
        assert_eq!(
            rows, 0,
            "the transaction's write rolled back with the failed flush"
        );
        assert_eq!(conn.staged::<Line>(), 0);
        // The connection goes on.
        conn.transaction::<_, diesel::result::Error, _>(|conn| conn.stage(Line("c")))
            .expect("commit");
        assert_eq!(lines(&mut conn), ["c"]);
    }
}
