//! Pieces of a captured statement as Diesel fragments: a piece with the
//! binds it refers to, sent inside the library's own statements or as a
//! statement of its own.

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;

use crate::backend::HookBackend;
use crate::sql::{push_text, writes_sql, Piece};

/// A piece with the captured binds it refers to: a Diesel fragment (and,
/// for an `INSERT` re-sent as it is, a statement).
pub(crate) struct Captured<'a, DB: HookBackend> {
    pub piece: &'a Piece,
    pub binds: &'a DB::Binds,
}

impl<DB: HookBackend> QueryId for Captured<'_, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: HookBackend> QueryFragment<DB> for Captured<'_, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        push_piece(self.piece, self.binds, &mut out)
    }
}

/// Writes `piece` with the binds it refers to.
pub(crate) fn push_piece<'b, DB: HookBackend>(
    piece: &'b Piece,
    binds: &'b DB::Binds,
    out: &mut AstPass<'_, 'b, DB>,
) -> QueryResult<()> {
    if !piece.is_cacheable() {
        out.unsafe_to_cache_prepared();
    }
    if let Some(count) = piece.verbatim() {
        return if writes_sql(out) {
            push_text(piece, out, |_, _| Ok(()))?;
            DB::count_binds(count, out)
        } else {
            DB::push_binds(binds, out)
        };
    }
    DB::push_piece(piece, binds, out)
}
