//! The shape of a statement: which write it is, to which table, and where
//! its clauses are, found at the top level of its tokens. Only the shapes
//! Diesel's query builder writes (and raw SQL written the same way) are
//! recognised; anything else is `Other`, and `written_tables` says which
//! tables it may write anywhere in its text.

use std::ops::Range;

use super::scan::{first_tokens, tokens, Dialect, Kind, Lexing, ScanError, Token};

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
    pub fn bind_count(&self) -> usize {
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
    #[cfg(test)]
    pub fn text(&self, clause: &Clause) -> &str {
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
    pub fn assignments(&self, set: &Clause) -> Option<Vec<(String, Clause)>> {
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
    pub fn names_in(&self, clause: &Clause) -> impl Iterator<Item = String> + '_ {
        self.tokens[clause.clone()].iter().filter_map(|t| {
            let text = &self.sql[t.span.clone()];
            match t.kind {
                Kind::Word => Some(text.to_string()),
                Kind::Quoted => Some(unquote(text)),
                _ => None,
            }
        })
    }

    /// Whether token `i` is the punctuation `p`.
    pub fn is_punct(&self, i: usize, p: u8) -> bool {
        self.tokens.get(i).is_some_and(|t| t.kind == Kind::Punct(p))
    }

    /// Token `i` as an upper-case keyword, when it is a word.
    pub fn word_at(&self, i: usize) -> Option<String> {
        let t = self.tokens.get(i)?;
        (t.kind == Kind::Word).then(|| self.sql[t.span.clone()].to_ascii_uppercase())
    }

    /// The tables the tokens `range` may write (see
    /// [`written_tables`](Self::written_tables)).
    pub fn written_tables_in(&self, range: &Clause) -> Vec<TableRef> {
        Top {
            sql: &self.sql,
            tokens: self.tokens.get(range.clone()).unwrap_or_default(),
        }
        .written_tables()
    }

    /// The tables the statement may write, wherever in its text (CTEs,
    /// several statements, comments removed).
    #[cfg(test)]
    pub fn written_tables(&self) -> Vec<TableRef> {
        Top {
            sql: &self.sql,
            tokens: &self.tokens,
        }
        .written_tables()
    }
}

struct Top<'a> {
    sql: &'a str,
    tokens: &'a [Token],
}

impl Top<'_> {
    fn word(&self, i: usize) -> Option<&str> {
        let t = self.tokens.get(i)?;
        (t.kind == Kind::Word).then(|| &self.sql[t.span.clone()])
    }

    fn is(&self, i: usize, keyword: &str) -> bool {
        self.word(i)
            .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
    }

    fn punct(&self, i: usize) -> Option<u8> {
        match self.tokens.get(i)?.kind {
            Kind::Punct(p) => Some(p),
            _ => None,
        }
    }

    fn depth(&self, i: usize) -> u32 {
        self.tokens.get(i).map_or(0, |t| t.depth)
    }

    /// A possibly qualified name at `i`: its last part, unquoted, and the
    /// index after it.
    fn name(&self, mut i: usize) -> Option<(String, usize)> {
        loop {
            let t = self.tokens.get(i)?;
            let text = &self.sql[t.span.clone()];
            let part = match t.kind {
                Kind::Word => text.to_string(),
                Kind::Quoted => unquote(text),
                _ => return None,
            };
            if self.punct(i + 1) == Some(b'.') {
                i += 2;
            } else {
                return Some((part, i + 1));
            }
        }
    }

    /// A possibly qualified table name at `i`, and the index after it.
    fn table(&self, mut i: usize) -> Option<(TableRef, usize)> {
        let mut parts: Vec<Name> = Vec::new();
        loop {
            let t = self.tokens.get(i)?;
            let text = &self.sql[t.span.clone()];
            parts.push(match t.kind {
                Kind::Word => Name {
                    text: text.to_string(),
                    quoted: false,
                },
                Kind::Quoted => Name {
                    text: unquote(text),
                    quoted: true,
                },
                _ => return None,
            });
            if self.punct(i + 1) == Some(b'.') {
                i += 2;
            } else {
                break;
            }
        }
        let name = parts.pop()?;
        Some((
            TableRef {
                qualifier: parts,
                name,
            },
            i + 1,
        ))
    }

    /// The end of the first statement: its top-level `;`, which must be
    /// the last token, or the end.
    fn single_end(&self) -> Option<usize> {
        match self
            .tokens
            .iter()
            .position(|t| t.depth == 0 && t.kind == Kind::Punct(b';'))
        {
            Some(i) if i + 1 == self.tokens.len() => Some(i),
            Some(_) => None,
            None => Some(self.tokens.len()),
        }
    }

    /// The first top-level keyword of `words` in `from..to`.
    fn find(&self, from: usize, to: usize, words: &[&str]) -> Option<usize> {
        (from..to).find(|&i| self.depth(i) == 0 && words.iter().any(|w| self.is(i, w)))
    }

    fn shape(&self) -> Shape {
        let Some(end) = self.single_end() else {
            return Shape::Other;
        };
        let shape = if self.is(0, "UPDATE") {
            self.update(end).map(Shape::Update)
        } else if self.is(0, "DELETE") {
            self.delete(end).map(Shape::Delete)
        } else if self.is(0, "INSERT") || self.is(0, "REPLACE") {
            self.insert(end).map(Shape::Insert)
        } else {
            None
        };
        shape.unwrap_or(Shape::Other)
    }

    /// Whether a top-level word in `range` starts a clause the shape does
    /// not know (`FROM` after `IS DISTINCT` is an operator).
    fn has_foreign_clause(&self, range: Clause, foreign: &[&str]) -> bool {
        range.into_iter().any(|i| {
            self.depth(i) == 0
                && foreign.iter().any(|w| self.is(i, w))
                && !(self.is(i, "FROM") && i > 0 && self.is(i - 1, "DISTINCT"))
        })
    }

    /// `WHERE` and `RETURNING` after `from`: their ranges and where the
    /// part before them ends.
    fn tail(&self, from: usize, end: usize) -> (usize, Option<Clause>, Option<Clause>) {
        let returning = self.find(from, end, &["RETURNING"]);
        let before_returning = returning.unwrap_or(end);
        let filter = self.find(from, before_returning, &["WHERE"]);
        (
            filter.unwrap_or(before_returning),
            filter.map(|w| w + 1..before_returning),
            returning.map(|r| r + 1..end),
        )
    }

    fn update(&self, end: usize) -> Option<Update> {
        let (target, after) = self.table(1)?;
        if !self.is(after, "SET") {
            return None;
        }
        let (set_end, filter, returning) = self.tail(after + 1, end);
        if self.has_foreign_clause(after + 1..end, &["FROM", "ORDER", "LIMIT", "JOIN"]) {
            return None;
        }
        Some(Update {
            table: target.name.text.clone(),
            target,
            set: after + 1..set_end,
            filter,
            returning,
        })
    }

    fn delete(&self, end: usize) -> Option<Delete> {
        if !self.is(1, "FROM") {
            return None;
        }
        let (target, after) = self.table(2)?;
        let (rest, filter, returning) = self.tail(after, end);
        if rest != after || self.has_foreign_clause(after..end, &["USING", "ORDER", "LIMIT"]) {
            return None;
        }
        Some(Delete {
            table: target.name.text.clone(),
            target,
            filter,
            returning,
        })
    }

    fn insert(&self, end: usize) -> Option<Insert> {
        let mut i = 1;
        let mut form = InsertForm::Plain;
        if self.is(0, "REPLACE") {
            form = InsertForm::Upsert("REPLACE INTO");
        } else if self.is(1, "OR") {
            form = match self.word(2)?.to_ascii_uppercase().as_str() {
                "IGNORE" => InsertForm::Ignore("INSERT OR IGNORE"),
                "REPLACE" => InsertForm::Upsert("INSERT OR REPLACE"),
                // ABORT is what a plain INSERT does; FAIL and ROLLBACK
                // keep partial writes or end the caller's transaction.
                "ABORT" => InsertForm::Plain,
                _ => return None,
            };
            i = 3;
        } else if self.is(1, "IGNORE") {
            form = InsertForm::Ignore("INSERT IGNORE");
            i = 2;
        }
        // MySQL lets `INTO` out.
        if self.is(i, "INTO") {
            i += 1;
        } else if form != InsertForm::Plain || i != 1 {
            return None;
        }
        let (target, mut at) = self.table(i)?;
        let returning = self.find(at, end, &["RETURNING"]);
        let body_end = returning.unwrap_or(end);
        let mut columns_end = None;
        let columns = if self.punct(at) == Some(b'(') {
            let (names, close) = self.names(at)?;
            at = close + 1;
            columns_end = Some(close);
            Some(names)
        } else {
            None
        };
        let conflict = (at..body_end)
            .find(|&j| self.depth(j) == 0 && self.is(j, "ON") && self.conflict_clause(j + 1));
        let source_end = conflict.unwrap_or(body_end);
        let mut conflict_target = None;
        if let Some(on) = conflict {
            if form != InsertForm::Plain {
                return None;
            }
            form = if self.is(on + 1, "DUPLICATE") {
                InsertForm::Upsert("ON DUPLICATE KEY UPDATE")
            } else {
                let action = self.find(on + 1, body_end, &["DO"])?;
                if self.punct(on + 2) == Some(b'(') {
                    conflict_target = self.names(on + 2).map(|(names, _)| names);
                }
                if self.is(action + 1, "NOTHING") {
                    InsertForm::Ignore("ON CONFLICT DO NOTHING")
                } else {
                    InsertForm::Upsert("ON CONFLICT DO UPDATE")
                }
            };
        }
        let values = if self.is(at, "VALUES") {
            Some(Values {
                head: 0..at + 1,
                rows: self.rows(at + 1, source_end)?,
                tail: source_end..body_end,
            })
        } else if (self.is(at, "DEFAULT") && self.is(at + 1, "VALUES"))
            || self.is(at, "SELECT")
            || self.is(at, "WITH")
            || self.punct(at) == Some(b'(')
        {
            None
        } else {
            return None;
        };
        Some(Insert {
            table: target.name.text.clone(),
            target,
            form,
            body: 0..body_end,
            returning: returning.map(|r| r + 1..end),
            columns,
            columns_end,
            values,
            conflict_target,
        })
    }

    /// The names listed in the parentheses opening at `open`, unquoted,
    /// and the index of the closing one.
    fn names(&self, open: usize) -> Option<(Vec<String>, usize)> {
        let close = self.closing(open)?;
        let names = self.list(open + 1, close, |top, r| {
            top.name(r.start)
                .filter(|(_, after)| *after == r.end)
                .map(|(n, _)| n)
        })?;
        Some((names, close))
    }

    fn conflict_clause(&self, i: usize) -> bool {
        self.is(i, "CONFLICT") || (self.is(i, "DUPLICATE") && self.is(i + 1, "KEY"))
    }

    /// The index of the `)` closing the `(` at `open`.
    fn closing(&self, open: usize) -> Option<usize> {
        let depth = self.depth(open);
        (open + 1..self.tokens.len())
            .find(|&j| self.depth(j) == depth && self.punct(j) == Some(b')'))
    }

    /// Splits `from..to` (inside one pair of parentheses, or at the top
    /// level) at its commas and maps each item.
    fn list<T>(
        &self,
        from: usize,
        to: usize,
        mut item: impl FnMut(&Self, Clause) -> Option<T>,
    ) -> Option<Vec<T>> {
        let depth = self.depth(from.min(to.saturating_sub(1)));
        let mut out = Vec::new();
        let mut start = from;
        for j in from..=to {
            if j == to || (self.depth(j) == depth && self.punct(j) == Some(b',')) {
                if start == j {
                    return None;
                }
                out.push(item(self, start..j)?);
                start = j + 1;
            }
        }
        Some(out)
    }

    /// `(..), (..)` from `from` to `to`.
    fn rows(&self, from: usize, to: usize) -> Option<Vec<Row>> {
        let mut rows = Vec::new();
        let mut at = from;
        while at < to {
            if self.punct(at) != Some(b'(') {
                return None;
            }
            let close = self.closing(at)?;
            let cells = self.list(at + 1, close, |_, r| Some(r))?;
            rows.push(Row {
                tokens: at..close + 1,
                values: cells.iter().map(|c| self.value(c.clone())).collect(),
                cells,
            });
            at = close + 1;
            if at < to {
                if self.punct(at) != Some(b',') {
                    return None;
                }
                at += 1;
            }
        }
        (!rows.is_empty()).then_some(rows)
    }

    fn value(&self, item: Clause) -> Value {
        if item.len() != 1 {
            return Value::Expr;
        }
        match self.tokens[item.start].kind {
            Kind::Bind(b) => Value::Bind(b),
            Kind::Word if self.is(item.start, "DEFAULT") => Value::Default,
            _ => Value::Expr,
        }
    }

    /// Every table an `INSERT`, `UPDATE`, `DELETE`, `REPLACE`, `MERGE`,
    /// `TRUNCATE` or `COPY .. FROM` anywhere in the text writes.
    fn written_tables(&self) -> Vec<TableRef> {
        let mut tables = Vec::new();
        let mut statement_start = true;
        let mut ddl = false;
        for i in 0..self.tokens.len() {
            if self.punct(i) == Some(b';') {
                statement_start = true;
                ddl = false;
                continue;
            }
            if statement_start {
                statement_start = false;
                // Schema changes write no row, but a `CREATE .. AS` may
                // (a data-modifying `WITH`); the body of a function,
                // trigger or rule runs later, not now.
                let definition = (i + 1..i + 6).any(|j| {
                    ["FUNCTION", "PROCEDURE", "TRIGGER", "RULE", "EVENT"]
                        .iter()
                        .any(|w| self.is(j, w))
                });
                ddl = ["DROP", "COMMENT", "GRANT", "REVOKE"]
                    .iter()
                    .any(|w| self.is(i, w))
                    || (["CREATE", "ALTER"].iter().any(|w| self.is(i, w)) && definition);
            }
            if ddl {
                continue;
            }
            let after_keyword = |skip: &[&str], then: Option<&str>| -> Option<usize> {
                let mut j = i + 1;
                while skip.iter().any(|w| self.is(j, w)) {
                    j += 1;
                }
                match then {
                    Some(t) if self.is(j, t) => Some(j + 1),
                    Some(_) => None,
                    None => Some(j),
                }
            };
            let previous = i.checked_sub(1).and_then(|p| self.word(p)).unwrap_or("");
            let modifiers = [
                "LOW_PRIORITY",
                "DELAYED",
                "HIGH_PRIORITY",
                "IGNORE",
                "QUICK",
            ];
            let target = if self.is(i, "INSERT") || self.is(i, "REPLACE") {
                let j = if self.is(i + 1, "OR") { i + 2 } else { i };
                let mut k = j + 1;
                while modifiers.iter().any(|w| self.is(k, w)) {
                    k += 1;
                }
                self.is(k, "INTO").then_some(k + 1)
            } else if self.is(i, "UPDATE") {
                let not_a_write = ["FOR", "KEY", "DO", "NO", "ON", "BEFORE", "AFTER", "OF"];
                if not_a_write.iter().any(|w| previous.eq_ignore_ascii_case(w)) {
                    None
                } else {
                    let j = if self.is(i + 1, "OR") { i + 2 } else { i };
                    let mut k = j + 1;
                    while modifiers.iter().any(|w| self.is(k, w)) || self.is(k, "ONLY") {
                        k += 1;
                    }
                    Some(k)
                }
            } else if self.is(i, "DELETE") {
                if ["ON", "BEFORE", "AFTER", "OF"]
                    .iter()
                    .any(|w| previous.eq_ignore_ascii_case(w))
                {
                    None
                } else {
                    let from = (i + 1..self.tokens.len())
                        .take(8)
                        .find(|&j| self.is(j, "FROM"));
                    // MySQL's `DELETE a FROM a JOIN b ..` names its target
                    // before FROM.
                    if let Some((table, _)) = self.table(i + 1).filter(|_| !self.is(i + 1, "FROM"))
                    {
                        if !modifiers
                            .iter()
                            .any(|w| table.name.text.eq_ignore_ascii_case(w))
                        {
                            tables.push(table);
                        }
                    }
                    from.map(|f| f + 1)
                }
            } else if self.is(i, "MERGE") {
                after_keyword(&[], Some("INTO"))
            } else if self.is(i, "TRUNCATE") {
                after_keyword(&["TABLE", "ONLY"], None)
            } else if self.is(i, "COPY") {
                self.name(i + 1).and_then(|(_, after)| {
                    let from = (after..self.tokens.len())
                        .take_while(|&j| self.depth(j) > 0 || !self.is(j, "TO"))
                        .find(|&j| self.depth(j) == 0 && self.is(j, "FROM"));
                    from.map(|_| i + 1)
                })
            } else if self.is(i, "LOAD") && self.is(i + 1, "DATA") {
                (i + 2..self.tokens.len())
                    .find(|&j| self.is(j, "INTO") && self.is(j + 1, "TABLE"))
                    .map(|j| j + 2)
            } else {
                None
            };
            if let Some((table, _)) = target.and_then(|t| self.table(t)) {
                tables.push(table);
            }
        }
        tables.sort_by_key(ToString::to_string);
        tables.dedup();
        tables
    }
}

/// A quoted name without its quotes, doubled quotes made single.
fn unquote(quoted: &str) -> String {
    let (open, close) = match quoted.as_bytes().first() {
        Some(b'[') => ('[', ']'),
        Some(b'`') => ('`', '`'),
        _ => ('"', '"'),
    };
    let inner = quoted
        .strip_prefix(open)
        .and_then(|s| s.strip_suffix(close))
        .unwrap_or(quoted);
    inner.replace(&format!("{close}{close}"), &close.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str, dialect: Dialect) -> Shape {
        parse(sql.to_string(), dialect).unwrap().shape
    }

    fn clause_text(sql: &str, dialect: Dialect, pick: impl Fn(&Shape) -> Option<Clause>) -> String {
        let parsed = parse(sql.to_string(), dialect).unwrap();
        let clause = pick(&parsed.shape).expect("clause");
        parsed.text(&clause).to_string()
    }

    #[test]
    fn splits_diesel_updates() {
        let sql = r#"UPDATE "accounts" SET "status" = $1, "balance" = ("accounts"."balance" + $2) WHERE ("accounts"."status" = $3) RETURNING "accounts"."id""#;
        let Shape::Update(update) = shape(sql, Dialect::Postgres) else {
            panic!("an update")
        };
        assert_eq!(update.table, "accounts");
        let parsed = parse(sql.to_string(), Dialect::Postgres).unwrap();
        assert_eq!(
            parsed.text(&update.set),
            r#""status" = $1, "balance" = ("accounts"."balance" + $2)"#
        );
        assert_eq!(
            parsed.text(update.filter.as_ref().unwrap()),
            r#"("accounts"."status" = $3)"#
        );
        assert_eq!(
            parsed.text(update.returning.as_ref().unwrap()),
            r#""accounts"."id""#
        );
        assert_eq!(parsed.bind_count(), 3);
        let without_where = "UPDATE `accounts` SET `status` = ?";
        assert!(matches!(
            shape(without_where, Dialect::Mysql),
            Shape::Update(Update {
                filter: None,
                returning: None,
                ..
            })
        ));
        let distinct = "UPDATE t SET a = 1 WHERE (a IS DISTINCT FROM ?)";
        assert!(matches!(shape(distinct, Dialect::Sqlite), Shape::Update(_)));
    }

    #[test]
    fn leaves_unknown_write_shapes_to_the_policy() {
        for sql in [
            "UPDATE accounts a SET x = 1",
            "UPDATE accounts SET x = 1 FROM other WHERE other.id = accounts.id",
            "UPDATE accounts SET x = 1 ORDER BY id LIMIT 3",
            "UPDATE accounts SET x = 1; DELETE FROM accounts",
            "WITH t AS (SELECT 1) UPDATE accounts SET x = 1",
            "DELETE FROM accounts USING other WHERE true",
            "DELETE FROM accounts a WHERE a.id = 1",
            "INSERT OR ROLLBACK INTO accounts (x) VALUES (1)",
        ] {
            assert_eq!(shape(sql, Dialect::Sqlite), Shape::Other, "{sql}");
        }
        assert!(matches!(
            shape("UPDATE accounts SET x = 1;", Dialect::Sqlite),
            Shape::Update(_)
        ));
    }

    #[test]
    fn reads_insert_forms() {
        let sql = "INSERT INTO `accounts` (`owner`, `balance`, `id`) VALUES (?, ?, DEFAULT), (?, ? + 1, ?)";
        let Shape::Insert(insert) = shape(sql, Dialect::Mysql) else {
            panic!("an insert")
        };
        assert_eq!(insert.form, InsertForm::Plain);
        assert_eq!(
            insert.columns.as_deref(),
            Some(&["owner".into(), "balance".into(), "id".into()][..])
        );
        let values = insert.values.expect("a VALUES list");
        assert_eq!(
            values
                .rows
                .iter()
                .map(|r| r.values.clone())
                .collect::<Vec<_>>(),
            [
                vec![Value::Bind(0), Value::Bind(1), Value::Default],
                vec![Value::Bind(2), Value::Expr, Value::Bind(4)],
            ]
        );
        let parsed = parse(sql.to_string(), Dialect::Mysql).unwrap();
        assert_eq!(
            parsed.text(&values.head),
            "INSERT INTO `accounts` (`owner`, `balance`, `id`) VALUES"
        );
        assert_eq!(parsed.text(&values.rows[1].tokens), "(?, ? + 1, ?)");
        assert!(values.tail.is_empty());
        let target = |sql: &str| match parse(sql.to_string(), Dialect::Postgres)
            .ok()
            .map(|p| p.shape)
        {
            Some(Shape::Insert(insert)) => insert.conflict_target,
            _ => None,
        };
        assert_eq!(
            target(
                r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2) ON CONFLICT ("a", "b") DO UPDATE SET "b" = excluded."b""#
            ),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(
            target(
                r#"INSERT INTO "t" ("a") VALUES ($1) ON CONFLICT ON CONSTRAINT "t_a" DO NOTHING"#
            ),
            None
        );
        let forms = [
            (
                r#"INSERT INTO "t" ("a") VALUES ($1) ON CONFLICT DO NOTHING RETURNING "t"."a""#,
                Dialect::Postgres,
                InsertForm::Ignore("ON CONFLICT DO NOTHING"),
            ),
            (
                r#"INSERT INTO "t" ("a") VALUES ($1) ON CONFLICT ("a") DO UPDATE SET "a" = excluded."a""#,
                Dialect::Postgres,
                InsertForm::Upsert("ON CONFLICT DO UPDATE"),
            ),
            (
                "INSERT OR IGNORE INTO `t` (`a`) VALUES (?)",
                Dialect::Sqlite,
                InsertForm::Ignore("INSERT OR IGNORE"),
            ),
            (
                "REPLACE INTO `t` (`a`) VALUES (?)",
                Dialect::Mysql,
                InsertForm::Upsert("REPLACE INTO"),
            ),
            (
                "INSERT IGNORE INTO `t` (`a`) VALUES (?)",
                Dialect::Mysql,
                InsertForm::Ignore("INSERT IGNORE"),
            ),
            (
                "INSERT INTO `t` (`a`) VALUES (?) ON DUPLICATE KEY UPDATE `a` = VALUES(`a`)",
                Dialect::Mysql,
                InsertForm::Upsert("ON DUPLICATE KEY UPDATE"),
            ),
            (
                "INSERT INTO t (a) SELECT b FROM u JOIN v ON u.x = v.x",
                Dialect::Sqlite,
                InsertForm::Plain,
            ),
            (
                "INSERT INTO t DEFAULT VALUES",
                Dialect::Sqlite,
                InsertForm::Plain,
            ),
        ];
        for (sql, dialect, form) in forms {
            match shape(sql, dialect) {
                Shape::Insert(insert) => assert_eq!(insert.form, form, "{sql}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
        let body = clause_text(
            r#"INSERT INTO "t" ("a") VALUES ($1) RETURNING "t"."a""#,
            Dialect::Postgres,
            |s| match s {
                Shape::Insert(i) => Some(i.body.clone()),
                _ => None,
            },
        );
        assert_eq!(body, r#"INSERT INTO "t" ("a") VALUES ($1)"#);
    }

    #[test]
    fn reads_the_first_target_from_the_head_only() {
        let long = format!(
            "INSERT INTO \"accounts\" (\"a\") VALUES {}",
            vec!["($1)"; 1000].join(", ")
        );
        assert_eq!(
            first_target(&long, Dialect::Postgres).as_deref(),
            Some("accounts")
        );
        assert_eq!(
            first_target("/* x */ update `t` set a = 1", Dialect::Mysql).as_deref(),
            Some("t")
        );
        assert_eq!(
            first_target("DELETE FROM public.t WHERE 1", Dialect::Postgres).as_deref(),
            Some("t")
        );
        assert_eq!(
            first_target("INSERT OR IGNORE INTO t VALUES (1)", Dialect::Sqlite),
            None
        );
        for modified in [
            "UPDATE ONLY accounts SET a = 1",
            "UPDATE LOW_PRIORITY accounts SET a = 1",
            "DELETE FROM ONLY accounts WHERE id = 1",
            "UPDATE accounts AS o SET a = 1",
        ] {
            assert_eq!(
                first_target(modified, Dialect::Postgres),
                None,
                "{modified}"
            );
        }
        assert_eq!(first_target("SELECT 1", Dialect::Sqlite), None);
        assert_eq!(
            first_target("WITH x AS (SELECT 1) UPDATE t SET a = 1", Dialect::Sqlite),
            None
        );
    }

    #[test]
    fn finds_writes_anywhere() {
        let names = |tables: Vec<TableRef>| -> Vec<String> {
            tables.iter().map(ToString::to_string).collect()
        };
        let written = |sql: &str| {
            names(
                parse(sql.to_string(), Dialect::Postgres)
                    .unwrap()
                    .written_tables(),
            )
        };
        assert_eq!(written("/* hi */ UPDATE accounts SET x = 1"), ["accounts"]);
        assert_eq!(
            written("-- note\nDELETE FROM public.accounts"),
            ["public.accounts"]
        );
        assert_eq!(
            written("WITH moved AS (DELETE FROM accounts RETURNING *) INSERT INTO archive SELECT * FROM moved"),
            ["accounts", "archive"]
        );
        assert_eq!(
            written("SELECT 1; update \"accounts\" set x = 2"),
            ["accounts"]
        );
        assert_eq!(written("TRUNCATE TABLE accounts"), ["accounts"]);
        assert_eq!(written("COPY accounts (id) FROM STDIN"), ["accounts"]);
        assert!(written("COPY accounts TO STDOUT").is_empty());
        assert!(written("SELECT * FROM accounts FOR UPDATE OF accounts").is_empty());
        assert!(written("SELECT * FROM accounts FOR NO KEY UPDATE").is_empty());
        assert!(written(
            "CREATE TABLE t (id INT REFERENCES accounts ON DELETE CASCADE ON UPDATE CASCADE)"
        )
        .is_empty());
        assert!(written("SELECT 'UPDATE accounts SET x = 1'").is_empty());
        assert_eq!(
            names(
                parse(
                    "DELETE a FROM accounts a JOIN b ON a.id = b.id".into(),
                    Dialect::Mysql
                )
                .unwrap()
                .written_tables()
            ),
            ["a", "accounts"]
        );
    }
}
