//! Conditions that name their rows by key: `key = ANY($n)` (one array
//! bind) or `key IN ($a, $b, ..)`, alone, in parentheses or not, the key
//! column bare or qualified by the table. Such a condition matches at
//! most as many rows as it lists keys.

use super::scan::Kind;
use super::shape::{Clause, Parsed};

/// The keys a condition lists.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Listed {
    /// `IN (..)` with this many items, literals among them.
    Items(usize),
    /// `IN (..)` of binds only: their indexes.
    Binds(Vec<usize>),
    /// `= ANY($n)`: the keys are the elements of bind `.0`.
    Array(usize),
}

impl Parsed {
    /// What `filter` lists when it is `key = ANY(..)` or `key IN (..)` for
    /// the column `key` of `table`; `None` for any other condition.
    pub(crate) fn listed_keys(&self, filter: &Clause, table: &str, key: &str) -> Option<Listed> {
        let mut range = filter.clone();
        while self.encloses(&range) {
            range = range.start + 1..range.end - 1;
        }
        let tokens = self.tokens.get(range.clone())?;
        let at = |i: usize| tokens.get(i).map(|t| (&t.kind, &self.sql[t.span.clone()]));
        let name = |i: usize| self.name(tokens.get(i)?);
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        // `key` or `table.key`.
        let mut next = match (name(0), at(1), name(2)) {
            (Some(qualifier), Some((Kind::Punct(b'.'), _)), Some(column)) => {
                (same(&qualifier, table) && same(&column, key)).then_some(3)?
            }
            (Some(column), _, _) => same(&column, key).then_some(1)?,
            _ => return None,
        };
        let word = |i: usize, w: &str| matches!(at(i), Some((Kind::Word, t)) if same(t, w));
        let punct = |i: usize, p: u8| matches!(at(i), Some((Kind::Punct(q), _)) if *q == p);
        if punct(next, b'=') && word(next + 1, "ANY") && punct(next + 2, b'(') {
            let bind = match at(next + 3)? {
                (Kind::Bind(bind), _) => *bind,
                _ => return None,
            };
            return (punct(next + 4, b')') && tokens.len() == next + 5)
                .then_some(Listed::Array(bind));
        }
        if !(word(next, "IN") && punct(next + 1, b'(')) {
            return None;
        }
        next += 2;
        let (mut items, mut binds) = (0, Vec::new());
        loop {
            match at(next)? {
                (Kind::Bind(bind), _) => binds.push(*bind),
                (Kind::Literal, _) => {}
                _ => return None,
            }
            items += 1;
            next += 1;
            if punct(next, b')') {
                let listed = if binds.len() == items {
                    Listed::Binds(binds)
                } else {
                    Listed::Items(items)
                };
                return (tokens.len() == next + 1).then_some(listed);
            }
            if !punct(next, b',') {
                return None;
            }
            next += 1;
        }
    }

    /// Whether `range` is one pair of parentheses around the rest.
    fn encloses(&self, range: &Clause) -> bool {
        let Some(tokens) = self.tokens.get(range.clone()) else {
            return false;
        };
        let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else {
            return false;
        };
        tokens.len() >= 2
            && first.kind == Kind::Punct(b'(')
            && last.kind == Kind::Punct(b')')
            && tokens[1..tokens.len() - 1]
                .iter()
                .all(|t| t.depth > first.depth)
    }
}

#[cfg(test)]
mod tests {
    use super::Listed;
    use crate::sql::{parse, Dialect, Shape};

    fn listed(sql: &str, dialect: Dialect) -> Option<Listed> {
        let parsed = parse(sql.to_string(), dialect).expect("scans");
        let Shape::Delete(delete) = &parsed.shape else {
            panic!("not a delete: {sql}");
        };
        parsed.listed_keys(delete.filter.as_ref()?, "accounts", "id")
    }

    #[test]
    fn key_lists_are_recognised() {
        let pg = Dialect::Postgres;
        assert_eq!(
            listed(
                r#"DELETE FROM "accounts" WHERE ("accounts"."id" = ANY($1))"#,
                pg
            ),
            Some(Listed::Array(0))
        );
        assert_eq!(
            listed("DELETE FROM accounts WHERE id = any($2)", pg),
            Some(Listed::Array(1))
        );
        assert_eq!(
            listed(
                "DELETE FROM `accounts` WHERE (`accounts`.`id` IN (?, ?, 3))",
                Dialect::Mysql
            ),
            Some(Listed::Items(3))
        );
        assert_eq!(
            listed("DELETE FROM accounts WHERE ((ID IN (?)))", Dialect::Sqlite),
            Some(Listed::Binds(vec![0]))
        );
        assert_eq!(
            listed("DELETE FROM accounts WHERE id IN ($2, $1)", pg),
            Some(Listed::Binds(vec![1, 0]))
        );
    }

    #[test]
    fn other_conditions_are_not() {
        let pg = Dialect::Postgres;
        for sql in [
            "DELETE FROM accounts WHERE balance = ANY($1)",
            "DELETE FROM accounts WHERE other.id = ANY($1)",
            "DELETE FROM accounts WHERE id = ANY($1) OR balance > 0",
            "DELETE FROM accounts WHERE (id = ANY($1)) AND (balance > 0)",
            "DELETE FROM accounts WHERE id IN (SELECT id FROM accounts)",
            "DELETE FROM accounts WHERE id IN ($1 + 1, $2)",
            "DELETE FROM accounts WHERE id NOT IN ($1)",
            "DELETE FROM accounts WHERE id = ANY(ARRAY[$1])",
            "DELETE FROM accounts WHERE id = $1",
            "DELETE FROM accounts",
        ] {
            assert_eq!(listed(sql, pg), None, "{sql}");
        }
    }
}
