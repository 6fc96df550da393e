//! Every statement the hooked operations send, behind one trait so that
//! the operations need a single bound per model.

use diesel::connection::LoadConnection;
use diesel::expression::QueryMetadata;
use diesel::query_builder::QueryFragment;
use diesel::QueryResult;

use super::{load_rows, DeleteWhere, InsertRows, LoadRow, SelectByKeys, SelectWhere, Target};
use super::{UpdateRows, UpdateSet};
use crate::backend::HookBackend;
use crate::hooks_core::FieldSet;
use crate::model::DieselHookModel;

/// A model the hooked operations can write on backend `DB`.
///
/// Implemented automatically for every model deriving `Queryable`,
/// `Selectable` and `HookModel`; never implement it by hand.
pub trait HookedModel<DB: HookBackend>: DieselHookModel<DB> + LoadRow<DB> {
    /// Inserts `records` with one statement; returns the rows as stored, in
    /// order.
    #[doc(hidden)]
    fn insert<C: LoadConnection<Backend = DB>>(
        conn: &mut C,
        records: &[Self],
    ) -> QueryResult<Vec<Self>>;

    /// Reads the rows with `keys`, in key order, locked when `lock`.
    #[doc(hidden)]
    fn select_keys<C: LoadConnection<Backend = DB>>(
        conn: &mut C,
        keys: &[Self::Key],
        lock: bool,
    ) -> QueryResult<Vec<Self>>;

    /// Reads up to `limit` rows matching `filter` with keys after `after`,
    /// in key order, locked when `lock`.
    #[doc(hidden)]
    fn select_where<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        filter: &F,
        after: Option<&Self::Key>,
        limit: Option<usize>,
        lock: bool,
    ) -> QueryResult<Vec<Self>>;

    /// Writes each record's values of `fields`; returns the rows matched.
    #[doc(hidden)]
    fn update_rows<C: LoadConnection<Backend = DB>>(
        conn: &mut C,
        records: &[Self],
        fields: FieldSet,
    ) -> QueryResult<usize>;

    /// Applies a changeset to the target rows; returns them as stored.
    #[doc(hidden)]
    fn update_set_returning<C, S, F>(
        conn: &mut C,
        changeset: &S,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<Vec<Self>>
    where
        C: LoadConnection<Backend = DB>,
        S: QueryFragment<DB>,
        F: QueryFragment<DB>;

    /// Applies a changeset to the target rows; returns how many.
    #[doc(hidden)]
    fn update_set<C, S, F>(
        conn: &mut C,
        changeset: &S,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<usize>
    where
        C: LoadConnection<Backend = DB>,
        S: QueryFragment<DB>,
        F: QueryFragment<DB>;

    /// Deletes the target rows; returns them as they were.
    #[doc(hidden)]
    fn delete_returning<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<Vec<Self>>;

    /// Deletes the target rows; returns how many.
    #[doc(hidden)]
    fn delete<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<usize>;
}

impl<M, DB> HookedModel<DB> for M
where
    DB: HookBackend + QueryMetadata<<M as LoadRow<DB>>::SqlType>,
    M: DieselHookModel<DB> + LoadRow<DB>,
    M::SelectExpression: QueryFragment<DB>,
{
    fn insert<C: LoadConnection<Backend = DB>>(
        conn: &mut C,
        records: &[Self],
    ) -> QueryResult<Vec<Self>> {
        load_rows(conn, InsertRows::<M, DB>::new(records))
    }

    fn select_keys<C: LoadConnection<Backend = DB>>(
        conn: &mut C,
        keys: &[Self::Key],
        lock: bool,
    ) -> QueryResult<Vec<Self>> {
        load_rows(conn, SelectByKeys::<M, DB>::new(keys, lock))
    }

    fn select_where<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        filter: &F,
        after: Option<&Self::Key>,
        limit: Option<usize>,
        lock: bool,
    ) -> QueryResult<Vec<Self>> {
        load_rows(
            conn,
            SelectWhere::<M, DB, F>::new(filter, after, limit, lock),
        )
    }

    fn update_rows<C: LoadConnection<Backend = DB>>(
        conn: &mut C,
        records: &[Self],
        fields: FieldSet,
    ) -> QueryResult<usize> {
        conn.execute_returning_count(&UpdateRows::<M, DB>::new(records, fields))
    }

    fn update_set_returning<C, S, F>(
        conn: &mut C,
        changeset: &S,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<Vec<Self>>
    where
        C: LoadConnection<Backend = DB>,
        S: QueryFragment<DB>,
        F: QueryFragment<DB>,
    {
        load_rows(conn, UpdateSet::<M, DB, S, F>::new(changeset, target, true))
    }

    fn update_set<C, S, F>(
        conn: &mut C,
        changeset: &S,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<usize>
    where
        C: LoadConnection<Backend = DB>,
        S: QueryFragment<DB>,
        F: QueryFragment<DB>,
    {
        conn.execute_returning_count(&UpdateSet::<M, DB, S, F>::new(changeset, target, false))
    }

    fn delete<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<usize> {
        conn.execute_returning_count(&DeleteWhere::<M, DB, F>::new(target, false))
    }

    fn delete_returning<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<Vec<Self>> {
        load_rows(conn, DeleteWhere::<M, DB, F>::new(target, true))
    }
}
