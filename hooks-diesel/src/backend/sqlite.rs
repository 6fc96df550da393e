use diesel::query_builder::AstPass;
use diesel::sql_types::HasSqlType;
use diesel::sqlite::Sqlite;
use diesel::QueryResult;

use super::{no_arrays, HookBackend};
use crate::model::DieselHookModel;
use crate::query::Column;

impl HookBackend for Sqlite {
    const NAME: &'static str = "sqlite";
    /// `SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite.
    const BIND_LIMIT: usize = 32766;
    const RETURNING: bool = true;
    const ROW_LOCKS: bool = false;
    const ARRAYS: bool = false;

    fn push_array<'b, ST: 'static, M>(
        _: &'b Column<'_, M>,
        _: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()>
    where
        Self: HasSqlType<ST>,
        M: DieselHookModel<Self>,
    {
        Err(no_arrays(Self::NAME))
    }
}
