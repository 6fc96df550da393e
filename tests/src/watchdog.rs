//! Runs a test's workload with a time limit, so that a hang fails the test
//! instead of stalling the suite.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `work` on a thread of its own and returns its value; panics, after
/// calling `unblock` (which should end the workload's database sessions),
/// when it has not finished within `limit`. A panic of `work` goes on to
/// the caller.
pub fn within<R: Send + 'static>(
    limit: Duration,
    what: &str,
    work: impl FnOnce() -> R + Send + 'static,
    unblock: impl FnOnce(),
) -> R {
    let (done, wait) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = done.send(work());
    });
    match wait.recv_timeout(limit) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("{what}: the workload ended without a result"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            unblock();
            panic!("{what} did not finish within {limit:?}: hung");
        }
    }
}
