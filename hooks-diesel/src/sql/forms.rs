//! The statement forms a shape is read from: `UPDATE t SET ..`, `DELETE
//! FROM t ..`, `INSERT INTO t (..) VALUES ..` and their clauses.

use super::scan::Kind;
use super::shape::{Clause, Delete, Insert, InsertForm, Row, Shape, Update, Value, Values};
use super::top::Top;

impl Top<'_> {
    pub(super) fn shape(&self) -> Shape {
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
    pub(super) fn has_foreign_clause(&self, range: Clause, foreign: &[&str]) -> bool {
        range.into_iter().any(|i| {
            self.depth(i) == 0
                && foreign.iter().any(|w| self.is(i, w))
                && !(self.is(i, "FROM") && i > 0 && self.is(i - 1, "DISTINCT"))
        })
    }

    /// `WHERE` and `RETURNING` after `from`: their ranges and where the
    /// part before them ends.
    pub(super) fn tail(&self, from: usize, end: usize) -> (usize, Option<Clause>, Option<Clause>) {
        let returning = self.find(from, end, &["RETURNING"]);
        let before_returning = returning.unwrap_or(end);
        let filter = self.find(from, before_returning, &["WHERE"]);
        (
            filter.unwrap_or(before_returning),
            filter.map(|w| w + 1..before_returning),
            returning.map(|r| r + 1..end),
        )
    }

    pub(super) fn update(&self, end: usize) -> Option<Update> {
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

    pub(super) fn delete(&self, end: usize) -> Option<Delete> {
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

    pub(super) fn insert(&self, end: usize) -> Option<Insert> {
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
        let mut column_items = Vec::new();
        let columns = if self.punct(at) == Some(b'(') {
            let (names, close) = self.names(at)?;
            column_items = self.list(at + 1, close, |_, item| Some(item))?;
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
            column_items,
            values,
            conflict_target,
        })
    }

    pub(super) fn conflict_clause(&self, i: usize) -> bool {
        self.is(i, "CONFLICT") || (self.is(i, "DUPLICATE") && self.is(i + 1, "KEY"))
    }

    /// `(..), (..)` from `from` to `to`.
    pub(super) fn rows(&self, from: usize, to: usize) -> Option<Vec<Row>> {
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

    pub(super) fn value(&self, item: Clause) -> Value {
        if item.len() != 1 {
            return Value::Expr;
        }
        match self.tokens[item.start].kind {
            Kind::Bind(b) => Value::Bind(b),
            Kind::Word if self.is(item.start, "DEFAULT") => Value::Default,
            _ => Value::Expr,
        }
    }
}
