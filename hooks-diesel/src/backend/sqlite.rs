use diesel::sqlite::Sqlite;

use super::HookBackend;

impl HookBackend for Sqlite {
    const NAME: &'static str = "sqlite";
    /// `SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite.
    const BIND_LIMIT: usize = 32766;
    const RETURNING: bool = true;
    const ROW_LOCKS: bool = false;
    const ARRAYS: bool = false;
}
