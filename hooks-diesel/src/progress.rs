//! Progress of long hooked operations, for a callback on the connection.

use std::fmt;
use std::sync::Arc;

use hooks_core::Operation;

/// Where a hooked operation has got to, reported after each chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The model written.
    pub model: &'static str,
    /// The operation.
    pub operation: Operation,
    /// Records written so far.
    pub done: usize,
    /// Records in all, when known up front (bulk operations on records);
    /// `None` for set-based operations, whose size is found as they go.
    pub total: Option<usize>,
}

/// A progress callback, set with
/// [`Config::with_progress`](crate::Config::with_progress).
#[derive(Clone)]
pub struct OnProgress(Arc<dyn Fn(&Progress) + Send + Sync>);

impl OnProgress {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        OnProgress(Arc::new(f))
    }

    pub(crate) fn call(&self, progress: &Progress) {
        (self.0)(progress)
    }
}

impl fmt::Debug for OnProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnProgress(..)")
    }
}

/// Two callbacks are equal when they are the same one.
impl PartialEq for OnProgress {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for OnProgress {}
