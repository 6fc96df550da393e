//! What each backend does to re-send parts of a captured statement: how
//! its binds are kept, and how a piece's placeholders and binds are
//! written into another statement.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::TypeMetadata;
use diesel::QueryResult;

use crate::sql::{Dialect, Piece};

/// Sealed: only the backends of this crate implement it.
pub trait Capture: Backend + Sized {
    /// How the backend writes placeholders, strings and comments.
    #[doc(hidden)]
    const DIALECT: Dialect;
    /// Whether single binds of a captured statement can be re-sent (on
    /// SQLite they cannot: a piece that mentions the last bind re-sends
    /// them all, and the others refer to them by number).
    #[doc(hidden)]
    const SPLITS_BINDS: bool;

    /// Whether [`decode_bind`](Self::decode_bind) can read captured binds
    /// on the client.
    #[doc(hidden)]
    const DECODES_BINDS: bool = false;

    /// The binds of a captured statement, owned.
    #[doc(hidden)]
    type Binds: Send + Sync + 'static;

    /// Collects the binds of `query`.
    #[doc(hidden)]
    fn capture_binds(
        query: &dyn QueryFragment<Self>,
        lookup: &mut <Self as TypeMetadata>::MetadataLookup,
    ) -> QueryResult<Self::Binds>;

    /// The captured binds followed by the values `push` collects (values
    /// a hook set, sent beside the statement's own).
    #[doc(hidden)]
    #[allow(clippy::type_complexity)]
    fn extend_binds<'c>(
        binds: &Self::Binds,
        lookup: &mut <Self as TypeMetadata>::MetadataLookup,
        push: &mut dyn FnMut(
            &mut <Self as Backend>::BindCollector<'c>,
            &mut <Self as TypeMetadata>::MetadataLookup,
        ) -> QueryResult<()>,
    ) -> QueryResult<Self::Binds>;

    /// How many binds were captured.
    #[doc(hidden)]
    fn bind_count(binds: &Self::Binds) -> usize;

    /// Writes a placeholder for the next bind (`$n`, `?`).
    #[doc(hidden)]
    fn push_placeholder(out: &mut AstPass<'_, '_, Self>) -> QueryResult<()>;

    /// Moves the statement's placeholder count past `n` placeholders
    /// written as text (PostgreSQL numbers them; elsewhere nothing).
    #[doc(hidden)]
    fn count_binds(n: usize, out: &mut AstPass<'_, '_, Self>) -> QueryResult<()>;

    /// Sends every captured bind, in order.
    #[doc(hidden)]
    fn push_binds<'b>(binds: &'b Self::Binds, out: &mut AstPass<'_, 'b, Self>) -> QueryResult<()>;

    /// The binds at `indexes`, in that order, as the binds of a statement
    /// of their own (a part of a statement over the bind limit); `None`
    /// where they cannot be taken apart exactly. Only needed where binds
    /// are not split ([`SPLITS_BINDS`](Self::SPLITS_BINDS) false): the
    /// others re-send single binds.
    #[doc(hidden)]
    fn select_binds(binds: &Self::Binds, indexes: &[usize]) -> Option<Self::Binds> {
        let _ = (binds, indexes);
        None
    }

    /// Sets field `field` of `record` to captured bind `index`, decoded on
    /// the client, and says whether that is exactly the value the
    /// statement sends: the bind has the field's SQL type, decodes, and
    /// binds back to the same bytes. `false` where it cannot be read so
    /// (SQLite keeps no bytes to decode): the caller then asks the
    /// database.
    #[doc(hidden)]
    fn decode_bind<M: crate::model::ModelBinds<Self>>(
        binds: &Self::Binds,
        index: usize,
        field: usize,
        record: &mut M,
        lookup: &mut <Self as TypeMetadata>::MetadataLookup,
    ) -> bool
    where
        Self: crate::backend::HookBackend,
    {
        let _ = (binds, index, field, record, lookup);
        false
    }

    /// Binds of their own: per column of `rows` (each row the indexes of
    /// its captured binds, one per column), one array of the binds at
    /// that position, in the rows' order. `None` where the backend has no
    /// arrays, or a column's binds differ in SQL type or are arrays.
    #[doc(hidden)]
    fn column_arrays(binds: &Self::Binds, rows: &[Vec<usize>]) -> Option<Self::Binds> {
        let _ = (binds, rows);
        None
    }

    /// Whether the captured binds at `indexes` all have the SQL type of
    /// field `field` of `M`: compared with its column, none is converted.
    /// `false` where the backend keeps no bind types (SQLite).
    #[doc(hidden)]
    fn binds_of_field_type<M: crate::model::ModelBinds<Self>>(
        binds: &Self::Binds,
        indexes: &[usize],
        field: usize,
        lookup: &mut <Self as TypeMetadata>::MetadataLookup,
    ) -> bool
    where
        Self: crate::backend::HookBackend,
    {
        let _ = (binds, indexes, field, lookup);
        false
    }

    /// How many elements captured bind `index` holds when it is a
    /// one-dimensional array; `None` where it is not (or the backend has
    /// no arrays).
    #[doc(hidden)]
    fn array_len(binds: &Self::Binds, index: usize) -> Option<usize> {
        let _ = (binds, index);
        None
    }

    /// Writes `piece` into the statement being built, with its binds.
    #[doc(hidden)]
    fn push_piece<'b>(
        piece: &'b Piece,
        binds: &'b Self::Binds,
        out: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()>;
}

/// What a placeholder written through Diesel is bound to while only the
/// SQL text is built (never sent).
pub(super) static PLACEHOLDER: i32 = 0;
