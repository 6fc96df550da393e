//! What the example-running tests share: finding an example's binary, temp
//! files, and a PostgreSQL schema of a test's own.
#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The example binary `name`, built by `cargo test` into
/// `target/<profile>/examples/`, beside this test's `deps/` directory.
pub fn example(name: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test`, which builds the examples first",
        path.display()
    );
    let mut command = Command::new(path);
    command.env_remove("RUST_LOG");
    command
}

/// A path in the temp directory no other test or run uses; files starting
/// with it are removed on drop.
pub struct TempPath(PathBuf);

impl TempPath {
    pub fn new(suffix: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        TempPath(std::env::temp_dir().join(format!(
            "hooks-examples-test-{}-{n}{suffix}",
            std::process::id()
        )))
    }

    pub fn with_text(suffix: &str, text: &str) -> Self {
        let path = Self::new(suffix);
        std::fs::write(&path.0, text).expect("write a temp file");
        path
    }

    pub fn as_str(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8")
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[cfg(feature = "postgres")]
pub mod postgres {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    /// A schema of this test's own on the PostgreSQL server at
    /// `POSTGRES_URL`; dropped on drop.
    pub struct Schema {
        server: String,
        name: String,
    }

    impl Schema {
        pub fn new() -> Self {
            let server = std::env::var("POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "hooks_examples_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            admin(&server)
                .batch_execute(&format!("CREATE SCHEMA {name}"))
                .expect("create a test schema");
            Schema { server, name }
        }

        /// The server's URL, with this schema first on the search path.
        pub fn url(&self) -> String {
            let sep = if self.server.contains('?') { '&' } else { '?' };
            format!("{}{sep}options=-csearch_path%3D{}", self.server, self.name)
        }
    }

    impl Drop for Schema {
        fn drop(&mut self) {
            let _ = admin(&self.server)
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }

    fn admin(url: &str) -> diesel::pg::PgConnection {
        diesel::pg::PgConnection::establish(url).unwrap_or_else(|e| {
            panic!("PostgreSQL is unreachable at {url} ({e}); start it or set POSTGRES_URL")
        })
    }
}
