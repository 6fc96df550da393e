//! `<head> <the model's selection> <tail>`: a statement that returns rows
//! of a model, around whatever text a caller frames the selection with
//! (`INSERT .. RETURNING`, a read-back `SELECT`).

use std::marker::PhantomData;

use diesel::expression::Selectable;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::LoadRow;
use crate::backend::HookBackend;

/// The text around a model's selection.
pub trait Frame<DB: HookBackend> {
    /// What comes before the selection: `SELECT ` unless said otherwise.
    fn head<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        Ok(())
    }
    /// What comes after it.
    fn tail<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

pub(crate) struct Framed<'a, M: Selectable<DB>, DB: HookBackend, F> {
    frame: &'a F,
    selection: M::SelectExpression,
    _db: PhantomData<DB>,
}

impl<'a, M: Selectable<DB>, DB: HookBackend, F> Framed<'a, M, DB, F> {
    pub(crate) fn new(frame: &'a F) -> Self {
        Framed {
            frame,
            selection: M::construct_selection(),
            _db: PhantomData,
        }
    }
}

uncached_statement!([M: LoadRow<DB>, DB: HookBackend, F] Framed<'_, M, DB, F> => M::SqlType);

impl<M, DB, F> QueryFragment<DB> for Framed<'_, M, DB, F>
where
    DB: HookBackend,
    M: Selectable<DB>,
    M::SelectExpression: QueryFragment<DB>,
    F: Frame<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.frame.head(&mut out)?;
        self.selection.walk_ast(out.reborrow())?;
        self.frame.tail(&mut out)
    }
}
