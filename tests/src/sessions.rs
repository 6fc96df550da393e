//! Ending a test's database session from another connection, the way a
//! server restart or an administrator would.

/// Whether `C` is the PostgreSQL connection (the other server backend
/// being MySQL).
pub fn is_postgres<C: 'static>() -> bool {
    std::any::TypeId::of::<C>() == std::any::TypeId::of::<diesel::pg::PgConnection>()
}

/// The statement that ends `$conn`'s session when sent from another
/// connection: `pg_terminate_backend` on PostgreSQL, `KILL CONNECTION` on
/// MySQL. `$inner` is the connection type inside `$conn`.
#[macro_export]
macro_rules! kill_statement {
    ($inner:ty, $conn:expr) => {{
        use ::diesel::RunQueryDsl as _;
        let postgres = $crate::sessions::is_postgres::<$inner>();
        let id: i64 = ::diesel::select(::diesel::dsl::sql::<::diesel::sql_types::BigInt>(
            if postgres {
                "CAST(pg_backend_pid() AS BIGINT)"
            } else {
                "CAST(CONNECTION_ID() AS SIGNED)"
            },
        ))
        .get_result($conn)
        .expect("session id");
        if postgres {
            format!("SELECT pg_terminate_backend({id})")
        } else {
            format!("KILL CONNECTION {id}")
        }
    }};
}
