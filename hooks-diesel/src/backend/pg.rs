use diesel::pg::Pg;

use super::HookBackend;

impl HookBackend for Pg {
    const NAME: &'static str = "postgres";
    /// The wire protocol counts parameters in 16 bits.
    const BIND_LIMIT: usize = 65535;
    const RETURNING: bool = true;
    const ROW_LOCKS: bool = true;
}
