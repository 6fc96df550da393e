//! One hook: a function bound to an event, with its condition, priority,
//! name and whether it waits for commit.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::change::Batch;
use crate::condition::Condition;
use crate::error::HookResult;
use crate::event::{Event, Operation};
use crate::priority::Priority;

/// What a hook receives besides its records: the connection (to read or
/// write, including further hooked operations), the event and the nesting
/// depth. Dereferences to the connection.
pub struct HookContext<'a, X> {
    conn: &'a mut X,
    event: Event,
    depth: u32,
}

impl<'a, X> HookContext<'a, X> {
    /// A context for `event` at `depth` (1 for an operation the caller
    /// started, 2 for one started by its hooks, ...).
    pub fn new(conn: &'a mut X, event: Event, depth: u32) -> Self {
        HookContext { conn, event, depth }
    }

    /// The connection.
    pub fn conn(&mut self) -> &mut X {
        self.conn
    }

    /// The event being dispatched.
    pub fn event(&self) -> Event {
        self.event
    }

    /// The operation being run.
    pub fn operation(&self) -> Operation {
        self.event.operation()
    }

    /// How deep hooked operations are nested (1 at the top).
    pub fn depth(&self) -> u32 {
        self.depth
    }
}

impl<X> Deref for HookContext<'_, X> {
    type Target = X;
    fn deref(&self) -> &X {
        self.conn
    }
}

impl<X> DerefMut for HookContext<'_, X> {
    fn deref_mut(&mut self) -> &mut X {
        self.conn
    }
}

pub(crate) type HookFn<M, X> = dyn for<'a, 'b, 'c> Fn(&'a mut HookContext<'b, X>, &'a mut Batch<'c, M>) -> HookResult
    + Send
    + Sync;

/// Gives a BEFORE hook's closure its signature where it is written, so
/// that a closure kept in a variable or returned from a function infers its
/// argument types (the constructors `Hook::before_*` do the same for a
/// closure written in their call).
///
/// ```
/// use hooks_core::{before_hook, Batch, Hook, HookModel, Registry};
/// # #[derive(Clone, Debug)] struct Doc { id: i64, title: String }
/// # impl HookModel for Doc {
/// #     type Key = i64;
/// #     const MODEL: &'static str = "Doc";
/// #     const TABLE: &'static str = "docs";
/// #     const FIELDS: &'static [hooks_core::FieldInfo] = &[];
/// #     fn key(&self) -> i64 { self.id }
/// #     fn has_key(&self) -> bool { self.id != 0 }
/// #     fn set_key(&mut self, key: i64) { self.id = key }
/// #     fn diff(&self, _: &Self) -> hooks_core::FieldSet { hooks_core::FieldSet::EMPTY }
/// #     fn copy_fields(&mut self, _: &Self, _: hooks_core::FieldSet) {}
/// # }
/// let trim = before_hook(|_ctx, batch: &mut Batch<Doc>| {
///     batch.news_mut().for_each(|d| d.title = d.title.trim().to_string());
///     Ok(())
/// });
/// let registry: Registry<()> = Registry::new()
///     .with(Hook::before_create(trim.clone()))
///     .with(Hook::before_update(trim));
/// assert_eq!(registry.count::<Doc>(hooks_core::Event::BeforeUpdate), 1);
/// ```
pub fn before_hook<M, X, F>(f: F) -> F
where
    F: for<'a, 'b, 'c> Fn(&'a mut HookContext<'b, X>, &'a mut Batch<'c, M>) -> HookResult,
{
    f
}

/// Gives an AFTER hook's closure its signature where it is written (see
/// [`before_hook`]).
pub fn after_hook<M, X, F>(f: F) -> F
where
    F: for<'a, 'b, 'c> Fn(&'a mut HookContext<'b, X>, &'a Batch<'c, M>) -> HookResult,
{
    f
}

/// Marker: the hook runs before the write (may edit and reject records).
#[derive(Debug, Clone, Copy)]
pub enum Before {}
/// Marker: the hook runs after the write (sees stored records; may be
/// deferred until commit).
#[derive(Debug, Clone, Copy)]
pub enum After {}

/// A hook on model `M` for connections of type `X`, ready to be added to a
/// [`Registry`](crate::Registry).
///
/// ```
/// use hooks_core::{Batch, Hook, HookContext, Priority, Registry};
/// # #[derive(Clone)] struct Conn;
/// # impl<M: hooks_core::HookModel> hooks_core::Hosts<M> for Conn {}
/// # #[derive(Clone, Debug)] struct Account { id: i64, balance: i64 }
/// # impl hooks_core::HookModel for Account {
/// #     type Key = i64;
/// #     const MODEL: &'static str = "Account";
/// #     const TABLE: &'static str = "accounts";
/// #     const FIELDS: &'static [hooks_core::FieldInfo] = &[];
/// #     fn key(&self) -> i64 { self.id }
/// #     fn has_key(&self) -> bool { self.id != 0 }
/// #     fn set_key(&mut self, key: i64) { self.id = key }
/// #     fn diff(&self, _: &Self) -> hooks_core::FieldSet { hooks_core::FieldSet::EMPTY }
/// #     fn copy_fields(&mut self, _: &Self, _: hooks_core::FieldSet) {}
/// # }
/// let registry: Registry<Conn> = Registry::new().with(
///     Hook::before_create(|_ctx, batch: &mut Batch<Account>| {
///         batch.reject_where(|new, _| new.balance < 0, |a| format!("balance {}", a.balance));
///         Ok(())
///     })
///     .named("no_negative_balance")
///     .priority(Priority::HIGH),
/// );
/// assert_eq!(registry.count::<Account>(hooks_core::Event::BeforeCreate), 1);
/// ```
pub struct Hook<M, X, P = Before> {
    pub(crate) event: Event,
    pub(crate) name: Cow<'static, str>,
    pub(crate) identity: Identity,
    pub(crate) priority: Priority,
    pub(crate) condition: Option<Condition<M>>,
    pub(crate) deferred: bool,
    pub(crate) run: Arc<HookFn<M, X>>,
    _phase: PhantomData<P>,
}

/// What makes two registrations "the same hook": the explicit name when
/// one was given, the function's type otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Identity {
    /// Named by its registrant: one hook of the name per model and event.
    Named(Cow<'static, str>),
    /// Unnamed: never the same as another hook (two closures of one
    /// factory, with different captures, are two hooks).
    Unnamed,
}

impl Identity {
    /// Whether two hooks are registered as the same one.
    pub(crate) fn same(&self, other: &Identity) -> bool {
        matches!((self, other), (Identity::Named(a), Identity::Named(b)) if a == b)
    }
}

impl<M, X, P> Clone for Hook<M, X, P> {
    fn clone(&self) -> Self {
        Hook {
            event: self.event,
            name: self.name.clone(),
            identity: self.identity.clone(),
            priority: self.priority,
            condition: self.condition.clone(),
            deferred: self.deferred,
            run: Arc::clone(&self.run),
            _phase: PhantomData,
        }
    }
}

macro_rules! before_constructors {
    ($($(#[$doc:meta])* $name:ident => $event:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name<F>(f: F) -> Self
        where
            F: for<'a, 'b, 'c> Fn(&'a mut HookContext<'b, X>, &'a mut Batch<'c, M>) -> HookResult
                + Send
                + Sync
                + 'static,
        {
            Hook::build(Event::$event, f)
        }
    )*};
}

macro_rules! after_constructors {
    ($($(#[$doc:meta])* $name:ident => $event:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name<F>(f: F) -> Self
        where
            F: for<'a, 'b, 'c> Fn(&'a mut HookContext<'b, X>, &'a Batch<'c, M>) -> HookResult
                + Send
                + Sync
                + 'static,
        {
            Hook::build_with(Event::$event, std::any::type_name::<F>(),
                move |ctx, batch| f(ctx, batch))
        }
    )*};
}

impl<M: 'static, X: 'static> Hook<M, X, Before> {
    before_constructors! {
        /// A hook run before records are created; may edit or reject them.
        before_create => BeforeCreate;
        /// A hook run before records are updated; may edit or reject them.
        before_update => BeforeUpdate;
        /// A hook run before rows are deleted; may reject them.
        before_delete => BeforeDelete;
    }

    fn build<F>(event: Event, f: F) -> Self
    where
        F: for<'a, 'b, 'c> Fn(&'a mut HookContext<'b, X>, &'a mut Batch<'c, M>) -> HookResult
            + Send
            + Sync
            + 'static,
    {
        Hook::build_with(event, std::any::type_name::<F>(), f)
    }
}

impl<M: 'static, X: 'static> Hook<M, X, After> {
    after_constructors! {
        /// A hook run after records are created; sees them as stored.
        after_create => AfterCreate;
        /// A hook run after records are updated.
        after_update => AfterUpdate;
        /// A hook run after rows are deleted; sees the rows as they were.
        after_delete => AfterDelete;
    }

    /// Runs the hook after the outermost transaction commits, with the
    /// records it would have seen; never if the transaction rolls back.
    #[must_use]
    pub fn deferred(mut self) -> Self {
        self.deferred = true;
        self
    }
}

impl<M: 'static, X: 'static, P> Hook<M, X, P> {
    fn build_with<F>(event: Event, type_name: &'static str, f: F) -> Self
    where
        F: for<'a, 'b, 'c> Fn(&'a mut HookContext<'b, X>, &'a mut Batch<'c, M>) -> HookResult
            + Send
            + Sync
            + 'static,
    {
        Hook {
            event,
            name: Cow::Borrowed(type_name),
            identity: Identity::Unnamed,
            priority: Priority::NORMAL,
            condition: None,
            deferred: false,
            run: Arc::new(f),
            _phase: PhantomData,
        }
    }

    /// Calls the hook only with the records that pass `condition` (and not
    /// at all when none does): a [`Condition`] (`Account::BALANCE.changed()`)
    /// or anything that converts into one (`FieldChanged(Account::BALANCE)`).
    #[must_use]
    pub fn when(mut self, condition: impl Into<Condition<M>>) -> Self {
        self.condition = Some(condition.into());
        self
    }

    /// Sets the priority (lower runs first; default [`Priority::NORMAL`]).
    #[must_use]
    pub fn priority(mut self, priority: impl Into<Priority>) -> Self {
        self.priority = priority.into();
        self
    }

    /// Names the hook. The name appears in errors and spans, and is its
    /// identity: a second hook of the same name for the same model and
    /// event is refused ([`Registry::try_add`](crate::Registry::try_add))
    /// unless it replaces the first on purpose
    /// ([`Registry::replace`](crate::Registry::replace)). Unnamed hooks
    /// are never taken for one another: a closure factory registered twice
    /// (with different captures) gives two hooks.
    #[must_use]
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        self.identity = Identity::Named(name.clone());
        self.name = name;
        self
    }

    pub(crate) fn erase_phase(self) -> Hook<M, X, ()> {
        Hook {
            event: self.event,
            name: self.name,
            identity: self.identity,
            priority: self.priority,
            condition: self.condition,
            deferred: self.deferred,
            run: self.run,
            _phase: PhantomData,
        }
    }

    /// The event the hook runs on.
    pub fn event(&self) -> Event {
        self.event
    }

    /// The hook's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}
