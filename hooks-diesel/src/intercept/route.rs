//! Routing a captured write to the hooked operations of the model whose
//! table it writes. A route is made for each model when its first hook is
//! registered ([`Hosts`]), and found by table name when a statement
//! arrives.

use diesel::query_builder::QueryFragment;

use super::output::CallerRows;
use crate::backend::{Capture, HookBackend};
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::{Error, Result};
use crate::ops::changeset;
use crate::ops::{assigned_fields, KeyList, Plan};
use crate::query::Captured;
use crate::query::Writable;
use crate::sql::Piece;
use crate::sql::{Clause, Delete, InsertForm, Listed, Parsed, Shape, Update};
use hooks_core::{HookModel, Operation};

/// What the caller of the intercepted statement asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// `execute`: how many rows.
    Count,
    /// `load`, `get_result(s)`: the rows of its `RETURNING` clause.
    Rows,
}

/// An intercepted statement, as a route receives it.
pub(crate) struct Request<'a, DB: HookBackend> {
    pub query: &'a dyn QueryFragment<DB>,
    pub parsed: &'a Parsed,
    pub cacheable: bool,
    pub want: Want,
}

/// What became of an intercepted statement.
pub(crate) enum Routed<DB: HookBackend> {
    /// No hook runs for it: it is sent as it is.
    Unhooked,
    /// Written with hooks; the count plain Diesel would return.
    Count(usize),
    /// Written with hooks; the rows its `RETURNING` clause asked for.
    Rows(CallerRows<DB>),
}

/// How statements writing one model's table reach its hooks.
pub(crate) struct Route<C: InnerConnection> {
    pub table: &'static str,
    pub model: &'static str,
    #[allow(clippy::type_complexity)]
    pub run: fn(&mut HookedConnection<C>, &Request<'_, C::Backend>) -> Result<Routed<C::Backend>>,
}

impl<C: InnerConnection> Clone for Route<C> {
    fn clone(&self) -> Self {
        Route {
            table: self.table,
            model: self.model,
            run: self.run,
        }
    }
}

impl<C: InnerConnection> Route<C> {
    /// The route of `M`'s table.
    pub(crate) fn of<M: Writable<C::Backend>>() -> Self {
        Route {
            table: M::TABLE,
            model: M::MODEL,
            run: route::<M, C>,
        }
    }
}

fn route<M, C>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
) -> Result<Routed<C::Backend>>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    match &request.parsed.shape {
        Shape::Update(update) => update_rows::<M, C>(conn, request, update),
        Shape::Delete(delete) => delete_rows::<M, C>(conn, request, delete),
        Shape::Insert(insert) => super::insert::insert_rows::<M, C>(conn, request, insert),
        Shape::Other => Ok(Routed::Unhooked),
    }
}

/// Whether hooks of `operation` would run for `M` here.
pub(super) fn runs_hooks<M: HookModel, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    operation: Operation,
) -> bool {
    !conn.scope_mut().is_bypassed::<M>() && conn.registry().has_operation_hooks::<M>(operation)
}

pub(super) fn unsupported<M: HookModel, C: InnerConnection>(
    table: &str,
    form: &str,
    why: &str,
) -> Error {
    Error::UnsupportedWrite {
        form: form.to_string(),
        table: table.to_string(),
        model: M::MODEL,
        backend: <C::Backend as HookBackend>::NAME,
        why: why.to_string(),
    }
}

/// A value the statement reads or writes that does not read as a field
/// of `M` (SQLite keeps text in an integer column): the hooks cannot be
/// handed the row, and the write is refused (rolled back).
pub(super) fn unreadable<'a, M: HookModel, C: InnerConnection>(
    table: &'a str,
    form: &'a str,
) -> impl FnOnce(Error) -> Error + 'a {
    move |error| match error {
        Error::Database(diesel::result::Error::DeserializationError(why)) => unsupported::<M, C>(
            table,
            form,
            &format!("a row it reads or writes does not read as the model ({why})"),
        ),
        other => other,
    }
}

/// The statement's `RETURNING` clause as a piece, refused where its binds
/// could not be re-sent apart from the others.
pub(super) fn returning<M: HookModel, C: InnerConnection>(
    request: &Request<'_, C::Backend>,
    table: &str,
    clause: Option<&Clause>,
) -> Result<Option<Piece>> {
    returning_piece(
        request.parsed,
        clause,
        request.cacheable,
        <C::Backend as HookBackend>::RETURNING,
        <C::Backend as Capture>::SPLITS_BINDS,
    )
    .map_err(|Refusal { form, why }| unsupported::<M, C>(table, form, why))
}

/// Why a statement cannot be routed: the form refused, and what to do.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Refusal {
    pub form: &'static str,
    pub why: &'static str,
}

/// [`returning`] on a backend with `RETURNING` (`has_returning`) that
/// can re-send binds apart (`splits_binds`), before it names the model.
fn returning_piece(
    parsed: &Parsed,
    clause: Option<&Clause>,
    cacheable: bool,
    has_returning: bool,
    splits_binds: bool,
) -> std::result::Result<Option<Piece>, Refusal> {
    let Some(clause) = clause else {
        return Ok(None);
    };
    if !has_returning {
        return Err(Refusal {
            form: "RETURNING",
            why: "the library reads the rows it writes back by key on this backend and cannot \
                  hand back a RETURNING clause; send the write with `execute` and read the rows \
                  after it",
        });
    }
    if parsed
        .names_in(clause)
        .any(|n| n.eq_ignore_ascii_case("SELECT"))
    {
        return Err(Refusal {
            form: "RETURNING with a subquery",
            why: "its rows are computed after every chunk is written, where the original \
                  computes them before; read them with a query after the write",
        });
    }
    let mut piece = Piece::of(parsed, clause, cacheable);
    if piece.has_binds() {
        // Its binds are the statement's last: it names the last one.
        piece = piece.carrying(parsed.bind_count());
    }
    let insert = matches!(parsed.shape, Shape::Insert(_));
    if insert && piece.has_binds() && !splits_binds {
        return Err(Refusal {
            form: "INSERT .. RETURNING with bound values",
            why: "the backend cannot re-send the insert without its RETURNING clause's binds",
        });
    }
    Ok(Some(piece))
}

/// The binds of the intercepted statement; refused when they are not
/// the ones its text refers to (a placeholder inside a comment, say),
/// which the database itself would refuse.
pub(super) fn capture<M: HookModel, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    table: &str,
) -> Result<<C::Backend as Capture>::Binds> {
    let lookup = conn.inner_mut().metadata_lookup();
    let binds = <C::Backend as Capture>::capture_binds(request.query, lookup)?;
    let (given, named) = (
        <C::Backend as Capture>::bind_count(&binds),
        request.parsed.bind_count(),
    );
    if given != named {
        return Err(unsupported::<M, C>(
            table,
            "a statement whose placeholders are not its binds",
            &format!("its text refers to {named} bind values and {given} were given"),
        ));
    }
    Ok(binds)
}

/// `Count`, or the rows in the caller's shape.
pub(super) fn answer<M, C>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    count: usize,
    rows: Vec<M>,
    returning: Option<Piece>,
    binds: Option<&<C::Backend as Capture>::Binds>,
) -> Result<Routed<C::Backend>>
where
    C: InnerConnection,
    M: Writable<C::Backend>,
{
    match request.want {
        Want::Count => Ok(Routed::Count(count)),
        Want::Rows => Ok(Routed::Rows(CallerRows::new::<M, C>(
            conn,
            &rows,
            returning.as_ref(),
            binds,
        )?)),
    }
}

/// Where an intercepted insert goes.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum InsertRoute {
    /// No hook runs for it: it is sent as it is.
    Unhooked,
    /// An upsert, or an `ON CONFLICT (<target>) DO NOTHING` whose skipped
    /// rows are known before the write: hooked by `upsert::upsert_rows`.
    Upsert,
    /// Refused before anything is written.
    Refused(Refusal),
    /// Written with create hooks, by `insert::insert_rows`.
    Create,
}

impl InsertRoute {
    /// The route of an insert of `form`, given whether create and
    /// update hooks would run (`updates` is asked of upserts only),
    /// whether the backend has `RETURNING`, and whether the rows an
    /// `ON CONFLICT (<target>) DO NOTHING` skips are known before the
    /// write and BEFORE_CREATE hooks must see the others before it
    /// (`skips_known`: such an insert goes the upsert's way).
    pub(super) fn of(
        form: &InsertForm,
        creates: bool,
        updates: bool,
        returning: bool,
        skips_known: bool,
    ) -> Self {
        match *form {
            InsertForm::Upsert(form) if creates || updates => {
                if form == super::upsert::FORM && returning {
                    InsertRoute::Upsert
                } else {
                    InsertRoute::Refused(Refusal {
                        form,
                        why: "the rows it updates would reach no update hook with their old rows",
                    })
                }
            }
            InsertForm::Upsert(_) => InsertRoute::Unhooked,
            InsertForm::Ignore(form) if creates && !returning => InsertRoute::Refused(Refusal {
                form,
                why: "without RETURNING the rows it skipped cannot be told from those it inserted",
            }),
            InsertForm::Ignore(super::upsert::SKIP_FORM) if creates && skips_known => {
                InsertRoute::Upsert
            }
            InsertForm::Ignore(_) | InsertForm::Plain if creates => InsertRoute::Create,
            InsertForm::Ignore(_) | InsertForm::Plain => InsertRoute::Unhooked,
        }
    }
}

fn update_rows<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    update: &Update,
) -> Result<Routed<C::Backend>> {
    if !runs_hooks::<M, C>(conn, Operation::Update) {
        return Ok(Routed::Unhooked);
    }
    let parsed = request.parsed;
    if let Some(column) = changeset::assigned_key::<M>(parsed, &update.set) {
        return Err(unsupported::<M, C>(
            &update.table,
            "UPDATE assigning the primary key",
            &format!(
                "hooks pair old and new rows by key, and `{column}` would change it; write the \
                 new row and delete the old one instead"
            ),
        ));
    }
    let returning = returning::<M, C>(request, &update.table, update.returning.as_ref())?;
    let binds = capture::<M, C>(conn, request, &update.table)?;
    let cacheable = request.cacheable;
    let total = parsed.bind_count();
    let set = Piece::of(parsed, &update.set, cacheable);
    let filter = Piece::filter(parsed, update.filter.as_ref(), cacheable);
    let never = Piece::never(total).cacheable(cacheable);
    // Statements by key carry the captured binds beside the keys where
    // binds cannot be split (SQLite).
    let always =
        (!<C::Backend as Capture>::SPLITS_BINDS).then(|| Piece::always(total).cacheable(cacheable));
    let sql = |piece| Captured::<C::Backend> {
        piece,
        binds: &binds,
    };
    let Sends {
        self_reading,
        whole,
    } = Sends::of(
        parsed,
        update,
        <C::Backend as HookBackend>::TWO_PASS_SELF_UPDATES,
    );
    let carrier = match &always {
        Some(always) => Some(sql(always)),
        None => self_reading.then(|| sql(&filter)),
    };
    let projected =
        changeset::projection::<M, C::Backend>(parsed, &update.set, cacheable, &binds, false);
    // Only asked where the condition is otherwise checked by a write.
    let keys_of_key_type = <C::Backend as HookBackend>::CHECKS_CONDITION_BY_WRITE
        && listed_keys::<M, C>(conn, request, update.filter.as_ref(), &update.table, &binds)
            .is_some_and(|keys| keys.of_key_type);
    let plan = Plan {
        assigned: assigned_fields::<M, C::Backend>(projected.as_ref()),
        projection: projected.as_ref(),
        carrier: carrier.as_ref(),
        whole,
        never: Some(&sql(&never)),
        keys_of_key_type,
    };
    let mut rows = Vec::new();
    let keep = (request.want == Want::Rows).then_some(&mut rows);
    let count = conn
        .update_matching::<M, _, _>(&sql(&filter), &sql(&set), plan, keep)
        .map_err(unreadable::<M, C>(&update.table, "UPDATE"))?;
    answer::<M, C>(conn, request, count, rows, returning, Some(&binds))
}

/// How an intercepted `UPDATE` is sent.
#[derive(Debug, PartialEq, Eq)]
struct Sends {
    /// Its condition reads the table, on a backend that then writes in
    /// two passes (MariaDB): all rows in one statement, which restates
    /// the condition.
    self_reading: bool,
    /// It is sent as one statement (see [`Plan::whole`]): it reads rows
    /// in its `SET`, or is self-reading.
    whole: bool,
}

impl Sends {
    fn of(parsed: &Parsed, update: &Update, two_pass: bool) -> Self {
        let self_reading = two_pass
            && update
                .filter
                .as_ref()
                .is_some_and(|clause| changeset::reads_rows(parsed, clause));
        Sends {
            self_reading,
            whole: self_reading || changeset::reads_rows(parsed, &update.set),
        }
    }
}

fn delete_rows<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    delete: &Delete,
) -> Result<Routed<C::Backend>> {
    if !runs_hooks::<M, C>(conn, Operation::Delete) {
        return Ok(Routed::Unhooked);
    }
    let returning = returning::<M, C>(request, &delete.table, delete.returning.as_ref())?;
    let binds = capture::<M, C>(conn, request, &delete.table)?;
    let filter = Piece::filter(request.parsed, delete.filter.as_ref(), request.cacheable);
    let filter_sql = Captured::<C::Backend> {
        piece: &filter,
        binds: &binds,
    };
    let mut rows = Vec::new();
    let keep = (request.want == Want::Rows).then_some(&mut rows);
    let listed = listed_keys::<M, C>(conn, request, delete.filter.as_ref(), &delete.table, &binds);
    let count = conn
        .delete_matching::<M, _>(&filter_sql, keep, listed)
        .map_err(unreadable::<M, C>(&delete.table, "DELETE"))?;
    answer::<M, C>(conn, request, count, rows, returning, Some(&binds))
}

/// What the condition `filter` of a statement on `table` is known to
/// match when it lists keys (`key = ANY($n)`, `key IN (..)`) of a
/// one-column key.
fn listed_keys<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    filter: Option<&Clause>,
    table: &str,
    binds: &<C::Backend as Capture>::Binds,
) -> Option<KeyList> {
    let mut keys = M::FIELDS.iter().enumerate().filter(|(_, f)| f.key);
    let (Some((field, key)), None) = (keys.next(), keys.next()) else {
        return None;
    };
    let listed = request.parsed.listed_keys(filter?, table, key.column)?;
    Some(match listed {
        Listed::Items(n) => KeyList::at_most(n),
        Listed::Array(bind) => KeyList::at_most(<C::Backend as Capture>::array_len(binds, bind)?),
        Listed::Binds(indexes) => KeyList {
            at_most: indexes.len(),
            of_key_type: <C::Backend as Capture>::binds_of_field_type::<M>(
                binds,
                &indexes,
                field,
                conn.inner.metadata_lookup(),
            ),
        },
    })
}

#[cfg(test)]
mod tests;
