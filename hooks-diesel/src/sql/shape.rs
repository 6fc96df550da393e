//! The shape of a statement: which write it is, to which table, and where
//! its clauses are, found at the top level of its tokens. Only the shapes
//! Diesel's query builder writes (and raw SQL written the same way) are
//! recognised; anything else is `Other`, and `written_tables` says which
//! tables it may write anywhere in its text.

use std::ops::Range;

use super::scan::{first_tokens, tokens, Dialect, Kind, Lexing, ScanError, Token};
use super::top::{unquote, Top};

/// A name as written: its text (unquoted) and whether it was quoted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub struct Name {
    /// The name without its quotes.
    pub text: String,
    /// Whether it was quoted.
    pub quoted: bool,
}

/// A table as a statement names it: `t`, `"t"`, `s.t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableRef {
    /// What qualifies the name (a schema, a database), in order; empty
    /// for an unqualified name.
    pub qualifier: Vec<Name>,
    pub name: Name,
}

impl std::fmt::Display for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in &self.qualifier {
            write!(f, "{}.", part.text)?;
        }
        f.write_str(&self.name.text)
    }
}

/// A scanned statement: its text, tokens and shape.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub sql: String,
    pub tokens: Vec<Token>,
    pub shape: Shape,
}

/// Token ranges (indices into `Parsed::tokens`).
pub(crate) type Clause = Range<usize>;

/// What a statement does.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `INSERT INTO t ...` (and its `OR`, `IGNORE`, `REPLACE` and conflict
    /// forms).
    Insert(Insert),
    /// `UPDATE t SET .. [WHERE ..] [RETURNING ..]`.
    Update(Update),
    /// `DELETE FROM t [WHERE ..] [RETURNING ..]`.
    Delete(Delete),
    /// Anything else: reads, DDL, writes of other shapes.
    Other,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Update {
    pub table: String,
    pub target: TableRef,
    pub set: Clause,
    pub filter: Option<Clause>,
    pub returning: Option<Clause>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Delete {
    pub table: String,
    pub target: TableRef,
    pub filter: Option<Clause>,
    pub returning: Option<Clause>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Insert {
    pub table: String,
    pub target: TableRef,
    /// Plain, or what happens on a conflict.
    pub form: InsertForm,
    /// Everything before `RETURNING`.
    pub body: Clause,
    pub returning: Option<Clause>,
    /// The column list, unquoted, when there is one.
    pub columns: Option<Vec<String>>,
    /// The index of the token closing the column list.
    pub columns_end: Option<usize>,
    /// The tokens of each name in the column list, as written (empty
    /// without one).
    pub column_items: Vec<Clause>,
    /// The `VALUES` list; `None` for `SELECT` and `DEFAULT VALUES`
    /// sources.
    pub values: Option<Values>,
    /// The columns of `ON CONFLICT (a, b)`, unquoted, when the statement
    /// names its conflict target that way.
    pub conflict_target: Option<Vec<String>>,
}

/// `<head: INSERT .. VALUES> <rows, comma-separated> <tail: ON CONFLICT ..>`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Values {
    pub head: Clause,
    pub rows: Vec<Row>,
    pub tail: Clause,
}

/// One row of a `VALUES` list: its tokens, parentheses included, and its
/// values.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub tokens: Clause,
    pub values: Vec<Value>,
    /// The tokens of each value.
    pub cells: Vec<Clause>,
}

/// What an `INSERT` does on a conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InsertForm {
    /// Fails on a conflict.
    Plain,
    /// Skips conflicting rows; `.0` names the form as written.
    Ignore(&'static str),
    /// Updates or replaces conflicting rows; `.0` names the form.
    Upsert(&'static str),
}

/// One value of a `VALUES` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// A lone placeholder.
    Bind(usize),
    /// `DEFAULT`.
    Default,
    /// Anything else.
    Expr,
}

/// Scans `sql`; `Err` when its text cannot be scanned faithfully.
pub(crate) fn parse(sql: String, lexing: impl Into<Lexing>) -> Result<Parsed, ScanError> {
    let tokens = tokens(&sql, lexing)?;
    let shape = Top {
        sql: &sql,
        tokens: &tokens,
    }
    .shape();
    Ok(Parsed { sql, tokens, shape })
}

/// The table an `INSERT`, `UPDATE` or `DELETE` names first, read from the
/// first tokens only: enough to know that a statement writes a table
/// without hooks, whatever its length. `None` also for text whose
/// lexing depends on the session's settings.
pub(crate) fn first_target(sql: &str, dialect: Dialect) -> Option<String> {
    if !Lexing::settles(dialect, sql) {
        return None;
    }
    let tokens = first_tokens(sql, dialect, 16).ok()?;
    let top = Top {
        sql,
        tokens: &tokens,
    };
    // The name must stand where the plain form has it (`UPDATE ONLY t`,
    // `UPDATE IGNORE t`, `DELETE QUICK FROM t` name a modifier there).
    let (at, next): (usize, &[&str]) = if top.is(0, "UPDATE") {
        (1, &["SET"])
    } else if top.is(0, "DELETE") && top.is(1, "FROM") {
        (2, &["WHERE", "RETURNING"])
    } else if top.is(0, "INSERT") && top.is(1, "INTO") {
        (2, &["VALUES", "SELECT", "DEFAULT"])
    } else {
        return None;
    };
    let (name, after) = top.name(at)?;
    let plain = top.tokens.len() == after
        || top.punct(after) == Some(b'(')
        || next.iter().any(|w| top.is(after, w));
    plain.then_some(name)
}

impl Parsed {
    /// The number of binds the statement's placeholders refer to.
    pub(crate) fn bind_count(&self) -> usize {
        self.tokens
            .iter()
            .filter_map(|t| match t.kind {
                Kind::Bind(i) => Some(i + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The text from the first to the last token of `clause`.
    pub(crate) fn text(&self, clause: &Clause) -> &str {
        match (self.tokens.get(clause.start), clause.end.checked_sub(1)) {
            (Some(first), Some(last)) if clause.start < clause.end => {
                &self.sql[first.span.start..self.tokens[last].span.end]
            }
            _ => "",
        }
    }

    /// The assignments of a `SET` clause: each column, unquoted, and the
    /// tokens of its expression; `None` when an item is not `column =
    /// expression`.
    pub(crate) fn assignments(&self, set: &Clause) -> Option<Vec<(String, Clause)>> {
        let top = Top {
            sql: &self.sql,
            tokens: &self.tokens,
        };
        if set.is_empty() {
            return None;
        }
        top.list(set.start, set.end, |top, item| {
            let (column, after) = top.name(item.start)?;
            (top.punct(after) == Some(b'=') && after + 1 < item.end)
                .then(|| (column, after + 1..item.end))
        })
    }

    /// The names (words and quoted names, unquoted) among the tokens of
    /// `clause`.
    pub(crate) fn names_in(&self, clause: &Clause) -> impl Iterator<Item = String> + '_ {
        self.tokens[clause.clone()]
            .iter()
            .filter_map(|t| self.name(t))
    }

    /// Token `t` as a name: a word as written, a quoted name unquoted;
    /// `None` for other tokens.
    pub(crate) fn name(&self, t: &Token) -> Option<String> {
        let text = &self.sql[t.span.clone()];
        match t.kind {
            Kind::Word => Some(text.to_string()),
            Kind::Quoted => Some(unquote(text)),
            _ => None,
        }
    }

    /// Whether token `i` is the punctuation `p`.
    pub(crate) fn is_punct(&self, i: usize, p: u8) -> bool {
        self.tokens.get(i).is_some_and(|t| t.kind == Kind::Punct(p))
    }

    /// Token `i` as an upper-case keyword, when it is a word.
    pub(crate) fn word_at(&self, i: usize) -> Option<String> {
        let t = self.tokens.get(i)?;
        (t.kind == Kind::Word).then(|| self.sql[t.span.clone()].to_ascii_uppercase())
    }

    /// The tables the tokens `range` may write (see
    /// [`written_tables`](Self::written_tables)).
    pub(crate) fn written_tables_in(&self, range: &Clause) -> Vec<TableRef> {
        Top {
            sql: &self.sql,
            tokens: self.tokens.get(range.clone()).unwrap_or_default(),
        }
        .written_tables()
    }

    /// The tables the statement may write, wherever in its text (CTEs,
    /// several statements, comments removed).
    #[cfg(test)]
    pub(crate) fn written_tables(&self) -> Vec<TableRef> {
        Top {
            sql: &self.sql,
            tokens: &self.tokens,
        }
        .written_tables()
    }
}

#[cfg(test)]
mod tests;
