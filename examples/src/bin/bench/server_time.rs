//! Server time per run on PostgreSQL, read cheaply: the bench works in a
//! database of its own, and `pg_stat_database.active_time` (PostgreSQL 14
//! on) is the time that database's sessions spent executing statements,
//! from the first message of a statement to its completion, without the
//! client's time between statements (which PostgreSQL counts as idle or
//! idle in transaction). Sessions hand their counts to the shared
//! statistics when they go idle, at most once a second, unless told with
//! `pg_stat_force_next_flush()` (PostgreSQL 15 on) to do it at the next
//! idle moment: the runner flushes the connections before and after a
//! measured run and reads the counter in between from a connection to
//! another database, whose own statements are therefore not counted.
//!
//! `pg_stat_statements` would give the time per statement, but it works
//! only when preloaded (`shared_preload_libraries`, a server restart),
//! which the shared server here does not do; logging every statement's
//! duration (`log_min_duration_statement = 0`) costs the run itself.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};
use diesel::PgConnection;

use crate::BoxError;

/// The statement that makes a session hand over its statistics when it
/// next goes idle (right after this statement).
pub const FLUSH: &str = "SELECT pg_stat_force_next_flush()";

/// Reads the server time spent on one database so far.
pub trait ServerClock {
    /// Total time the database's sessions spent executing statements, as
    /// far as they handed it over.
    fn read(&mut self) -> Result<Duration, BoxError>;
}

/// `pg_stat_database.active_time` of one database, read through a
/// connection to another.
pub struct ActiveTime {
    conn: PgConnection,
    database: String,
}

#[derive(QueryableByName)]
struct Active {
    #[diesel(sql_type = Double)]
    active_time: f64,
}

impl ActiveTime {
    /// A clock for `database`, read through a connection to `reader_url`
    /// (another database of the same server). `None`, with the reason on
    /// stderr, where the server cannot give the time (before PostgreSQL 15,
    /// or without the right to force a flush).
    pub fn new(reader_url: &str, database: &str) -> Option<Self> {
        let probe = || -> Result<Self, BoxError> {
            let mut conn = PgConnection::establish(reader_url)?;
            conn.batch_execute(FLUSH)?;
            let mut clock = ActiveTime {
                conn,
                database: database.to_string(),
            };
            clock.read()?;
            Ok(clock)
        };
        match probe() {
            Ok(clock) => Some(clock),
            Err(e) => {
                eprintln!("# no server time: pg_stat_database.active_time cannot be read ({e})");
                None
            }
        }
    }
}

impl ServerClock for ActiveTime {
    fn read(&mut self) -> Result<Duration, BoxError> {
        let rows: Vec<Active> =
            diesel::sql_query("SELECT active_time FROM pg_stat_database WHERE datname = $1")
                .bind::<Text, _>(&self.database)
                .load(&mut self.conn)?;
        let ms = rows
            .first()
            .map(|r| r.active_time)
            .ok_or_else(|| format!("no pg_stat_database row for {}", self.database))?;
        Ok(Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    }
}
