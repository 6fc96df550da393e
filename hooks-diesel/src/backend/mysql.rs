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
    /// libmariadb leaves a statement whose result set failed halfway (a
    /// lock-wait timeout or deadlock in `SELECT .. FOR UPDATE`) in a state
    /// where its next execution blocks forever (README, "Known issues").
    const CACHE_ROW_STATEMENTS: bool = false;
}
