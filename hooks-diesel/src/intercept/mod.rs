//! The interception pipeline: ordinary Diesel writes through
//! `HookedConnection`. Every statement the connection is asked to run is
//! classified once per statement type, or per text where Diesel renders a
//! type anew each time (lexed and shaped by `crate::sql`,
//! its table identified as the session would, `identify`); a write to a
//! table that has hooks is captured (its text and binds) and routed to the
//! hooked operations of the table's model (`route`; inserts `insert`, with
//! the rows previewed for BEFORE_CREATE hooks, `preview`, and re-sent with
//! their edits, `resend`; upserts `upsert`); the caller gets what plain
//! Diesel returns (`output`). What cannot be routed faithfully falls to the
//! `UnhookedWrites` policy (`policy`).
//!
//! The connection calls this module in one place: [`HookedConnection::intercept`].

mod arrays;
mod decode;
mod identify;
mod insert;
mod output;
mod policy;
mod preview;
mod resend;
mod route;
mod split;
pub(crate) mod state;
mod upsert;

use std::any::{Any, TypeId};
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::query_builder::QueryFragment;
use diesel::QueryResult;

pub(crate) use output::AsCallerQuery;
pub(crate) use route::{Route, Routed, Want};

pub(crate) use self::policy::TextRoute;
use self::policy::Unhooked;
use self::route::Request;
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::Error;
use crate::sql::{Parsed, Shape};

/// Never bypassed by model: `is_bypassed::<AllHooks>()` is true only inside
/// `without_hooks`.
enum AllHooks {}

/// What the connection does with one statement.
pub(crate) enum Classified<C: InnerConnection> {
    /// Not a write to a table with hooks: sent as it is.
    Pass,
    /// A write to a hooked table, routed to its model's operations.
    Routed {
        parsed: Box<Parsed>,
        route: Route<C>,
        cacheable: bool,
    },
    /// A write the library cannot route: the `UnhookedWrites` policy
    /// decides.
    Unhooked(Unhooked),
    /// A write refused whatever the policy; `.0` says why.
    Refused(String),
}

impl<C: InnerConnection> HookedConnection<C> {
    /// Runs `query` as a hooked write when it writes a table that has
    /// hooks; `Ok(None)` when it should be sent as it is. `static_id` is
    /// the statement's query id when it has a static one.
    pub(crate) fn intercept(
        &mut self,
        query: &dyn QueryFragment<C::Backend>,
        static_id: Option<TypeId>,
        want: Want,
    ) -> QueryResult<Option<Routed<C::Backend>>> {
        if self.registry().is_empty() || self.hooks_all_off() {
            return Ok(None);
        }
        let known = static_id
            .and_then(|id| self.interception.statements.get(&id))
            .and_then(|known| Arc::clone(known).downcast::<Classified<C>>().ok());
        let classified = match known {
            Some(known) => known,
            None => {
                let Some(sql) = render(query) else {
                    return Ok(None);
                };
                self.note_schema_change(&sql);
                let by_text = self
                    .interception
                    .texts
                    .get(&sql)
                    .and_then(|known| Arc::clone(known).downcast::<Classified<C>>().ok());
                match by_text {
                    Some(known) => known,
                    None => {
                        let text = sql.clone();
                        let (classified, keep) = self.classify(query, sql)?;
                        let classified = Arc::new(classified);
                        let erased: Arc<dyn Any + Send + Sync> = classified.clone();
                        match (keep, static_id) {
                            (Keep::ByType, Some(id)) => {
                                self.interception.statements.insert(id, erased);
                            }
                            (Keep::ByType | Keep::ByText, _) => {
                                self.interception.texts.insert(text, erased);
                            }
                            (Keep::No, _) => {}
                        }
                        classified
                    }
                }
            }
        };
        match &*classified {
            Classified::Pass => Ok(None),
            Classified::Unhooked(unhooked) => self.apply_policy(unhooked).map(|()| None),
            Classified::Refused(why) => Err(Error::Invalid(why.clone()).into_diesel()),
            Classified::Routed {
                parsed,
                route,
                cacheable,
            } => {
                let request = Request {
                    query,
                    parsed,
                    cacheable: *cacheable,
                    want,
                };
                let span =
                    tracing::debug_span!("intercepted", table = %route.table, model = route.model);
                let _entered = span.enter();
                (route.run)(self, &request)
                    .map(Some)
                    .map_err(Error::into_diesel)
            }
        }
    }

    /// How many statement types this connection has classified and keeps
    /// (for tests of the classification cache).
    #[doc(hidden)]
    pub fn classified_statement_types(&self) -> usize {
        self.interception.statements.len()
    }

    /// How many statement texts (of types Diesel renders differently from
    /// use to use) this connection has classified and keeps (for tests of
    /// the classification cache).
    #[doc(hidden)]
    pub fn classified_statement_texts(&self) -> usize {
        self.interception.texts.len()
    }

    /// True inside `without_hooks`.
    pub(crate) fn hooks_all_off(&mut self) -> bool {
        self.scope_mut().is_bypassed::<AllHooks>()
    }

    /// Scans `query`, rendered as `sql`; also says for which statements
    /// the answer holds.
    fn classify(
        &mut self,
        query: &dyn QueryFragment<C::Backend>,
        sql: String,
    ) -> QueryResult<(Classified<C>, Keep)> {
        let backend = C::Backend::default();
        let dialect = <C::Backend as crate::backend::Capture>::DIALECT;
        // One statement (Diesel writes no `;`) whose first target has no
        // hooks: nothing more to read.
        if let Some(target) = crate::sql::first_target(&sql, dialect).filter(|_| !sql.contains(';'))
        {
            if self.registry().models_of_table(&target).next().is_none() {
                return Ok((Classified::Pass, Keep::ByType));
            }
        }
        // The written table and statement kind are fixed by a statement's
        // type; its text (and so the positions of its clauses) only when
        // Diesel may cache it by type. An answer that asked the session
        // (its lexing settings, a qualified table name) is not kept.
        let text_fixed = query.is_safe_to_cache_prepared(&backend)?;
        let (lexing, asked) = self.lexing_for(&sql)?;
        let parsed = match crate::sql::parse(sql, lexing) {
            Ok(parsed) => parsed,
            Err(why) => return Ok((self.unscannable(query, why)?, Keep::unless(asked))),
        };
        let target = match &parsed.shape {
            Shape::Insert(insert) => Some(&insert.target),
            Shape::Update(update) => Some(&update.target),
            Shape::Delete(delete) => Some(&delete.target),
            Shape::Other => None,
        };
        let Some(target) = target else {
            return Ok(match self.unhooked_write(&parsed)? {
                None => (Classified::Pass, Keep::unless(asked)),
                Some(unhooked) => (
                    Classified::Unhooked(unhooked),
                    Keep::unless(asked).of_text(text_fixed),
                ),
            });
        };
        let keep = Keep::unless(asked || !target.qualifier.is_empty());
        let Some(table) = self.identify(target)? else {
            return Ok((Classified::Pass, keep));
        };
        let models: Vec<_> = self.registry().models_of_table(table).cloned().collect();
        let classified =
            match models.as_slice() {
                [] => return Ok((Classified::Pass, keep)),
                [model] => match model
                    .attachment
                    .as_ref()
                    .and_then(|a| a.downcast_ref::<crate::hosted::Hosted<C>>())
                {
                    Some(hosted) => Classified::Routed {
                        parsed: Box::new(parsed),
                        route: hosted.route.clone(),
                        cacheable: text_fixed,
                    },
                    None => Classified::Pass,
                },
                several => {
                    Classified::Refused(format!(
                    "table `{table}` has hooks on several models ({}): an ordinary Diesel write \
                     cannot tell whose hooks to run; write it with a hooked operation of one \
                     model, or inside `without_hooks`",
                    several.iter().map(|m| m.model).collect::<Vec<_>>().join(", ")
                ))
                }
            };
        Ok((classified, keep.of_text(text_fixed)))
    }

    /// A statement whose text cannot be scanned faithfully: unhooked if it
    /// mentions a hooked table at all.
    fn unscannable(
        &mut self,
        query: &dyn QueryFragment<C::Backend>,
        why: crate::sql::ScanError,
    ) -> QueryResult<Classified<C>> {
        let mut builder = <C::Backend as Backend>::QueryBuilder::default();
        query.to_sql(&mut builder, &C::Backend::default())?;
        let sql = diesel::query_builder::QueryBuilder::finish(builder);
        let tables = policy::mentioned_tables(self.registry().tables(), &sql);
        tracing::debug!(?why, ?tables, "statement text not scanned");
        Ok(if tables.is_empty() {
            Classified::Pass
        } else {
            Classified::Unhooked(Unhooked {
                tables,
                form: format!("text the library cannot scan ({why})"),
            })
        })
    }
}

/// For which statements a classification holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    /// Every statement of its type (its text is fixed by the type, or
    /// the answer does not depend on the text's details).
    ByType,
    /// Only statements of the same text.
    ByText,
    /// Only this one (it asked the session).
    No,
}

impl Keep {
    /// `ByType`, or `No` when `asked`.
    fn unless(asked: bool) -> Keep {
        if asked {
            Keep::No
        } else {
            Keep::ByType
        }
    }

    /// Narrowed to the text when the statement's text is not `fixed` by
    /// its type.
    fn of_text(self, fixed: bool) -> Keep {
        match self {
            Keep::ByType if !fixed => Keep::ByText,
            keep => keep,
        }
    }
}

/// The SQL of `query`; `None` when it cannot be rendered (the statement
/// itself reports that when it is sent).
fn render<DB: Backend + Default>(query: &dyn QueryFragment<DB>) -> Option<String>
where
    DB::QueryBuilder: Default,
{
    let mut builder = DB::QueryBuilder::default();
    match query.to_sql(&mut builder, &DB::default()) {
        Ok(()) => Some(diesel::query_builder::QueryBuilder::finish(builder)),
        Err(error) => {
            tracing::debug!(%error, "could not render a statement to classify it");
            None
        }
    }
}
