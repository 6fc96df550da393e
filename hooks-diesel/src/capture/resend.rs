//! Statements that re-send a captured insert: as it is, with the model's
//! `RETURNING` in place of the caller's, and the read-back by the key
//! values it bound (backends without `RETURNING`).

use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;

use super::piece::{push_piece, writes_sql, Piece};
use super::shape::Value;
use crate::backend::HookBackend;
use crate::hooks_core::HookModel;
use crate::query::Frame;

/// The caller's statement, unchanged.
pub(crate) struct Original<'a, DB: HookBackend>(pub &'a dyn QueryFragment<DB>);

impl<DB: HookBackend> QueryId for Original<'_, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: HookBackend> QueryFragment<DB> for Original<'_, DB> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }
}

/// `<the caller's INSERT up to its RETURNING> RETURNING <selection>`: the
/// text as the caller's statement wrote it, its binds as it binds them.
pub(crate) struct InsertReturning<'a, DB: HookBackend> {
    pub body: &'a str,
    pub query: &'a dyn QueryFragment<DB>,
    pub binds: usize,
}

impl<DB: HookBackend> Frame<DB> for InsertReturning<'_, DB> {
    fn head<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if writes_sql(out) {
            out.push_sql(self.body);
            // The body numbers its own placeholders; the statement's
            // count moves past them.
            DB::count_binds(self.binds, out)?;
        } else {
            self.query.walk_ast(out.reborrow())?;
        }
        out.push_sql(" RETURNING ");
        Ok(())
    }

    fn tail<'b>(&'b self, _out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Ok(())
    }
}

/// `SELECT <selection> FROM t JOIN (SELECT ? AS hooks_k0, 0 AS hooks_n
/// UNION ALL ...) AS hooks_keys ON t.k = hooks_keys.hooks_k0 ORDER BY
/// hooks_keys.hooks_n`: the inserted rows, in the statement's order, by
/// the key values it bound.
pub(crate) struct KeyBindsReadBack<DB: HookBackend> {
    /// The derived table of keys, binds included.
    keys: Piece,
    binds: DB::Binds,
    table: &'static str,
    columns: Vec<&'static str>,
}

impl<DB: HookBackend> KeyBindsReadBack<DB> {
    /// `None` when a row's key value is not a lone placeholder.
    pub(crate) fn new<M: HookModel>(
        rows: &[Vec<Value>],
        positions: &[usize],
        binds: DB::Binds,
    ) -> Option<Self> {
        let mut keys = Piece::default();
        for (r, row) in rows.iter().enumerate() {
            keys.text(if r == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            });
            for (part, &at) in positions.iter().enumerate() {
                match row.get(at) {
                    Some(Value::Bind(index)) => {
                        keys.bind(*index);
                        keys.text(&format!(" AS hooks_k{part}, "));
                    }
                    _ => return None,
                }
            }
            keys.text(&format!("{r} AS hooks_n"));
        }
        Some(KeyBindsReadBack {
            keys,
            binds,
            table: M::TABLE,
            columns: M::key_fields().map(|i| M::FIELDS[i].column).collect(),
        })
    }
}

impl<DB: HookBackend> Frame<DB> for KeyBindsReadBack<DB> {
    fn head<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        Ok(())
    }

    fn tail<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(" FROM ");
        out.push_identifier(self.table)?;
        out.push_sql(" JOIN (");
        push_piece(&self.keys, &self.binds, out)?;
        out.push_sql(") AS hooks_keys ON ");
        for (part, column) in self.columns.iter().enumerate() {
            if part > 0 {
                out.push_sql(" AND ");
            }
            out.push_identifier(self.table)?;
            out.push_sql(".");
            out.push_identifier(column)?;
            out.push_sql(&format!(" = hooks_keys.hooks_k{part}"));
        }
        out.push_sql(" ORDER BY hooks_keys.hooks_n");
        Ok(())
    }
}
