use diesel::mysql::Mysql;

use super::HookBackend;

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

    /// `innodb_autoinc_lock_mode` 0 ("traditional") and 1 ("consecutive",
    /// MariaDB's default) give one statement consecutive keys; 2
    /// ("interleaved") may not.
    fn consecutive_auto_increment<C>(conn: &mut C) -> diesel::QueryResult<bool>
    where
        C: diesel::connection::LoadConnection<Backend = Self>,
    {
        use diesel::RunQueryDsl;
        let mode: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(@@innodb_autoinc_lock_mode AS SIGNED)",
        ))
        .get_result(conn)?;
        Ok(mode < 2)
    }
    /// libmariadb leaves a statement whose result set failed halfway (a
    /// lock-wait timeout or deadlock in `SELECT .. FOR UPDATE`) in a state
    /// where its next execution blocks forever (README, "Known issues").
    const CACHE_ROW_STATEMENTS: bool = false;
}

impl super::Capture for Mysql {
    const DIALECT: crate::capture::Dialect = crate::capture::Dialect::Mysql;
    const SPLITS_BINDS: bool = true;
    type Binds = diesel::query_builder::bind_collector::RawBytesBindCollector<Mysql>;

    fn capture_binds(
        query: &dyn diesel::query_builder::QueryFragment<Mysql>,
        lookup: &mut (),
    ) -> diesel::QueryResult<Self::Binds> {
        super::raw::capture_raw(query, lookup, &Mysql)
    }

    fn push_placeholder(
        out: &mut diesel::query_builder::AstPass<'_, '_, Self>,
    ) -> diesel::QueryResult<()> {
        out.push_bind_param::<diesel::sql_types::Integer, i32>(&super::capture::PLACEHOLDER)
    }

    fn count_binds(
        n: usize,
        out: &mut diesel::query_builder::AstPass<'_, '_, Self>,
    ) -> diesel::QueryResult<()> {
        let _ = (n, out);
        Ok(())
    }

    fn push_binds<'b>(
        binds: &'b Self::Binds,
        out: &mut diesel::query_builder::AstPass<'_, 'b, Self>,
    ) -> diesel::QueryResult<()> {
        out.push_bind_collector_data(binds)
    }

    fn push_piece<'b>(
        piece: &'b crate::capture::Piece,
        binds: &'b Self::Binds,
        out: &mut diesel::query_builder::AstPass<'_, 'b, Self>,
    ) -> diesel::QueryResult<()> {
        super::raw::push_raw_piece(piece, binds, out)
    }
}
