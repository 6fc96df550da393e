//! Each write of the behaviour suite, expressed two ways: through the
//! library's operations, or as the ordinary Diesel statement an
//! application would send through a `HookedConnection` (whose hooks the
//! library runs all the same).
//!
//! The macros pick the form from the `WRITES` constant in scope, which
//! [`backend_suite!`](crate::backend_suite)'s `writes(..)` form defines
//! (they expand at the call site, so the Diesel statements are typed there,
//! with no generic bounds to spell out). `conn` may be a hooked connection,
//! a `&mut` to one, or a hook's context. Each returns the library's
//! `Result`, a Diesel error converted as `hooks_diesel::Error::from` does
//! (a hook's error comes back as itself).
//!
//! | macro | `Writes::Hooked` | `Writes::Diesel` |
//! |---|---|---|
//! | [`bulk_create!`](crate::bulk_create)`(conn, records)` | `bulk_create` | `insert_into(table).values(&records).execute`, then the new rows read back |
//! | [`create!`](crate::create)`(conn, record)` | `create` | `insert_into(table).values(&record).execute`, then the new row read back |
//! | [`update_where!`](crate::update_where)`(conn, Model, filter, changes)` | `update_where_count` | `update(table.filter(filter)).set(changes).execute` |
//! | [`delete_where!`](crate::delete_where)`(conn, Model, filter)` | `delete_where` | `delete(table.filter(filter)).execute` |
//! | [`bulk_delete!`](crate::bulk_delete)`(conn, &records)` | `bulk_delete` | `delete(table.filter(key.eq_any(keys))).execute` |
//! | [`delete!`](crate::delete)`(conn, &record)` | `delete` (then 1) | `delete(&record).execute` |
//! | [`save!`](crate::save)`(conn, record)` | `save` | `save_changes` for a stored record, an insert (as `create!`) for a new one |
//! | [`update!`](crate::update)`(conn, record)` | `update` (then 1) | `update(&record).set(&record).execute` |
//!
//! The set-based forms return how many rows they wrote: an ordinary
//! update or delete sent with `execute` gives a count, not rows.

use std::collections::{HashMap, HashSet};

use diesel::associations::HasTable;
use diesel::backend::Backend;
use diesel::dsl::AsSelect;
use diesel::SelectableHelper;
use hooks_diesel::hooks_core::HookModel;
use hooks_diesel::HookedConnection;

/// How a suite sends its writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// Through the library's operations (`bulk_create`, `update_where`,
    /// `save`, ...).
    Hooked,
    /// As ordinary Diesel statements (`insert_into`, `update`, `delete`,
    /// `save_changes`) sent through the hooked connection.
    Diesel,
}

/// The hooked connection behind `conn.as_hooked()`, whether `conn` is a
/// connection, a `&mut` to one or a hook's context (method calls
/// dereference to it).
#[doc(hidden)]
pub trait AsHooked {
    /// The connection the hooked one wraps.
    type Inner;
    /// The hooked connection itself.
    fn as_hooked(&mut self) -> &mut HookedConnection<Self::Inner>;
}

impl<C> AsHooked for HookedConnection<C> {
    type Inner = C;
    fn as_hooked(&mut self) -> &mut HookedConnection<C> {
        self
    }
}

/// `$conn` as a `&mut HookedConnection`.
#[doc(hidden)]
#[macro_export]
macro_rules! __hooked {
    ($conn:expr) => {{
        use $crate::writes::AsHooked as _;
        $conn.as_hooked()
    }};
}

/// The table of the records' model.
#[doc(hidden)]
pub fn table_of<M: HasTable>(_: &[M]) -> M::Table {
    M::table()
}

/// `M::as_select()` for the records' model.
#[doc(hidden)]
pub fn select_of<M: SelectableHelper<DB>, DB: Backend>(_: &[M]) -> AsSelect<M, DB> {
    M::as_select()
}

/// The primary keys of `records`.
#[doc(hidden)]
pub fn keys_of<M: HookModel>(records: &[M]) -> Vec<M::Key> {
    records.iter().map(HookModel::key).collect()
}

/// The rows an insert of `records` created: those of `after` absent from
/// `before`, in the caller's order when the records carry their keys, in
/// key order otherwise (generated keys follow the order of the insert, as
/// `bulk_create` returns them).
#[doc(hidden)]
pub fn created<M: HookModel>(before: &[M], mut after: Vec<M>, records: &[M]) -> Vec<M> {
    let existing: HashSet<M::Key> = before.iter().map(HookModel::key).collect();
    after.retain(|row| !existing.contains(&row.key()));
    if !records.is_empty() && records.iter().all(HookModel::has_key) {
        let position: HashMap<M::Key, usize> = records
            .iter()
            .enumerate()
            .map(|(at, r)| (r.key(), at))
            .collect();
        after.sort_by_key(|row| (position.get(&row.key()).copied(), row.key()));
    } else {
        after.sort_by_key(HookModel::key);
    }
    after
}

/// The last row `created` found: the one an insert of a single record
/// wrote.
#[doc(hidden)]
pub fn single<M>(mut rows: Vec<M>) -> hooks_diesel::Result<M> {
    match (rows.pop(), rows.is_empty()) {
        (Some(row), true) => Ok(row),
        (row, _) => Err(hooks_diesel::Error::Invalid(format!(
            "an insert of one record created {} rows",
            rows.len() + usize::from(row.is_some())
        ))),
    }
}

/// An ordinary Diesel insert of `$values` (records of one model,
/// `$records` as a slice) and the rows it created, read back.
#[doc(hidden)]
#[macro_export]
macro_rules! __diesel_insert {
    ($conn:ident, $values:expr, $records:expr) => {
        (|| -> $crate::__hooks_diesel::Result<_> {
            use $crate::__hooks_diesel::diesel::{QueryDsl as _, RunQueryDsl as _};
            let table = $crate::writes::table_of($records);
            let before = table
                .select($crate::writes::select_of($records))
                .load(&mut *$conn)?;
            $crate::__hooks_diesel::diesel::insert_into(table)
                .values($values)
                .execute(&mut *$conn)?;
            let after = table
                .select($crate::writes::select_of($records))
                .load(&mut *$conn)?;
            Ok($crate::writes::created(&before, after, $records))
        })()
    };
}

/// Creates `records` (a `Vec` of one model); returns them as stored, in
/// the caller's order. `Writes::Diesel`: `insert_into(table)
/// .values(&records).execute`, then the rows the insert added read back.
#[macro_export]
macro_rules! bulk_create {
    ($conn:expr, $records:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        let records = $records;
        match WRITES {
            $crate::Writes::Hooked => conn.bulk_create(records),
            $crate::Writes::Diesel => $crate::__diesel_insert!(conn, &records, &records[..]),
        }
    }};
}

/// Creates one record; returns it as stored. `Writes::Diesel`:
/// `insert_into(table).values(&record).execute`, then the row read back.
#[macro_export]
macro_rules! create {
    ($conn:expr, $record:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        let record = $record;
        match WRITES {
            $crate::Writes::Hooked => conn.create(record),
            $crate::Writes::Diesel => {
                $crate::__diesel_insert!(conn, &record, ::std::slice::from_ref(&record))
                    .and_then($crate::writes::single)
            }
        }
    }};
}

/// Applies `changes` to the rows of `Model` matching `filter`; returns
/// how many. `Writes::Hooked`: `update_where_count`; `Writes::Diesel`:
/// `update(table.filter(filter)).set(changes).execute`.
#[macro_export]
macro_rules! update_where {
    ($conn:expr, $model:ty, $filter:expr, $changes:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        match WRITES {
            $crate::Writes::Hooked => conn.update_where_count::<$model>($filter, $changes),
            $crate::Writes::Diesel => {
                use $crate::__hooks_diesel::diesel::{QueryDsl as _, RunQueryDsl as _};
                let table =
                    <$model as $crate::__hooks_diesel::diesel::associations::HasTable>::table();
                $crate::__hooks_diesel::diesel::update(table.filter($filter))
                    .set($changes)
                    .execute(conn)
                    .map_err($crate::__hooks_diesel::Error::from)
            }
        }
    }};
}

/// Deletes the rows of `Model` matching `filter`; returns how many.
/// `Writes::Hooked`: `delete_where`; `Writes::Diesel`:
/// `delete(table.filter(filter)).execute`.
#[macro_export]
macro_rules! delete_where {
    ($conn:expr, $model:ty, $filter:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        match WRITES {
            $crate::Writes::Hooked => conn.delete_where::<$model>($filter),
            $crate::Writes::Diesel => {
                use $crate::__hooks_diesel::diesel::{QueryDsl as _, RunQueryDsl as _};
                let table =
                    <$model as $crate::__hooks_diesel::diesel::associations::HasTable>::table();
                $crate::__hooks_diesel::diesel::delete(table.filter($filter))
                    .execute(conn)
                    .map_err($crate::__hooks_diesel::Error::from)
            }
        }
    }};
}

/// Deletes stored `records` (a slice of one model with a one-column key);
/// returns how many rows went. `Writes::Hooked`: `bulk_delete` (which
/// refuses keys whose row has vanished); `Writes::Diesel`:
/// `delete(table.filter(key.eq_any(keys))).execute` (a filter: rows that
/// are gone are simply not counted).
#[macro_export]
macro_rules! bulk_delete {
    ($conn:expr, $records:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        let records = $records;
        match WRITES {
            $crate::Writes::Hooked => conn.bulk_delete(records),
            $crate::Writes::Diesel => {
                use $crate::__hooks_diesel::diesel::{
                    ExpressionMethods as _, QueryDsl as _, RunQueryDsl as _, Table as _,
                };
                let table = $crate::writes::table_of(records);
                let keys = $crate::writes::keys_of(records);
                $crate::__hooks_diesel::diesel::delete(
                    table.filter(table.primary_key().eq_any(keys)),
                )
                .execute(conn)
                .map_err($crate::__hooks_diesel::Error::from)
            }
        }
    }};
}

/// Deletes one stored record (given by reference); returns how many rows
/// went. `Writes::Hooked`: `delete` (which refuses a vanished row), then
/// 1; `Writes::Diesel`: `delete(&record).execute`.
#[macro_export]
macro_rules! delete {
    ($conn:expr, $record:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        let record = $record;
        match WRITES {
            $crate::Writes::Hooked => conn.delete(record).map(|()| 1_usize),
            $crate::Writes::Diesel => {
                use $crate::__hooks_diesel::diesel::RunQueryDsl as _;
                $crate::__hooks_diesel::diesel::delete(record)
                    .execute(conn)
                    .map_err($crate::__hooks_diesel::Error::from)
            }
        }
    }};
}

/// Creates a new record or updates a stored one; returns it as stored.
/// `Writes::Hooked`: `save`; `Writes::Diesel`: `save_changes` for a record
/// with a key, an insert read back (as [`create!`](crate::create))
/// otherwise. The model must derive `AsChangeset`.
#[macro_export]
macro_rules! save {
    ($conn:expr, $record:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        let record = $record;
        match WRITES {
            $crate::Writes::Hooked => conn.save(record),
            $crate::Writes::Diesel => {
                if $crate::__hooks_diesel::HookModel::has_key(&record) {
                    use $crate::__hooks_diesel::diesel::SaveChangesDsl as _;
                    (&record)
                        .save_changes(conn)
                        .map_err($crate::__hooks_diesel::Error::from)
                } else {
                    $crate::__diesel_insert!(conn, &record, ::std::slice::from_ref(&record))
                        .and_then($crate::writes::single)
                }
            }
        }
    }};
}

/// Updates one stored record (every field it has); returns how many rows
/// were written. `Writes::Hooked`: `update` (changed fields only; refuses
/// a vanished row), then 1; `Writes::Diesel`:
/// `update(&record).set(&record).execute`. The model must derive
/// `AsChangeset`.
#[macro_export]
macro_rules! update {
    ($conn:expr, $record:expr $(,)?) => {{
        let conn = $crate::__hooked!($conn);
        let record = $record;
        match WRITES {
            $crate::Writes::Hooked => conn.update(record).map(|_| 1_usize),
            $crate::Writes::Diesel => {
                use $crate::__hooks_diesel::diesel::RunQueryDsl as _;
                $crate::__hooks_diesel::diesel::update(&record)
                    .set(&record)
                    .execute(conn)
                    .map_err($crate::__hooks_diesel::Error::from)
            }
        }
    }};
}

pub use crate::{
    bulk_create, bulk_delete, create, delete, delete_where, save, update, update_where,
};
