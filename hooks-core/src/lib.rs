//! The backend-agnostic heart of the lifecycle-hooks library.
//!
//! - [`Event`]s: BEFORE/AFTER create, update and delete;
//! - [`ChangeSet`]: the `(new, old)` pairs of an operation, in the caller's
//!   order, and the [`Batch`] view a hook receives;
//! - typed [`Field`] descriptors and [`Condition`]s on them;
//! - the [`Registry`] with [`Priority`] ordering, deduplication, [`HookSet`]s
//!   and deferred hooks, and its priority [`dispatch`](Registry::dispatch);
//! - the per-connection [`Scope`]: nesting depth limit, scoped bypass, and
//!   for tests hooks muted by name and a [`HookLog`] of the hooks that ran.
//!
//! Nothing here talks to a database: `hooks-diesel` supplies the connection
//! type `X` that hooks receive and runs the writes.

#![warn(missing_docs, unreachable_pub)]

mod change;
mod compare;
mod condition;
mod dispatch;
mod error;
mod event;
mod field;
mod hook;
mod model;
mod observe;
mod priority;
mod registry;
mod scope;
mod when;

pub use change::{Batch, ChangeSet};
pub use compare::{compare, Comparison, DuplicateKeyFields, KeyFields, Updated};
pub use condition::{Condition, Nullable};
pub use dispatch::DeferredCall;
pub use error::{BoxError, DispatchError, DuplicateHook, HookError, HookResult, Rejection};
pub use event::{Event, Operation, Timing};
pub use field::{Field, FieldKey, FieldSet};
pub use hook::{after_hook, before_hook, After, Before, Hook, HookContext};
pub use model::{FieldInfo, HookModel, KeyValue};
pub use observe::{FiredHook, HookLog};
pub use priority::Priority;
pub use registry::{Attachment, HookSet, HookedTable, Hosts, Registry};
pub use scope::{nested, without_hooks, without_hooks_for, HasScope, Scope, DEFAULT_MAX_DEPTH};
pub use when::{
    Combine, FieldChanged, FieldChangesFrom, FieldChangesTo, FieldIs, FieldIsNot, FieldWas,
};
