//! A changeset's `SET` as a projection: each assigned field of the model
//! with its expression, so that the rows it would write can be selected
//! with the rows it changes (see `query::project`).

use diesel::backend::Backend;
use diesel::query_builder::{QueryBuilder, QueryFragment};

use crate::backend::{Capture, HookBackend};
use crate::connection::{HookedConnection, InnerConnection};
use crate::query::Projection;
use crate::sql::Piece;
use crate::sql::{parse, Clause, Parsed};
use hooks_core::HookModel;

/// The assignments of `set` as expressions per field of `M`; `None` when
/// one cannot be evaluated as a column of a `SELECT` of `M`'s table: a
/// column `M` does not have, a column assigned twice, `DEFAULT`, or (on
/// MySQL, which assigns left to right) an expression reading a column
/// assigned before it. `carries` makes the first expression send every
/// bind (a changeset captured on its own, on backends that cannot split
/// binds).
pub(crate) fn projection<'a, M: HookModel, DB: HookBackend>(
    parsed: &Parsed,
    set: &Clause,
    cacheable: bool,
    binds: &'a DB::Binds,
    carries: bool,
) -> Option<Projection<'a, DB>> {
    let mut exprs: Vec<(usize, Piece)> = Vec::new();
    let mut assigned: Vec<String> = Vec::new();
    for (column, expr) in parsed.assignments(set)? {
        let field = M::FIELDS
            .iter()
            .position(|f| f.column.eq_ignore_ascii_case(&column))?;
        let names: Vec<String> = parsed.names_in(&expr).collect();
        let default =
            names.len() == 1 && expr.len() == 1 && names[0].eq_ignore_ascii_case("DEFAULT");
        let reads_assigned = DB::ASSIGNS_IN_ORDER
            && names
                .iter()
                .any(|n| assigned.iter().any(|a| a.eq_ignore_ascii_case(n)));
        if default || reads_assigned || exprs.iter().any(|(f, _)| *f == field) {
            return None;
        }
        assigned.push(column);
        exprs.push((field, Piece::of(parsed, &expr, cacheable)));
    }
    if carries {
        if let Some((_, first)) = exprs.first_mut() {
            *first = std::mem::take(first).carrying(parsed.bind_count());
        }
    }
    Some(Projection { exprs, binds })
}

/// The key column `set` assigns, if it assigns one of `M`'s; a statement
/// that changes keys cannot be paired old row to new row. An assignment
/// list that cannot be read (`SET (a, b) = ..`) may assign one too.
pub(crate) fn assigned_key<M: HookModel>(parsed: &Parsed, set: &Clause) -> Option<String> {
    let Some(assignments) = parsed.assignments(set) else {
        return Some("(an assignment list it cannot read)".into());
    };
    assignments
        .into_iter()
        .map(|(column, _)| column)
        .find(|column| M::key_fields().any(|i| M::FIELDS[i].column.eq_ignore_ascii_case(column)))
}

/// Whether `set` reads rows (a subquery), whose values would change as
/// earlier rows are written: such a changeset is written by one statement.
pub(crate) fn reads_rows(parsed: &Parsed, set: &Clause) -> bool {
    parsed
        .names_in(set)
        .any(|name| name.eq_ignore_ascii_case("SELECT"))
}

/// A changeset scanned on its own: its text, its binds, and whether
/// Diesel may cache statements that embed it.
pub(crate) type Captured<DB> = (Parsed, <DB as Capture>::Binds, bool);

impl<C: InnerConnection> HookedConnection<C> {
    /// A changeset rendered and scanned on its own, with its binds.
    pub(crate) fn capture_changeset(
        &mut self,
        changeset: &dyn QueryFragment<C::Backend>,
    ) -> diesel::QueryResult<Option<Captured<C::Backend>>> {
        let backend = C::Backend::default();
        let mut builder = <C::Backend as Backend>::QueryBuilder::default();
        changeset.to_sql(&mut builder, &backend)?;
        let cacheable = changeset.is_safe_to_cache_prepared(&backend)?;
        let Ok(parsed) = parse(builder.finish(), <C::Backend as Capture>::DIALECT) else {
            return Ok(None);
        };
        let lookup = self.inner_mut().metadata_lookup();
        let binds = <C::Backend as Capture>::capture_binds(changeset, lookup)?;
        Ok(Some((parsed, binds, cacheable)))
    }
}

/// Every token of a changeset scanned on its own.
pub(crate) fn whole(parsed: &Parsed) -> Clause {
    0..parsed.tokens.len()
}
