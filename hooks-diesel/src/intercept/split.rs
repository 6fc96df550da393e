//! An ordinary `INSERT .. VALUES` over the bind limit on a backend whose
//! captured binds are sent whole (SQLite): written as several statements
//! within the limit, each some of its rows with their binds, in one
//! transaction (all or nothing), each routed as an insert of its own.
//! Elsewhere the insert route re-sends single binds in chunks itself.

use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::insert::insert_rows;
use super::route::{capture, unsupported, Request, Routed, Want};
use crate::backend::{Capture, HookBackend};
use crate::connection::{HookedConnection, InnerConnection};
use crate::error::{Error, Result};
use crate::query::Writable;
use crate::sql::{Insert, Kind, Parsed, Shape};

/// Whether `parsed` must be written in parts.
pub(super) fn needed<DB: HookBackend>(parsed: &Parsed) -> bool {
    !DB::SPLITS_BINDS && parsed.bind_count() > DB::BIND_LIMIT
}

/// One part: its text and the indexes of the original's binds it sends,
/// in its order.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Part {
    pub sql: String,
    pub binds: Vec<usize>,
}

/// The parts of `insert`, each with at most `rows_per_part` rows and
/// `limit` binds; `None` when its text cannot be cut so (no `VALUES`
/// list, numbered placeholders, a single row over the limit).
pub(super) fn parts(
    parsed: &Parsed,
    insert: &Insert,
    limit: usize,
    rows_per_part: usize,
) -> Option<Vec<Part>> {
    let values = insert.values.as_ref()?;
    let (first, last) = (values.rows.first()?, values.rows.last()?);
    // Plain `?` placeholders bind in the order they are written, so a
    // part's binds are its placeholders' in text order.
    let plain = parsed.tokens.iter().all(|t| match t.kind {
        Kind::Bind(_) => &parsed.sql[t.span.clone()] == "?",
        _ => true,
    });
    if !plain {
        return None;
    }
    let binds_in = |tokens: std::ops::Range<usize>| -> Vec<usize> {
        parsed.tokens[tokens]
            .iter()
            .filter_map(|t| match t.kind {
                Kind::Bind(i) => Some(i),
                _ => None,
            })
            .collect()
    };
    let head_end = first.tokens.start;
    let tail_start = last.tokens.end;
    let head = binds_in(0..head_end);
    let tail = binds_in(tail_start..parsed.tokens.len());
    let room = limit.checked_sub(head.len() + tail.len())?;
    let start_of = |token: usize| parsed.tokens[token].span.start;
    let end_of = |token: usize| parsed.tokens[token - 1].span.end;
    let (before, after) = (
        &parsed.sql[..start_of(head_end)],
        &parsed.sql[end_of(tail_start)..],
    );
    let mut parts = Vec::new();
    let mut rows = values.rows.iter().peekable();
    while rows.peek().is_some() {
        let mut sql = before.to_string();
        let mut binds = head.clone();
        let mut taken = 0;
        while let Some(row) = rows.peek() {
            let row_binds = binds_in(row.tokens.clone());
            if taken == rows_per_part.max(1) || binds.len() - head.len() + row_binds.len() > room {
                break;
            }
            if taken > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&parsed.sql[start_of(row.tokens.start)..end_of(row.tokens.end)]);
            binds.extend(row_binds);
            taken += 1;
            rows.next();
        }
        if taken == 0 {
            return None;
        }
        sql.push_str(after);
        binds.extend(&tail);
        parts.push(Part { sql, binds });
    }
    Some(parts)
}

/// Writes `insert` in parts; see the module's documentation.
pub(super) fn insert_in_parts<M: Writable<C::Backend>, C: InnerConnection>(
    conn: &mut HookedConnection<C>,
    request: &Request<'_, C::Backend>,
    insert: &Insert,
) -> Result<Routed<C::Backend>> {
    let limit = <C::Backend as HookBackend>::BIND_LIMIT;
    let refuse = |why: &str| unsupported::<M, C>(&insert.table, "INSERT over the bind limit", why);
    if request.want == Want::Rows {
        return Err(refuse(&format!(
            "its RETURNING rows would be more than {limit} binds to send back; \
             use bulk_create, or insert fewer rows per statement"
        )));
    }
    let rows_per_part = conn.config().chunk_size;
    let parts = parts(request.parsed, insert, limit, rows_per_part).ok_or_else(|| {
        refuse(&format!(
            "only a VALUES list with `?` placeholders and rows under {limit} binds each \
             can be written in parts"
        ))
    })?;
    let binds = capture::<M, C>(conn, request, &insert.table)?;
    let parts: Vec<(Part, PartStatement<C::Backend>)> = parts
        .into_iter()
        .map(|part| {
            let binds = <C::Backend as Capture>::select_binds(&binds, &part.binds)
                .ok_or_else(|| refuse("its bound values cannot be taken apart exactly"))?;
            let statement = PartStatement {
                sql: part.sql.clone(),
                binds,
            };
            Ok((part, statement))
        })
        .collect::<Result<_>>()?;
    let span = tracing::debug_span!("insert in parts", parts = parts.len());
    let _entered = span.enter();
    diesel::Connection::transaction(conn, |conn| {
        let mut count = 0;
        for (part, statement) in &parts {
            let (lexing, _) = conn.lexing_for(&part.sql)?;
            let parsed = crate::sql::parse(part.sql.clone(), lexing)
                .map_err(|why| Error::Invalid(format!("a part of an insert: {why:?}")))?;
            let Shape::Insert(insert) = &parsed.shape else {
                return Err(Error::Invalid(
                    "a part of an insert is not an insert".into(),
                ));
            };
            let request = Request {
                query: statement,
                parsed: &parsed,
                cacheable: false,
                want: Want::Count,
            };
            count += match insert_rows::<M, C>(conn, &request, insert)? {
                Routed::Count(n) => n,
                Routed::Unhooked => conn.inner_mut().execute_returning_count(statement)?,
                Routed::Rows(_) => {
                    return Err(Error::Invalid("a part of an insert returned rows".into()))
                }
            };
        }
        Ok(Routed::Count(count))
    })
}

/// A part's text with its binds.
struct PartStatement<DB: HookBackend> {
    sql: String,
    binds: DB::Binds,
}

impl<DB: HookBackend> QueryFragment<DB> for PartStatement<DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(&self.sql);
        DB::push_binds(&self.binds, &mut out)
    }
}

impl<DB: HookBackend> diesel::query_builder::QueryId for PartStatement<DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    fn shaped(sql: &str) -> (Parsed, Insert) {
        let mut parsed = crate::sql::parse(sql.to_string(), Dialect::Sqlite).expect("lexed");
        let Shape::Insert(insert) = std::mem::replace(&mut parsed.shape, Shape::Other) else {
            panic!("not an insert: {sql}");
        };
        (parsed, insert)
    }

    #[test]
    fn rows_go_to_parts_within_the_limit_with_their_binds() {
        let (parsed, insert) = shaped(
            "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, 1), (?, ?), (?, ?) RETURNING `t`.`a`",
        );
        let cut = parts(&parsed, &insert, 4, 100).expect("parts");
        assert_eq!(
            cut,
            [
                Part {
                    sql: "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, 1) RETURNING `t`.`a`"
                        .into(),
                    binds: vec![0, 1, 2],
                },
                Part {
                    sql: "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, ?) RETURNING `t`.`a`"
                        .into(),
                    binds: vec![3, 4, 5, 6],
                },
            ]
        );
        let by_rows = parts(&parsed, &insert, 100, 3).expect("parts");
        assert_eq!(by_rows.len(), 2);
        assert_eq!(by_rows[1].binds, [5, 6]);
    }

    #[test]
    fn the_tail_binds_go_with_every_part() {
        let (parsed, insert) = shaped(
            "INSERT INTO `t` (`a`) VALUES (?), (?), (?) ON CONFLICT (`a`) DO UPDATE SET `b` = ?",
        );
        let cut = parts(&parsed, &insert, 3, 100).expect("parts");
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0].binds, [0, 1, 3]);
        assert_eq!(cut[1].binds, [2, 3]);
        assert!(cut[1]
            .sql
            .ends_with("VALUES (?) ON CONFLICT (`a`) DO UPDATE SET `b` = ?"));
    }

    #[test]
    fn text_that_cannot_be_cut_is_not() {
        let (parsed, insert) = shaped("INSERT INTO `t` (`a`, `b`) VALUES (?1, ?2), (?3, ?4)");
        assert_eq!(
            parts(&parsed, &insert, 2, 100),
            None,
            "numbered placeholders"
        );
        let (parsed, insert) = shaped("INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, ?)");
        assert_eq!(
            parts(&parsed, &insert, 1, 100),
            None,
            "a row over the limit"
        );
        let (parsed, insert) = shaped("INSERT INTO `t` (`a`) SELECT ?");
        assert_eq!(parts(&parsed, &insert, 1, 100), None, "no VALUES list");
    }
}
