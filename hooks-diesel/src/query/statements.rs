//! Every statement the hooked operations send, behind one trait so that
//! the operations need a single bound per model.

use diesel::connection::LoadConnection;
use diesel::deserialize::FromSqlRow;
use diesel::expression::QueryMetadata;
use diesel::query_builder::{QueryFragment, QueryId};

use diesel::QueryResult;

use super::framed::{Frame, Framed};
use super::read_back::read_back_records;
use super::SelectKeyList;
use super::{caller_order, statement_order};
use super::{load_rows, DeleteWhere, InsertRows, LoadRow, SelectByKeys, SelectWhere, Target};
use super::{Projection, SelectProjected};
use super::{UpdateRows, UpdateSet};
use crate::backend::HookBackend;
use crate::model::ModelBinds;
use hooks_core::{FieldSet, HookModel};

/// A model the hooked operations can write on backend `DB`.
///
/// Implemented automatically for every model deriving `Queryable`,
/// `Selectable` and `HookModel`; never implement it by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written by the hooked operations on `{DB}`",
    label = "not a hooked model on this backend",
    note = "derive `Queryable`, `Selectable`, `Insertable` and `HookModel` on `{Self}` \
            (`#[derive(Queryable, Selectable, Insertable, HookModel)]` with \
            `#[diesel(table_name = ..)]`), with fields whose types convert to the columns' \
            SQL types on this backend"
)]
pub trait Writable<DB: HookBackend>: ModelBinds<DB> + LoadRow<DB> {
    /// Inserts `records` with one statement (by arrays where the backend
    /// has them; `VALUES` rows within the bind limit otherwise); returns
    /// the rows as stored, in order.
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

    /// Reads up to `limit` rows matching `filter`, in key order, locked
    /// when `lock`.
    #[doc(hidden)]
    fn select_where<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        filter: &F,
        limit: Option<usize>,
        lock: bool,
    ) -> QueryResult<Vec<Self>>;

    /// Reads the keys of every row matching `filter`, in key order,
    /// locked when `lock`.
    #[doc(hidden)]
    fn select_key_list<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        filter: &F,
        lock: bool,
    ) -> QueryResult<Vec<Self::Key>>;

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

    /// Reads up to `limit` rows of `target`, in key order, locked when
    /// `lock`, each beside the row `projection` would make of it (its
    /// expressions cast to `casts`): `(old, new)`.
    #[doc(hidden)]
    fn select_projected<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        target: Target<'_, Self::Key, F>,
        projection: &Projection<'_, DB>,
        casts: &[Option<&'static str>],
        limit: Option<usize>,
        lock: bool,
    ) -> QueryResult<Vec<(Self, Self)>>;

    /// Loads the rows `statement` returns, whose first columns are the
    /// model's, in the order of its selection.
    #[doc(hidden)]
    fn load_rows_of<C: LoadConnection<Backend = DB>, Q: QueryFragment<DB>>(
        conn: &mut C,
        statement: &Q,
    ) -> QueryResult<Vec<Self>>;

    /// Loads rows of the model's selection framed by `frame`.
    #[doc(hidden)]
    fn load_framed<C: LoadConnection<Backend = DB>, F: Frame<DB>>(
        conn: &mut C,
        frame: &F,
    ) -> QueryResult<Vec<Self>>;
}

impl<M, DB> Writable<DB> for M
where
    DB: HookBackend
        + QueryMetadata<<M as LoadRow<DB>>::SqlType>
        + QueryMetadata<(<M as LoadRow<DB>>::SqlType, <M as LoadRow<DB>>::SqlType)>
        + QueryMetadata<<M as ModelBinds<DB>>::KeySqlType>,
    M: ModelBinds<DB> + LoadRow<DB>,
    M::Key: FromSqlRow<<M as ModelBinds<DB>>::KeySqlType, DB>,
    M::SelectExpression: QueryFragment<DB>,
{
    fn insert<C: LoadConnection<Backend = DB>>(
        conn: &mut C,
        records: &[Self],
    ) -> QueryResult<Vec<Self>> {
        if let Some(by_arrays) = InsertRows::<M, DB>::by_arrays(records) {
            return load_rows(conn, by_arrays);
        }
        let rows = statement_order(records);
        let stored = if DB::RETURNING {
            // A chunk sized for arrays that must be sent as `VALUES` rows
            // (given and generated keys mixed) is sent within the bind
            // limit, in parts.
            let binds = M::FIELDS.iter().filter(|f| f.insertable).count().max(1);
            let mut stored = Vec::with_capacity(rows.len());
            for part in rows.chunks((DB::BIND_LIMIT / binds).max(1)) {
                stored.extend(load_rows(conn, InsertRows::<M, DB>::new(part, true))?);
            }
            stored
        } else {
            conn.execute_returning_count(&InsertRows::<M, DB>::new(&rows, false))?;
            read_back_records(conn, &rows)?
        };
        Ok(caller_order(records, stored))
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
        limit: Option<usize>,
        lock: bool,
    ) -> QueryResult<Vec<Self>> {
        load_rows(conn, SelectWhere::<M, DB, F>::new(filter, limit, lock))
    }

    fn select_key_list<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        filter: &F,
        lock: bool,
    ) -> QueryResult<Vec<Self::Key>> {
        let rows = conn.load(SelectKeyList::<M, DB, F>::new(filter, lock))?;
        rows.map(|row| {
            let row = row?;
            <M::Key as FromSqlRow<M::KeySqlType, DB>>::build_from_row(&row)
                .map_err(diesel::result::Error::DeserializationError)
        })
        .collect()
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
        if DB::RETURNING {
            return load_rows(conn, UpdateSet::<M, DB, S, F>::new(changeset, target, true));
        }
        // Without RETURNING: the rows are locked, updated by key, read again.
        let keys: Vec<M::Key> = match &target {
            Target::Keys(keys) | Target::Both(_, keys) => keys.to_vec(),
            Target::Filter(filter) => Self::select_where(conn, *filter, None, true)?
                .iter()
                .map(HookModel::key)
                .collect(),
        };
        let by_keys = match target {
            Target::Both(filter, _) => Target::Both(filter, &keys),
            Target::Keys(_) | Target::Filter(_) => Target::Keys(&keys),
        };
        let updated = Self::update_set(conn, changeset, by_keys)?;
        if updated != keys.len() {
            return Err(diesel::result::Error::QueryBuilderError(
                format!(
                    "{}: {updated} of {} locked rows were updated; nothing was written",
                    M::MODEL,
                    keys.len()
                )
                .into(),
            ));
        }
        Self::select_keys(conn, &keys, false)
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

    fn load_framed<C: LoadConnection<Backend = DB>, F: Frame<DB>>(
        conn: &mut C,
        frame: &F,
    ) -> QueryResult<Vec<Self>> {
        load_rows(conn, Framed::<M, DB, F>::new(frame))
    }

    fn load_rows_of<C: LoadConnection<Backend = DB>, Q: QueryFragment<DB>>(
        conn: &mut C,
        statement: &Q,
    ) -> QueryResult<Vec<Self>> {
        load_rows(
            conn,
            RowsOf::<M, DB, Q>(statement, std::marker::PhantomData),
        )
    }

    fn select_projected<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        target: Target<'_, Self::Key, F>,
        projection: &Projection<'_, DB>,
        casts: &[Option<&'static str>],
        limit: Option<usize>,
        lock: bool,
    ) -> QueryResult<Vec<(Self, Self)>> {
        let width = M::FIELDS.len();
        let query = SelectProjected::<M, DB, F>::new(target, projection, casts, limit, lock);
        let rows = conn.load(query)?;
        rows.map(|row| {
            let row = row?;
            let old = M::from_row(&row).map_err(diesel::result::Error::DeserializationError)?;
            let new = M::from_row(&diesel::row::Row::partial_row(&row, width..2 * width))
                .map_err(diesel::result::Error::DeserializationError)?;
            Ok((old, new))
        })
        .collect()
    }

    fn delete_returning<C: LoadConnection<Backend = DB>, F: QueryFragment<DB>>(
        conn: &mut C,
        target: Target<'_, Self::Key, F>,
    ) -> QueryResult<Vec<Self>> {
        if DB::RETURNING {
            return load_rows(conn, DeleteWhere::<M, DB, F>::new(target, true));
        }
        // Without RETURNING: the rows are read and locked, then deleted.
        let rows = match &target {
            Target::Keys(keys) | Target::Both(_, keys) => Self::select_keys(conn, keys, true)?,
            Target::Filter(filter) => Self::select_where(conn, *filter, None, true)?,
        };
        Self::delete(conn, target)?;
        Ok(rows)
    }
}

/// A statement of the caller's making, read as rows of `M`.
struct RowsOf<'a, M, DB, Q>(&'a Q, std::marker::PhantomData<(M, DB)>);

impl<M, DB, Q> QueryId for RowsOf<'_, M, DB, Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<M: LoadRow<DB>, DB: HookBackend, Q> diesel::query_builder::Query for RowsOf<'_, M, DB, Q> {
    type SqlType = <M as LoadRow<DB>>::SqlType;
}

impl<M, DB: HookBackend, Q: QueryFragment<DB>> QueryFragment<DB> for RowsOf<'_, M, DB, Q> {
    fn walk_ast<'b>(&'b self, out: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }
}
