//! Captured binds as raw bytes (PostgreSQL, MySQL): split and re-sent one
//! by one.

use diesel::backend::Backend;
use diesel::query_builder::bind_collector::RawBytesBindCollector;
use diesel::query_builder::{AstPass, MoveableBindCollector, QueryFragment};
use diesel::sql_types::TypeMetadata;
use diesel::QueryResult;

use super::HookBackend;
use crate::sql::{push_text, writes_sql, Piece, Segment};

/// Captures into raw bytes (PostgreSQL, MySQL).
pub(crate) fn capture_raw<DB>(
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

/// The captured binds followed by the values `push` collects.
#[allow(clippy::type_complexity)]
pub(crate) fn extend_raw<DB>(
    binds: &RawBytesBindCollector<DB>,
    lookup: &mut <DB as TypeMetadata>::MetadataLookup,
    push: &mut dyn FnMut(
        &mut RawBytesBindCollector<DB>,
        &mut <DB as TypeMetadata>::MetadataLookup,
    ) -> QueryResult<()>,
) -> QueryResult<RawBytesBindCollector<DB>>
where
    DB: Backend + TypeMetadata,
    <DB as TypeMetadata>::TypeMetadata: Clone,
{
    let mut extended = RawBytesBindCollector::<DB>::new();
    extended.binds.clone_from(&binds.binds);
    extended.metadata.clone_from(&binds.metadata);
    push(&mut extended, lookup)?;
    Ok(extended)
}

/// Writes a piece whose binds are raw bytes: each placeholder is numbered
/// by the statement being built (`$n` counts on), and only the binds the
/// piece mentions are sent, in its order.
pub(crate) fn push_raw_piece<'b, DB>(
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
    let in_order = piece
        .segments()
        .iter()
        .filter_map(|s| match s {
            Segment::Bind(index) => Some(*index),
            Segment::Text(_) => None,
        })
        .eq(0..binds.binds.len());
    if in_order {
        // Every bind, in order: sent as captured.
        return out.push_bind_collector_data(binds);
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

/// Decodes raw bind `index` into field `field` of `record` with
/// `decode` (which builds the backend's raw value), when the bind has the
/// field's SQL type; `true` only when the decoded value binds back to the
/// same bytes (see [`Capture::decode_bind`](super::Capture::decode_bind)).
pub(crate) fn decode_raw<DB, M>(
    binds: &RawBytesBindCollector<DB>,
    index: usize,
    field: usize,
    record: &mut M,
    lookup: &mut <DB as TypeMetadata>::MetadataLookup,
    decode: impl FnOnce(&mut M, Option<&[u8]>, &<DB as TypeMetadata>::TypeMetadata) -> bool,
) -> bool
where
    for<'a> DB: Backend<BindCollector<'a> = RawBytesBindCollector<DB>> + HookBackend,
    <DB as TypeMetadata>::TypeMetadata: PartialEq,
    M: crate::model::ModelBinds<DB>,
{
    let (Some(bound), Some(bytes)) = (binds.metadata.get(index), binds.binds.get(index)) else {
        return false;
    };
    let Ok(expected) = M::field_type(field, lookup) else {
        return false;
    };
    if *bound != expected || !decode(record, bytes.as_deref(), &expected) {
        return false;
    }
    let mut again = RawBytesBindCollector::<DB>::new();
    record.collect_field(field, &mut again, lookup).is_ok()
        && again.binds.len() == 1
        && again.binds[0] == *bytes
        && again.metadata[0] == expected
}

/// Whether the binds at `indexes` all have the SQL type of field `field`
/// of `M` (see `Capture::binds_of_field_type`).
pub(crate) fn binds_of_field_type<DB, M>(
    binds: &RawBytesBindCollector<DB>,
    indexes: &[usize],
    field: usize,
    lookup: &mut <DB as TypeMetadata>::MetadataLookup,
) -> bool
where
    DB: HookBackend,
    <DB as TypeMetadata>::TypeMetadata: PartialEq,
    M: crate::model::ModelBinds<DB>,
{
    let Ok(expected) = M::field_type(field, lookup) else {
        return false;
    };
    indexes
        .iter()
        .all(|&i| binds.metadata.get(i) == Some(&expected))
}

pub(crate) fn missing_bind(index: usize) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(
        format!("a captured statement has no bind number {}", index + 1).into(),
    )
}
