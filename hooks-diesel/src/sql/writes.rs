//! Every table a text may write, wherever a write stands in it (CTEs,
//! several statements), for the classifier of statements' effects.

use super::shape::TableRef;
use super::top::Top;

impl Top<'_> {
    /// Every table an `INSERT`, `UPDATE`, `DELETE`, `REPLACE`, `MERGE`,
    /// `TRUNCATE` or `COPY .. FROM` anywhere in the text writes.
    pub(super) fn written_tables(&self) -> Vec<TableRef> {
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
