//! The records an intercepted `INSERT .. VALUES` would write, read from
//! its binds on the client where that is exact, so that showing them to
//! BEFORE_CREATE hooks costs no round trip (`preview` asks the database
//! where it is not).
//!
//! A row is read so when every field it gives is a lone bind of the
//! field's SQL type whose decoded value binds back to the same bytes, and
//! every field it leaves to the database falls back to a constant (a
//! literal default, a placeholder for a generated key). The fallbacks come
//! from one record the database previews once per connection and model
//! (the base), and each row starts from a copy of it.

use std::any::{Any, TypeId};
use std::cell::OnceCell;
use std::sync::Arc;

use super::preview::{Fields, RowsPreview};
use super::resend::InsertChunk;
use crate::backend::Capture;
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::Result;
use crate::query::Writable;
use crate::sql::{Insert, Piece, Value};
use hooks_core::HookModel;

/// Where a connection keeps the bases of the models whose inserts it
/// read on the client: by model and which fields fall back.
pub(crate) type BaseKey = (TypeId, Vec<bool>);

/// Reading the rows of one insert on the client.
pub(super) struct Decoding {
    /// Per field: whether rows of the statement leave it to the database.
    fallback: Vec<bool>,
    /// The base: known from the connection, or previewed on first use
    /// (inside the statement's savepoint, like every preview).
    base: OnceCell<Arc<dyn Any + Send + Sync>>,
    /// Whether the connection knew the base (else one previewed here is
    /// kept by it).
    known: bool,
}

impl Decoding {
    /// How the rows of `insert` are read on the client; `None` where they
    /// cannot be: the backend keeps no bytes to decode, a row gives a
    /// field an expression, or a field a row leaves to the database has
    /// no constant fallback.
    pub(super) fn new<M, C>(
        conn: &mut HookedConnection<C>,
        insert: &Insert,
        fields: &Fields,
    ) -> Option<Self>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        if !<C::Backend as Capture>::DECODES_BINDS {
            return None;
        }
        let rows = &insert.values.as_ref()?.rows;
        let mut fallback: Vec<bool> = fields.slots.iter().map(Option::is_none).collect();
        for row in rows {
            for (field, slot) in fields.slots.iter().enumerate() {
                match slot.and_then(|slot| row.values.get(slot)) {
                    Some(Value::Bind(_)) | None => {}
                    Some(Value::Default) => fallback[field] = true,
                    Some(Value::Expr) => return None,
                }
            }
        }
        let constant = (0..M::FIELDS.len()).all(|field| {
            if fallback[field] {
                fields.constant[field]
            } else {
                M::zero_sql(field).is_some()
            }
        });
        if !constant {
            return None;
        }
        let base = OnceCell::new();
        if let Some(known) = conn
            .interception
            .bases
            .get(&(TypeId::of::<M>(), fallback.clone()))
        {
            let _ = base.set(Arc::clone(known));
        }
        Some(Decoding {
            known: base.get().is_some(),
            fallback,
            base,
        })
    }

    /// The records of `chunk`, in the caller's order; `None` when a value
    /// does not read back exactly (the caller then asks the database).
    pub(super) fn records<M, C>(
        &self,
        inner: &mut C,
        insert: &Insert,
        fields: &Fields,
        casts: &[Option<&'static str>],
        chunk: &InsertChunk,
        binds: &<C::Backend as Capture>::Binds,
    ) -> Result<Option<Vec<M>>>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        let Some(base) = self.base::<M, C>(inner, fields, casts, binds)? else {
            return Ok(None);
        };
        let rows = insert.values.as_ref().map_or(&[][..], |v| &v.rows[..]);
        let lookup = inner.metadata_lookup();
        let mut records = Vec::with_capacity(chunk.rows.len());
        for row in rows.get(chunk.rows.clone()).unwrap_or_default() {
            let mut record = base.clone();
            for (field, slot) in fields.slots.iter().enumerate() {
                let bind = match slot.and_then(|slot| row.values.get(slot)) {
                    Some(Value::Bind(bind)) => *bind,
                    _ => continue,
                };
                if !<C::Backend as Capture>::decode_bind(binds, bind, field, &mut record, lookup) {
                    return Ok(None);
                }
            }
            records.push(record);
        }
        Ok(Some(records))
    }

    /// The base record, previewed by the database the first time.
    fn base<M, C>(
        &self,
        inner: &mut C,
        fields: &Fields,
        casts: &[Option<&'static str>],
        binds: &<C::Backend as Capture>::Binds,
    ) -> Result<Option<M>>
    where
        C: InnerConnection,
        M: Writable<C::Backend>,
    {
        if let Some(known) = self.base.get() {
            return Ok(known.downcast_ref::<M>().cloned());
        }
        let pieces = (0..M::FIELDS.len())
            .map(|field| match self.fallback[field] {
                true => fields.fallback[field].clone(),
                false => M::zero_sql(field).map(Piece::literal),
            })
            .collect::<Option<Vec<Piece>>>();
        let Some(pieces) = pieces else {
            return Ok(None);
        };
        let preview = RowsPreview::<C::Backend>::of_pieces(vec![pieces], casts, binds);
        let Some(base) = M::load_rows_of(inner, &preview)?.into_iter().next() else {
            return Ok(None);
        };
        let _ = self.base.set(Arc::new(base.clone()));
        Ok(Some(base))
    }

    /// Keeps a base this statement previewed on the connection, for the
    /// statements after it.
    pub(super) fn remember<M: HookModel, C: InnerConnection>(
        &self,
        conn: &mut HookedConnection<C>,
    ) {
        if self.known {
            return;
        }
        if let Some(base) = self.base.get() {
            conn.interception
                .bases
                .insert((TypeId::of::<M>(), self.fallback.clone()), Arc::clone(base));
        }
    }
}

/// Whether a default's text is a constant: a literal (a quoted string, a
/// number, `NULL`, `TRUE`, `FALSE`), in parentheses or not, with casts
/// (`'active'::character varying`, `'{}'::text[]`, `'0'::numeric(10,2)`).
/// Anything that calls a function (`now()`, `nextval(..)`) or names
/// something (`CURRENT_TIMESTAMP`) is not.
pub(crate) fn is_constant(expression: &str) -> bool {
    let mut e = expression.trim();
    while let Some(inner) = e.strip_prefix('(').and_then(|e| e.strip_suffix(')')) {
        e = inner.trim();
    }
    let rest = if let Some(quoted) = e.strip_prefix('\'') {
        let mut chars = quoted.char_indices().peekable();
        let mut end = None;
        while let Some((at, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                    chars.next();
                } else {
                    end = Some(at + 1);
                    break;
                }
            }
        }
        match end {
            Some(end) => &quoted[end..],
            None => return false,
        }
    } else {
        let head = e
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(e.len());
        let (literal, rest) = e.split_at(head);
        let word = ["NULL", "TRUE", "FALSE"]
            .iter()
            .find(|w| e.len() >= w.len() && e[..w.len()].eq_ignore_ascii_case(w));
        match word {
            Some(w) if literal.is_empty() => &e[w.len()..],
            _ if literal.parse::<f64>().is_ok() => rest,
            _ => return false,
        }
    };
    rest.split("::").enumerate().all(|(i, cast)| {
        if i == 0 {
            return cast.trim().is_empty();
        }
        let cast = cast.trim().trim_end_matches("[]");
        let name = match cast.find('(') {
            Some(open) => {
                let args = &cast[open..];
                let digits = args
                    .strip_prefix('(')
                    .and_then(|a| a.strip_suffix(')'))
                    .is_some_and(|a| a.split(',').all(|n| n.trim().parse::<u32>().is_ok()));
                if !digits {
                    return false;
                }
                &cast[..open]
            }
            None => cast,
        };
        !name.trim().is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ' ' | '"' | '.'))
    })
}

#[cfg(test)]
mod tests {
    use super::is_constant;

    #[test]
    fn literals_and_their_casts_are_constants() {
        for constant in [
            "0",
            "-1.5",
            "NULL",
            "false",
            "'active'",
            "'active'::character varying",
            "'it''s'::text",
            "'{}'::text[]",
            "'0'::numeric(10,2)",
            "('x'::\"Status\")",
            "'2020-01-01 00:00:00'::timestamp without time zone",
        ] {
            assert!(is_constant(constant), "{constant}");
        }
    }

    #[test]
    fn calls_and_names_are_not() {
        for expression in [
            "now()",
            "CURRENT_TIMESTAMP",
            "current_timestamp()",
            "nextval('accounts_id_seq'::regclass)",
            "gen_random_uuid()",
            "'a' || 'b'",
            "1 + 2",
            "'unterminated",
            "'x'::text || 'y'",
            "NULLIF(1, 1)",
            "",
        ] {
            assert!(!is_constant(expression), "{expression}");
        }
    }
}
