//! What a hooked connection keeps for each model of its registry: how
//! statements writing the model's table reach its hooks (`capture`), and
//! the model's hooked operations with their types erased, so that hooks
//! written once for any connection type run them ([`HookedOps`]).

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::connection::{HookedConnection, InnerConnection};
use crate::error::{Error, Result};
use crate::intercept::Route;
use crate::query::Writable;
use crate::written::{Saved, Written};
use hooks_core::{Attachment, HookModel, Hosts};

type Erased<C, I> = fn(&mut HookedConnection<C>, I) -> Result<Box<dyn Any>>;

/// A model's entry in the registry of `HookedConnection<C>`.
pub(crate) struct Hosted<C: InnerConnection> {
    pub(crate) route: Route<C>,
    ops: Ops<C>,
}

struct Ops<C> {
    bulk_create: Erased<C, Box<dyn Any>>,
    bulk_update: Erased<C, Box<dyn Any>>,
    bulk_delete: Erased<C, Box<dyn Any>>,
    save: Erased<C, Box<dyn Any>>,
}

impl<C> Clone for Ops<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Ops<C> {}

/// Hooked connections keep, for each model with hooks (or made known with
/// `Registry::with_model`), the route of its table's statements and its
/// operations.
impl<C, M> Hosts<M> for HookedConnection<C>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    fn attachment() -> Option<Attachment> {
        Some(Arc::new(Hosted::<C> {
            route: Route::of::<M>(),
            ops: Ops {
                bulk_create: create::<M, C>,
                bulk_update: update::<M, C>,
                bulk_delete: delete::<M, C>,
                save: save::<M, C>,
            },
        }))
    }
}

fn unerase<T: Any, M: HookModel>(value: Box<dyn Any>) -> Result<T> {
    value
        .downcast::<T>()
        .map(|v| *v)
        .map_err(|_| mixed_up::<M>())
}

fn mixed_up<M: HookModel>() -> Error {
    Error::Invalid(format!(
        "{}: the operation was handed values of another type (a bug in hooks-diesel)",
        M::MODEL
    ))
}

fn create<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    input: Box<dyn Any>,
) -> Result<Box<dyn Any>> {
    Ok(Box::new(conn.bulk_create(unerase::<Vec<M>, M>(input)?)?))
}

fn update<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    input: Box<dyn Any>,
) -> Result<Box<dyn Any>> {
    Ok(Box::new(conn.bulk_update(unerase::<Vec<M>, M>(input)?)?))
}

fn delete<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    input: Box<dyn Any>,
) -> Result<Box<dyn Any>> {
    Ok(Box::new(conn.bulk_delete(&unerase::<Vec<M>, M>(input)?)?))
}

fn save<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    input: Box<dyn Any>,
) -> Result<Box<dyn Any>> {
    Ok(Box::new(conn.save(unerase::<M, M>(input)?)?))
}

/// The hooked operations on records of any model a connection's registry
/// knows, for code written once for every connection type: a hook set
/// generic over the connection `X` asks for `X: HookedOps` (and
/// `X: Hosts<M>` for each model it registers hooks on), and runs on a
/// SQLite, PostgreSQL or MySQL hooked connection alike.
///
/// A model is known when it has hooks, or after
/// [`Registry::with_model`](crate::Registry::with_model). On a concrete
/// `HookedConnection<C>` the inherent methods of the same names are used.
///
/// ```
/// use hooks_diesel::hooks_core::Hosts;
/// use hooks_diesel::{Batch, Hook, HookContext, HookedOps, Registry};
/// # use hooks_diesel::HookModel;
/// # use diesel::prelude::*;
/// # diesel::table! { accounts (id) { id -> BigInt, owner -> Text, } }
/// # diesel::table! { audits (id) { id -> BigInt, account -> BigInt, } }
/// # #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug)]
/// # #[diesel(table_name = accounts)]
/// # struct Account { #[diesel(skip_insertion)] id: i64, owner: String }
/// # #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug)]
/// # #[diesel(table_name = audits)]
/// # struct Audit { #[diesel(skip_insertion)] id: i64, account: i64 }
///
/// /// The same hooks for every connection type: no backend named.
/// fn audited<X: HookedOps + Hosts<Account> + Hosts<Audit>>() -> Registry<X> {
///     Registry::new().with_model::<Audit>().with(Hook::after_create(
///         |ctx: &mut HookContext<'_, X>, batch: &Batch<Account>| {
///             let audits = batch.news().map(|a| Audit { id: 0, account: a.id }).collect();
///             ctx.conn().bulk_create(audits)?;
///             Ok(())
///         },
///     ))
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let mut conn = hooks_diesel::HookedConnection::new(SqliteConnection::establish(":memory:")?, audited());
/// # diesel::sql_query("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL)").execute(&mut conn)?;
/// # diesel::sql_query("CREATE TABLE audits (id INTEGER PRIMARY KEY, account BIGINT NOT NULL)").execute(&mut conn)?;
/// conn.bulk_create(vec![Account { id: 0, owner: "ada".into() }])?;
/// assert_eq!(audits::table.count().get_result::<i64>(&mut conn)?, 1);
/// # Ok(())
/// # }
/// ```
pub trait HookedOps {
    /// `bulk_create`.
    fn bulk_create<M: HookModel>(&mut self, records: Vec<M>) -> Result<Vec<M>>;
    /// `bulk_update`.
    fn bulk_update<M: HookModel>(&mut self, records: Vec<M>) -> Result<Written<M>>;
    /// `bulk_delete`.
    fn bulk_delete<M: HookModel>(&mut self, records: &[M]) -> Result<usize>;
    /// `save`.
    fn save<M: HookModel>(&mut self, record: M) -> Result<Saved<M>>;
    /// The backend's name (`"sqlite"`, `"postgres"`, `"mysql"`).
    fn backend_name(&self) -> &'static str;
    /// The connection itself, for code that needs its concrete type
    /// (`downcast_mut::<HookedConnection<PgConnection>>()`).
    fn as_any(&mut self) -> &mut dyn Any;
}

impl<C: InnerConnection> HookedConnection<C> {
    fn ops_of<M: HookModel>(&self) -> Result<Ops<C>> {
        self.registry()
            .attachment(TypeId::of::<M>())
            .and_then(|a| a.downcast_ref::<Hosted<C>>())
            .map(|hosted| hosted.ops)
            .ok_or(Error::UnknownModel { model: M::MODEL })
    }
}

impl<C: InnerConnection> HookedOps for HookedConnection<C> {
    fn bulk_create<M: HookModel>(&mut self, records: Vec<M>) -> Result<Vec<M>> {
        let ops = self.ops_of::<M>()?;
        unerase::<Vec<M>, M>((ops.bulk_create)(self, Box::new(records))?)
    }

    fn bulk_update<M: HookModel>(&mut self, records: Vec<M>) -> Result<Written<M>> {
        let ops = self.ops_of::<M>()?;
        unerase::<Written<M>, M>((ops.bulk_update)(self, Box::new(records))?)
    }

    fn bulk_delete<M: HookModel>(&mut self, records: &[M]) -> Result<usize> {
        let ops = self.ops_of::<M>()?;
        // Handed over owned: a borrowed slice cannot be erased as `Any`.
        unerase::<usize, M>((ops.bulk_delete)(self, Box::new(records.to_vec()))?)
    }

    fn save<M: HookModel>(&mut self, record: M) -> Result<Saved<M>> {
        let ops = self.ops_of::<M>()?;
        unerase::<Saved<M>, M>((ops.save)(self, Box::new(record))?)
    }

    fn backend_name(&self) -> &'static str {
        <C::Backend as crate::backend::HookBackend>::NAME
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}
