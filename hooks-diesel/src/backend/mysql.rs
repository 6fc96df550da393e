use diesel::mysql::Mysql;
use diesel::query_builder::AstPass;
use diesel::sql_types::HasSqlType;
use diesel::QueryResult;

use super::{no_arrays, HookBackend};
use crate::model::DieselHookModel;
use crate::query::Column;

impl HookBackend for Mysql {
    const NAME: &'static str = "mysql";
    /// The protocol counts a prepared statement's parameters in 16 bits.
    const BIND_LIMIT: usize = 65535;
    /// Neither `INSERT` nor `UPDATE ... RETURNING` exists in MySQL: rows
    /// written are read back by key (or from `LAST_INSERT_ID()`).
    const RETURNING: bool = false;
    const ROW_LOCKS: bool = true;
    const ARRAYS: bool = false;
    const UPDATE_JOIN: bool = true;

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
