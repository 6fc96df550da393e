//! Runs each example program as a user would (the binaries `cargo test`
//! builds next to this test), on SQLite, and on PostgreSQL (import, pool)
//! and MySQL (import) where this build has the `postgres` / `mysql`
//! features (as `cargo test --workspace` has). Checks what they print and
//! their exit status, on good input and on bad.
//!
//! Run them through `cargo test` on the whole package or workspace, which
//! (re)builds the examples with the same features first: `--test
//! run_examples` alone builds only this file and runs whatever example
//! binaries an earlier build left.

mod common;

use std::process::{Command, Output};

use common::{example, TempPath};

/// Runs `command`; returns (success, stdout, stderr).
fn run(command: &mut Command) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the example starts");
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Runs `command` and expects it to succeed; returns its stdout.
fn succeeds(command: &mut Command) -> String {
    let (ok, stdout, stderr) = run(command);
    assert!(
        ok,
        "{command:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

/// Runs `command` and expects exit status 1 with `message` on stderr.
fn fails_with(command: &mut Command, message: &str) {
    let output = command.output().expect("the example starts");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{command:?} should fail with status 1; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(message),
        "{command:?}: stderr should contain {message:?}:\n{stderr}"
    );
}

fn data(file: &str) -> String {
    format!("{}/data/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// The import's four runs on the shipped files, at `url`.
fn import_round_trip(url: &str) {
    let first = succeeds(example("import").args(["--database-url", url]));
    assert!(first.contains("read 1200 accounts"), "{first}");
    assert!(
        first.contains("created 1200, updated 0, deleted 0, unchanged 0"),
        "{first}"
    );

    let again = succeeds(example("import").args(["--database-url", url]));
    assert!(
        again.contains("created 0, updated 0, deleted 0, unchanged 1200"),
        "{again}"
    );

    let next = data("accounts-next.csv");
    let dry = succeeds(example("import").args([next.as_str(), "--dry-run", "--database-url", url]));
    assert!(
        dry.contains("would create 40, update 110, delete 30; 1060 unchanged"),
        "{dry}"
    );

    let synced = succeeds(example("import").args([
        next.as_str(),
        "--batch-size",
        "100",
        "--database-url",
        url,
    ]));
    assert!(
        synced.contains("created 40, updated 110, deleted 30, unchanged 1060"),
        "{synced} (the dry run must have written nothing)"
    );
}

#[test]
fn quickstart_runs() {
    succeeds(&mut example("quickstart"));
}

#[test]
fn import_syncs_the_shipped_files_on_sqlite() {
    let db = TempPath::new(".db");
    import_round_trip(db.as_str());
}

#[test]
fn import_refuses_bad_input_with_its_line_number() {
    let db = TempPath::new(".db");
    let import = |file: &str| {
        let mut command = example("import");
        command.args([file, "--database-url", db.as_str()]);
        command
    };

    let missing = "/no/such/dir/accounts.csv";
    fails_with(&mut import(missing), &format!("cannot read {missing}"));

    let cases = [
        (
            "owner,balance,status\nada,10,active\nbob,12x,active\n",
            "line 3: balance `12x` is not a whole number",
        ),
        (
            "owner,balance,status\nada,10,active\nbob,12\n",
            "line 3: expected 3 fields, found 2",
        ),
        (
            "owner,balance,status\nada,10,active\nbob,1,idle\nada,5,idle\n",
            "line 4: owner `ada` is already listed on line 2",
        ),
        (
            "owner,balance,status\nada,10,closed\n",
            "line 2: status `closed` is not one of active, idle, frozen",
        ),
        (
            "owner,amount,status\nada,10,active\n",
            "no `balance` column",
        ),
        ("owner,balance,status\n", "no accounts listed"),
        // Checked by the BEFORE_CREATE hook, not the parser.
        (
            "owner,balance,status\nada,10,active\neve,-5,active\n",
            "eve has a negative balance; nothing was written",
        ),
    ];
    for (text, message) in cases {
        let file = TempPath::with_text(".csv", text);
        fails_with(&mut import(file.as_str()), message);
    }

    // Nothing of the refused imports was written.
    let good = TempPath::with_text(".csv", "owner,balance,status\nada,10,active\n");
    let out = succeeds(&mut import(good.as_str()));
    assert!(out.contains("created 1, updated 0, deleted 0"), "{out}");

    // Usage errors are clap's: status 2.
    let (ok, _, stderr) = run(example("import").args(["--batch-size", "0"]));
    assert!(!ok && stderr.contains("--batch-size"), "{stderr}");
}

#[cfg(not(feature = "postgres"))]
#[test]
fn a_url_of_a_backend_not_built_says_which_feature_to_add() {
    fails_with(
        example("import").args(["--database-url", "postgres://u@127.0.0.1/db"]),
        "rerun with `--features postgres`",
    );
}

#[test]
fn pool_commits_from_several_threads_on_sqlite() {
    let db = TempPath::new(".db");
    let out = succeeds(example("pool").args([
        "--database-url",
        db.as_str(),
        "--threads",
        "3",
        "--transactions",
        "2",
        "--accounts",
        "20",
    ]));
    check_pool_output(&out);
}

/// 3 threads x (2 committed + 1 rolled back) transactions x 20 accounts.
#[test]
fn same_hooks_run_on_sqlite() {
    let out = succeeds(&mut example("same_hooks"));
    check_same_hooks_output(&out, "sqlite");
}

/// The hooks' lines for one backend, in order.
fn check_same_hooks_output(out: &str, backend: &str) {
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(&format!("[{backend}]")))
        .collect();
    assert_eq!(
        lines,
        [
            format!("  [{backend}] audited 2 new account(s)"),
            format!("  [{backend}] bob: active -> frozen"),
        ],
        "{out}"
    );
    assert!(
        out.contains("refused: BEFORE_UPDATE of Account rejected 1 record(s)"),
        "{out}"
    );
}

fn check_pool_output(out: &str) {
    assert!(out.contains("committed 120 accounts"), "{out}");
    assert!(
        out.contains("hook saw 180 (inside every transaction"),
        "{out}"
    );
    assert!(out.contains("the deferred one saw 120"), "{out}");
    assert!(
        out.contains("on_commit callbacks ran 6 times, on_rollback callbacks 3 times"),
        "{out}"
    );
    assert_eq!(out.matches(" committed, accounts #").count(), 6, "{out}");
    assert!(out.contains("deleted the 120 accounts again"), "{out}");
}

#[test]
fn audit_records_every_change() {
    let out = succeeds(&mut example("audit"));
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|line| line.split_whitespace().collect())
        .filter(|cols: &Vec<&str>| cols.len() == 7 && cols[0].parse::<u32>().is_ok())
        .collect();
    for row in [
        ["Account", "1", "create", "owner", "-", "ada"],
        ["Account", "1", "update", "balance", "100", "125"],
        ["Account", "2", "update", "status", "idle", "active"],
        ["Account", "1", "update", "balance", "125", "250"],
        ["Membership", "7/1", "create", "role", "-", "member"],
        ["Membership", "7/1", "update", "role", "member", "admin"],
        ["Account", "2", "delete", "balance", "100", "-"],
    ] {
        assert!(rows.iter().any(|r| r[1..] == row), "{row:?} missing: {out}");
    }
    // The failed transaction's change of bob's balance left no trail.
    let failed = ["Account", "2", "update", "balance", "100", "0"];
    assert!(!rows.iter().any(|r| r[1..] == failed), "{out}");
    assert!(
        out.contains(&format!("{} changes recorded", rows.len())),
        "{out}"
    );
}

fn check_outbox_output(out: &str, accounts: usize) {
    let closed = accounts.div_ceil(2);
    assert!(
        out.contains("rolled back (changed my mind): no event"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "closed {closed} accounts and committed: {closed} events"
        )),
        "{out}"
    );
    let delivered: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("delivered event"))
        .collect();
    assert_eq!(delivered.len(), closed, "{out}");
    assert!(
        delivered
            .iter()
            .all(|l| l.ends_with("status \"active\" -> \"closed\"")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "delivered {closed}, retried 0, dead 0; events left in the outbox: 0"
        )),
        "{out}"
    );
}

#[test]
fn outbox_delivers_committed_status_changes_on_sqlite() {
    let out = succeeds(example("outbox").args(["--accounts", "7"]));
    check_outbox_output(&out, 7);
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use common::postgres::Schema;

    #[test]
    fn outbox_delivers_committed_status_changes_on_postgres() {
        let schema = Schema::new();
        let out =
            succeeds(example("outbox").args(["--database-url", &schema.url(), "--accounts", "8"]));
        check_outbox_output(&out, 8);
    }

    #[test]
    fn import_syncs_the_shipped_files_on_postgres() {
        let schema = Schema::new();
        import_round_trip(&schema.url());
    }

    #[test]
    fn same_hooks_run_on_sqlite_and_postgres() {
        let schema = Schema::new();
        let out = succeeds(example("same_hooks").args(["--database-url", &schema.url()]));
        check_same_hooks_output(&out, "sqlite");
        check_same_hooks_output(&out, "postgres");
    }

    #[test]
    fn pool_commits_from_several_threads_on_postgres() {
        let schema = Schema::new();
        let out = succeeds(example("pool").args([
            "--database-url",
            &schema.url(),
            "--threads",
            "3",
            "--transactions",
            "2",
            "--accounts",
            "20",
        ]));
        check_pool_output(&out);
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A database of this test's own on the MySQL server at `MYSQL_URL`
    /// (`mysql://user@host:port/db`); dropped on drop.
    struct Database {
        server: String,
        name: String,
    }

    impl Database {
        fn new() -> Self {
            let url = std::env::var("MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
            // The server part: everything before the path, if any.
            let after_scheme = url.find("://").map_or(0, |at| at + 3);
            let server = match url[after_scheme..].find('/') {
                Some(at) => url[..after_scheme + at].to_string(),
                None => url.clone(),
            };
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "hooks_examples_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            admin(&url)
                .batch_execute(&format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"))
                .expect("create a test database");
            Database { server, name }
        }

        fn url(&self) -> String {
            format!("{}/{}", self.server, self.name)
        }
    }

    impl Drop for Database {
        fn drop(&mut self) {
            let _ =
                admin(&self.url()).batch_execute(&format!("DROP DATABASE IF EXISTS {}", self.name));
        }
    }

    fn admin(url: &str) -> diesel::mysql::MysqlConnection {
        diesel::mysql::MysqlConnection::establish(url).unwrap_or_else(|e| {
            panic!("MySQL is unreachable at {url} ({e}); start it or set MYSQL_URL")
        })
    }

    #[test]
    fn import_syncs_the_shipped_files_on_mysql() {
        let database = Database::new();
        import_round_trip(&database.url());
    }
}
