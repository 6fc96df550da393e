//! What each backend does to re-send parts of a captured statement: how
//! its binds are kept, and how a piece's placeholders and binds are
//! written into another statement.

use diesel::backend::Backend;
use diesel::query_builder::bind_collector::RawBytesBindCollector;
use diesel::query_builder::{AstPass, MoveableBindCollector, QueryFragment};
use diesel::sql_types::TypeMetadata;
use diesel::QueryResult;

use super::HookBackend;
use crate::capture::{push_text, writes_sql, Dialect, Piece, Segment};

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

    /// The binds of a captured statement, owned.
    #[doc(hidden)]
    type Binds: Send + Sync + 'static;

    /// Collects the binds of `query`.
    #[doc(hidden)]
    fn capture_binds(
        query: &dyn QueryFragment<Self>,
        lookup: &mut <Self as TypeMetadata>::MetadataLookup,
    ) -> QueryResult<Self::Binds>;

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

/// Captures into raw bytes (PostgreSQL, MySQL).
pub(super) fn capture_raw<DB>(
    query: &dyn QueryFragment<DB>,
    lookup: &mut <DB as TypeMetadata>::MetadataLookup,
    backend: &DB,
) -> QueryResult<RawBytesBindCollector<DB>>
where
    for<'a> DB: Backend<BindCollector<'a> = RawBytesBindCollector<DB>> + TypeMetadata,
{
    let mut binds = RawBytesBindCollector::<DB>::new();
    query.collect_binds(&mut binds, lookup, backend)?;
    Ok(binds)
}

/// Writes a piece whose binds are raw bytes: each placeholder is numbered
/// by the statement being built (`$n` counts on), and only the binds the
/// piece mentions are sent, in its order.
pub(super) fn push_raw_piece<'b, DB>(
    piece: &'b Piece,
    binds: &'b RawBytesBindCollector<DB>,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    for<'a> DB: Backend<BindCollector<'a> = RawBytesBindCollector<DB>> + TypeMetadata + 'static,
    for<'a> RawBytesBindCollector<DB>:
        MoveableBindCollector<DB, BindData = RawBytesBindCollector<DB>>,
    <DB as TypeMetadata>::TypeMetadata: Clone,
    DB: HookBackend,
{
    if writes_sql(out) {
        return push_text(piece, out, |_, out| DB::push_placeholder(out));
    }
    let mut sent = RawBytesBindCollector::<DB>::new();
    for segment in piece.segments() {
        if let Segment::Bind(index) = *segment {
            let (Some(value), Some(metadata)) = (binds.binds.get(index), binds.metadata.get(index))
            else {
                return Err(missing_bind(index));
            };
            sent.binds.push(value.clone());
            sent.metadata.push(metadata.clone());
        }
    }
    if !sent.binds.is_empty() {
        out.push_bind_collector_data(&sent)?;
    }
    Ok(())
}

pub(super) fn missing_bind(index: usize) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(
        format!("a captured statement has no bind number {}", index + 1).into(),
    )
}
