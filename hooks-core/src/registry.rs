//! The registry: which hooks run for which model and event, in what order.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::DuplicateHook;
use crate::event::{Event, Operation};
use crate::hook::Hook;
use crate::model::HookModel;

/// What a connection type keeps in a [`Registry`] for one model, built
/// when the model's first hook is added (see [`Hosts`]).
pub type Attachment = Arc<dyn Any + Send + Sync>;

/// Connections of this type can run the hooks of model `M`.
///
/// [`Registry::add`] asks for it, so that the connection type learns every
/// model that has hooks and can keep, through
/// [`attachment`](Hosts::attachment), what it needs to run them for
/// statements that only name a table (`hooks-diesel` keeps how ordinary
/// Diesel writes to the model's table are routed to its hooks). Connection
/// types without such needs implement it with the default:
///
/// ```
/// use hooks_core::{HookModel, Hosts};
/// struct Conn;
/// impl<M: HookModel> Hosts<M> for Conn {}
/// ```
#[diagnostic::on_unimplemented(
    message = "a registry of `{Self}` cannot hold hooks of `{M}`",
    label = "the connection type does not host this model",
    note = "derive `HookModel` (with `Queryable`, `Selectable`, `Insertable`) on `{M}`; in code \
            generic over the connection, add the bound `X: Hosts<{M}>`"
)]
pub trait Hosts<M: HookModel>: 'static {
    /// What to keep for `M`; `None` by default.
    fn attachment() -> Option<Attachment> {
        None
    }
}

/// Hooks that receive no connection.
impl<M: HookModel> Hosts<M> for () {}

/// A model that has hooks, by the table it writes.
#[derive(Clone)]
pub struct HookedTable {
    /// The SQL table (`HookModel::TABLE`).
    pub table: &'static str,
    /// The model (`HookModel::MODEL`).
    pub model: &'static str,
    /// The model's type.
    pub type_id: TypeId,
    /// What the connection type keeps for the model ([`Hosts`]).
    pub attachment: Option<Attachment>,
}

impl HookedTable {
    fn of<M: HookModel, X: Hosts<M>>() -> Self {
        HookedTable {
            table: M::TABLE,
            model: M::MODEL,
            type_id: TypeId::of::<M>(),
            attachment: <X as Hosts<M>>::attachment(),
        }
    }
}

impl fmt::Debug for HookedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookedTable")
            .field("table", &self.table)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// A group of hooks registered together: a handler type carrying its own
/// dependencies (a mailer, a cache client), or a hook set written once,
/// generic over a trait, and added for each model that implements it.
///
/// ```
/// use std::marker::PhantomData;
/// use hooks_core::{Batch, Hook, HookModel, HookSet, Hosts, Registry};
///
/// /// Models that keep a revision counter.
/// pub trait Revisioned: HookModel {
///     fn bump(&mut self);
/// }
///
/// /// Bumps the revision of every updated record, for any `Revisioned` model.
/// pub struct Revisions<M>(PhantomData<M>);
///
/// impl<M: Revisioned, X: Hosts<M>> HookSet<X> for Revisions<M> {
///     fn register(self, registry: &mut Registry<X>) {
///         registry.add(Hook::before_update(|_ctx, batch: &mut Batch<M>| {
///             batch.news_mut().for_each(Revisioned::bump);
///             Ok(())
///         }));
///     }
/// }
/// # #[derive(Clone, Debug)] struct Doc { id: i64, rev: i32 }
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
/// # impl Revisioned for Doc { fn bump(&mut self) { self.rev += 1 } }
/// let registry: Registry<()> = Registry::new().with_set(Revisions::<Doc>(PhantomData));
/// assert!(registry.has_hooks::<Doc>(hooks_core::Event::BeforeUpdate));
/// ```
pub trait HookSet<X> {
    /// Adds this set's hooks to `registry`.
    fn register(self, registry: &mut Registry<X>);
}

pub(crate) struct ModelHooks<M, X> {
    pub(crate) events: [Vec<Hook<M, X, ()>>; 6],
}

/// Every hook known to a connection (or a pool of them), by model and
/// event, sorted by priority then registration order.
///
/// Built once, then shared (wrap it in an `Arc`); registration is explicit
/// and nothing is global. `X` is the connection type hooks receive.
pub struct Registry<X> {
    models: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    tables: Vec<&'static str>,
    hooked_tables: Vec<HookedTable>,
    /// Models registered without hooks, for their attachments.
    known: Vec<HookedTable>,
    hook_count: u64,
    _conn: std::marker::PhantomData<fn(&mut X)>,
}

impl<X> Default for Registry<X> {
    fn default() -> Self {
        Registry {
            models: HashMap::new(),
            tables: Vec::new(),
            hooked_tables: Vec::new(),
            known: Vec::new(),
            hook_count: 0,
            _conn: std::marker::PhantomData,
        }
    }
}

impl<X> fmt::Debug for Registry<X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("tables", &self.tables)
            .field("hooks", &self.hook_count)
            .finish()
    }
}

impl<X: 'static> Registry<X> {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a hook (builder form).
    ///
    /// # Panics
    ///
    /// When a hook of the same name is already registered for the model
    /// and event: a setup mistake, reported at once rather than one hook
    /// silently missing. Use [`try_with`](Self::try_with) to get the
    /// error, [`with_replaced`](Self::with_replaced) to replace on purpose.
    #[must_use]
    pub fn with<M: HookModel, P>(mut self, hook: Hook<M, X, P>) -> Self
    where
        X: Hosts<M>,
    {
        self.add(hook);
        self
    }

    /// Adds a hook (builder form), or says which name is taken.
    pub fn try_with<M: HookModel, P>(mut self, hook: Hook<M, X, P>) -> Result<Self, DuplicateHook>
    where
        X: Hosts<M>,
    {
        self.try_add(hook)?;
        Ok(self)
    }

    /// Adds a hook, replacing the one of the same name for the model and
    /// event if there is one (builder form).
    #[must_use]
    pub fn with_replaced<M: HookModel, P>(mut self, hook: Hook<M, X, P>) -> Self
    where
        X: Hosts<M>,
    {
        self.replace(hook);
        self
    }

    /// Adds every hook of a set (builder form).
    #[must_use]
    pub fn with_set(mut self, set: impl HookSet<X>) -> Self {
        set.register(&mut self);
        self
    }

    /// Adds every hook of a set.
    pub fn add_set(&mut self, set: impl HookSet<X>) -> &mut Self {
        set.register(self);
        self
    }

    /// Adds a hook.
    ///
    /// # Panics
    ///
    /// When a hook of the same name is already registered for the model
    /// and event (see [`with`](Self::with)); [`try_add`](Self::try_add)
    /// returns the error instead.
    pub fn add<M: HookModel, P>(&mut self, hook: Hook<M, X, P>) -> &mut Self
    where
        X: Hosts<M>,
    {
        if let Err(duplicate) = self.try_add(hook) {
            panic!("{duplicate}");
        }
        self
    }

    /// Replaces the hook of the same name for the model and event, or adds
    /// the hook when there is none.
    pub fn replace<M: HookModel, P>(&mut self, hook: Hook<M, X, P>) -> &mut Self
    where
        X: Hosts<M>,
    {
        let list = self.hooks_mut::<M>(hook.event);
        if let Some(at) = list.iter().position(|e| e.identity.same(&hook.identity)) {
            list.remove(at);
            self.hook_count -= 1;
        }
        self.add(hook)
    }

    /// Adds a hook. Unnamed hooks are always added; a named one is refused
    /// when a hook of the same name is registered for the model and event.
    pub fn try_add<M: HookModel, P>(&mut self, hook: Hook<M, X, P>) -> Result<(), DuplicateHook>
    where
        X: Hosts<M>,
    {
        let list = self.hooks_mut::<M>(hook.event);
        if list.iter().any(|e| e.identity.same(&hook.identity)) {
            return Err(DuplicateHook {
                name: hook.name.to_string(),
                event: hook.event,
                model: M::MODEL,
            });
        }
        let hook = hook.erase_phase();
        let at = list
            .iter()
            .position(|e| e.priority > hook.priority)
            .unwrap_or(list.len());
        list.insert(at, hook);
        self.hook_count += 1;
        self.host::<M>();
        Ok(())
    }

    /// The hooks of `M` for `event`.
    fn hooks_mut<M: HookModel>(&mut self, event: Event) -> &mut Vec<Hook<M, X, ()>>
    where
        X: Hosts<M>,
    {
        let hooks = self
            .models
            .entry(TypeId::of::<M>())
            .or_insert_with(|| {
                Box::new(ModelHooks::<M, X> {
                    events: Default::default(),
                })
            })
            .downcast_mut::<ModelHooks<M, X>>()
            .expect("registry entries are keyed by their model's TypeId");
        &mut hooks.events[event.index()]
    }

    /// Records that `M` has hooks: its table, and the connection type's
    /// attachment for it.
    fn host<M: HookModel>(&mut self)
    where
        X: Hosts<M>,
    {
        if !self.tables.contains(&M::TABLE) {
            self.tables.push(M::TABLE);
        }
        if !self
            .hooked_tables
            .iter()
            .any(|t| t.type_id == TypeId::of::<M>())
        {
            let known = self
                .known
                .iter()
                .position(|t| t.type_id == TypeId::of::<M>());
            let entry = match known {
                Some(at) => self.known.remove(at),
                None => HookedTable::of::<M, X>(),
            };
            self.hooked_tables.push(entry);
        }
    }

    /// Makes model `M` known to connections of this registry without
    /// giving it hooks (builder form), so that hooks written for any
    /// connection type can run its operations through the connection
    /// (`hooks-diesel`'s `HookedOps`).
    #[must_use]
    pub fn with_model<M: HookModel>(mut self) -> Self
    where
        X: Hosts<M>,
    {
        self.add_model::<M>();
        self
    }

    /// Makes model `M` known without giving it hooks (see
    /// [`with_model`](Self::with_model)).
    pub fn add_model<M: HookModel>(&mut self) -> &mut Self
    where
        X: Hosts<M>,
    {
        let id = TypeId::of::<M>();
        if !self
            .hooked_tables
            .iter()
            .chain(&self.known)
            .any(|t| t.type_id == id)
        {
            self.known.push(HookedTable::of::<M, X>());
        }
        self
    }

    /// What the connection type keeps for model `M`, when `M` has hooks
    /// or was made known with [`with_model`](Self::with_model).
    pub fn attachment(&self, model: TypeId) -> Option<&Attachment> {
        self.hooked_tables
            .iter()
            .chain(&self.known)
            .find(|t| t.type_id == model)
            .and_then(|t| t.attachment.as_ref())
    }

    pub(crate) fn model<M: HookModel>(&self) -> Option<&ModelHooks<M, X>> {
        self.models
            .get(&TypeId::of::<M>())
            .and_then(|b| b.downcast_ref::<ModelHooks<M, X>>())
    }

    /// True when at least one hook is registered for `M` and `event`.
    pub fn has_hooks<M: HookModel>(&self, event: Event) -> bool {
        self.count::<M>(event) > 0
    }

    /// True when a BEFORE or AFTER hook is registered for `M` and
    /// `operation`.
    pub fn has_operation_hooks<M: HookModel>(&self, operation: Operation) -> bool {
        Event::ALL
            .into_iter()
            .filter(|e| e.operation() == operation)
            .any(|e| self.has_hooks::<M>(e))
    }

    /// How many hooks are registered for `M` and `event`.
    pub fn count<M: HookModel>(&self, event: Event) -> usize {
        self.model::<M>()
            .map_or(0, |m| m.events[event.index()].len())
    }

    /// Names of the hooks for `M` and `event`, in the order they run.
    pub fn names<M: HookModel>(&self, event: Event) -> Vec<String> {
        self.model::<M>().map_or_else(Vec::new, |m| {
            m.events[event.index()]
                .iter()
                .map(|e| e.name.to_string())
                .collect()
        })
    }

    /// SQL tables of every model that has hooks.
    pub fn tables(&self) -> &[&'static str] {
        &self.tables
    }

    /// Every model that has hooks, with its table, in registration order.
    pub fn hooked_tables(&self) -> &[HookedTable] {
        &self.hooked_tables
    }

    /// The models with hooks that write `table` (compared without regard
    /// to ASCII case, as unquoted SQL names are).
    pub fn models_of_table<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a HookedTable> {
        self.hooked_tables
            .iter()
            .filter(move |t| t.table.eq_ignore_ascii_case(table))
    }

    /// True when no hook is registered.
    pub fn is_empty(&self) -> bool {
        self.hook_count == 0
    }
}
