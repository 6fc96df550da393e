//! Command-line arguments, parsed by hand.

use std::fmt;

use crate::phases::Variant;

/// A database backend the benchmark can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
    Mysql,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
            BackendKind::Mysql => "mysql",
        }
    }
}

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    /// Records per phase (N).
    pub n: usize,
    /// Backends, in the order they run.
    pub backends: Vec<BackendKind>,
    /// Records per statement (the hooked connection's `chunk_size`, and the
    /// chunk of the raw and equivalent variants).
    pub chunk: usize,
    /// Measurements per variant and phase; the median is reported.
    pub repeat: usize,
    /// The variants to run (always `hooked`); the cost for tables without
    /// hooks is measured only when all run.
    pub variants: Vec<Variant>,
}

/// Every backend, in the order `all` runs them.
const ALL: [BackendKind; 3] = [
    BackendKind::Sqlite,
    BackendKind::Postgres,
    BackendKind::Mysql,
];

impl Default for Args {
    fn default() -> Self {
        Args {
            n: 10_000,
            backends: ALL.to_vec(),
            chunk: 1000,
            repeat: 3,
            variants: Variant::ALL.to_vec(),
        }
    }
}

pub const USAGE: &str = "\
usage: bench [--n N] [--backend sqlite|postgres|mysql|all] [--chunk SIZE] [--repeat R]
             [--variants V,V,..]

Runs the accounts workload of shared/bench/WORKLOAD.md hooked, raw and
equivalent (each baseline with Diesel's query builder and with every
statement prepared once: raw_prep, equiv_prep), and as ordinary Diesel
writes through the hooked connection (diesel), and prints one line per
backend and phase, then a total and the cost for tables without hooks.

  --n N          records per phase (default 10000)
  --backend B    sqlite, postgres, mysql (also MariaDB) or all (default all:
                 sqlite, postgres, mysql)
  --chunk SIZE   records per statement (default 1000)
  --repeat R     measurements per variant; the median is printed (default 3)
  --variants V   the variants to run, comma-separated, hooked always among
                 them: hooked, raw, raw_prep, equiv, equiv_prep, diesel,
                 raw_loop, or all (default all). With fewer than all, the
                 cost for tables without hooks (phase=unhooked_tables) is
                 not measured: `--backend postgres --variants
                 hooked,equiv_prep` is the run scripts/bench-vs-peer.sh
                 makes.

PostgreSQL is reached at $POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
MySQL or MariaDB at $MYSQL_URL (default mysql://root@127.0.0.1:3306/test); each run
works in a database of its own on that server (the user needs the right to create
one), dropped at the end.

On PostgreSQL 15 and later each line also gives the server's time for the hooked run
and the prepared baselines (server_ms=, server_raw_prep_ms=, server_equiv_prep_ms=):
pg_stat_database.active_time of the run's database, read around each run.

For profiling: BENCH_PG_OPTIONS adds settings to the PostgreSQL sessions
(`-clog_min_duration_statement=0` logs every statement with its parse, bind
and execute times); BENCH_MARK=1 sends `SELECT '<phase> <variant> <round>'`
before each measured run, to find the runs in the server's log.";

/// A command line that cannot be run.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{USAGE}", self.0)
    }
}

impl std::error::Error for UsageError {}

/// Parses the arguments after the program name. `Ok(None)` means help was
/// asked for.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, UsageError> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| UsageError(format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--n" => parsed.n = positive(&flag, &value()?)?,
            "--chunk" => parsed.chunk = positive(&flag, &value()?)?,
            "--repeat" => parsed.repeat = positive(&flag, &value()?)?,
            "--backend" => parsed.backends = backends(&value()?)?,
            "--variants" => parsed.variants = variants(&value()?)?,
            _ => return Err(UsageError(format!("unknown argument {flag:?}"))),
        }
    }
    Ok(Some(parsed))
}

fn positive(flag: &str, value: &str) -> Result<usize, UsageError> {
    match value.replace('_', "").parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UsageError(format!(
            "{flag} takes a positive whole number, not {value:?}"
        ))),
    }
}

fn backends(value: &str) -> Result<Vec<BackendKind>, UsageError> {
    match value {
        "sqlite" => Ok(vec![BackendKind::Sqlite]),
        "postgres" | "postgresql" | "pg" => Ok(vec![BackendKind::Postgres]),
        "mysql" | "mariadb" => Ok(vec![BackendKind::Mysql]),
        "all" => Ok(ALL.to_vec()),
        _ => Err(UsageError(format!(
            "--backend takes sqlite, postgres, mysql or all, not {value:?}"
        ))),
    }
}

fn variants(value: &str) -> Result<Vec<Variant>, UsageError> {
    if value == "all" {
        return Ok(Variant::ALL.to_vec());
    }
    let mut chosen = vec![Variant::Hooked];
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let variant = Variant::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
                UsageError(format!(
                    "--variants takes {} or all, not {name:?}",
                    names.join(", ")
                ))
            })?;
        if !chosen.contains(&variant) {
            chosen.push(variant);
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(args: &[&str]) -> Result<Option<Args>, UsageError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(parse_all(&[]), Ok(Some(Args::default())));
        let args = parse_all(&["--n", "100_000", "--backend=sqlite", "--chunk", "500"]);
        let args = args.ok().flatten().unwrap_or_default();
        assert_eq!(args.n, 100_000);
        assert_eq!(args.backends, vec![BackendKind::Sqlite]);
        assert_eq!(args.chunk, 500);
        assert_eq!(parse_all(&["--help"]), Ok(None));
        let mysql = parse_all(&["--backend", "mysql"]).ok().flatten();
        assert_eq!(mysql.map(|a| a.backends), Some(vec![BackendKind::Mysql]));
        let all = parse_all(&["--backend=all"]).ok().flatten();
        assert_eq!(all.map(|a| a.backends), Some(ALL.to_vec()));
        let hooked = parse_all(&["--variants", "hooked"]).ok().flatten();
        assert_eq!(hooked.map(|a| a.variants), Some(vec![Variant::Hooked]));
        let some = parse_all(&["--variants=raw_prep,equiv_prep"])
            .ok()
            .flatten();
        assert_eq!(
            some.map(|a| a.variants),
            Some(vec![
                Variant::Hooked,
                Variant::RawPrepared,
                Variant::EquivalentPrepared
            ])
        );
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(parse_all(&["--n", "0"]).is_err());
        assert!(parse_all(&["--n"]).is_err());
        assert!(parse_all(&["--backend", "oracle"]).is_err());
        assert!(parse_all(&["--fast"]).is_err());
        assert!(parse_all(&["--variants", "hooked,fastest"]).is_err());
    }
}
