//! Per-connection hook scope: nesting depth and scoped bypass.

use std::any::TypeId;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crate::error::DispatchError;
use crate::model::HookModel;
use crate::observe::HookLog;

/// The default limit on nested hooked operations.
pub const DEFAULT_MAX_DEPTH: u32 = 8;

/// Hook state a connection carries: how deep hooked operations are nested
/// and which hooks are switched off.
#[derive(Clone, Debug)]
pub struct Scope {
    depth: u32,
    max_depth: u32,
    bypass_all: u32,
    bypassed: Vec<TypeId>,
    muted: Vec<String>,
    log: Option<HookLog>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            depth: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            bypass_all: 0,
            bypassed: Vec::new(),
            muted: Vec::new(),
            log: None,
        }
    }
}

impl Scope {
    /// The current nesting depth (0 outside any hooked operation).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The nesting limit.
    pub fn max_depth(&self) -> u32 {
        self.max_depth
    }

    /// Sets the nesting limit.
    pub fn set_max_depth(&mut self, limit: u32) {
        self.max_depth = limit;
    }

    /// True when hooks of `M` are switched off here.
    pub fn is_bypassed<M: 'static>(&self) -> bool {
        self.bypass_all > 0 || self.bypassed.contains(&TypeId::of::<M>())
    }

    /// Skips the hook named `name` (as given with `Hook::named`, or its
    /// function's type name) on this connection until [`unmute`](Self::unmute):
    /// a test's way to switch off one hook, say the one that sends e-mail.
    pub fn mute(&mut self, name: impl Into<String>) {
        self.muted.push(name.into());
    }

    /// Runs the hook named `name` again (one [`mute`](Self::mute) undone).
    pub fn unmute(&mut self, name: &str) {
        if let Some(at) = self.muted.iter().rposition(|m| m == name) {
            self.muted.remove(at);
        }
    }

    /// Whether the hook named `name` is muted.
    pub fn is_muted(&self, name: &str) -> bool {
        self.muted.iter().any(|m| m == name)
    }

    /// Records every hook run on this connection into `log` from now on
    /// (`None` stops).
    pub fn set_log(&mut self, log: Option<HookLog>) {
        self.log = log;
    }

    /// The log hook runs are recorded into, if any.
    pub fn log(&self) -> Option<&HookLog> {
        self.log.as_ref()
    }
}

/// A connection that carries a [`Scope`].
pub trait HasScope {
    /// The connection's scope.
    fn scope(&mut self) -> &mut Scope;
}

/// Restores a scope field after `f`, even when `f` panics.
fn scoped<X: HasScope, R>(
    x: &mut X,
    enter: impl FnOnce(&mut Scope),
    leave: impl FnOnce(&mut Scope),
    f: impl FnOnce(&mut X) -> R,
) -> R {
    enter(x.scope());
    let result = catch_unwind(AssertUnwindSafe(|| f(&mut *x)));
    leave(x.scope());
    match result {
        Ok(value) => value,
        Err(panic) => resume_unwind(panic),
    }
}

/// Runs `f` one level deeper, passing it the new depth; fails with
/// [`DispatchError::DepthExceeded`] past the limit. The depth is restored
/// afterwards, on error and on panic too.
pub fn nested<M: HookModel, X: HasScope, R>(
    x: &mut X,
    f: impl FnOnce(&mut X, u32) -> R,
) -> Result<R, DispatchError> {
    let depth = x.scope().depth + 1;
    let limit = x.scope().max_depth;
    if depth > limit {
        return Err(DispatchError::DepthExceeded {
            depth,
            limit,
            model: M::MODEL,
            chain: vec![M::MODEL.to_string()],
        });
    }
    Ok(scoped(
        x,
        |s| s.depth = depth,
        |s| s.depth = depth - 1,
        |x| f(x, depth),
    ))
}

/// Runs `f` with every hook switched off; they are back on afterwards,
/// also when `f` fails or panics.
pub fn without_hooks<X: HasScope, R>(x: &mut X, f: impl FnOnce(&mut X) -> R) -> R {
    scoped(x, |s| s.bypass_all += 1, |s| s.bypass_all -= 1, f)
}

/// Runs `f` with the hooks of model `M` switched off; they are back on
/// afterwards, also when `f` fails or panics.
pub fn without_hooks_for<M: 'static, X: HasScope, R>(x: &mut X, f: impl FnOnce(&mut X) -> R) -> R {
    scoped(
        x,
        |s| s.bypassed.push(TypeId::of::<M>()),
        |s| {
            if let Some(at) = s.bypassed.iter().rposition(|t| *t == TypeId::of::<M>()) {
                s.bypassed.remove(at);
            }
        },
        f,
    )
}
