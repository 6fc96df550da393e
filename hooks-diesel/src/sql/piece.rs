//! Pieces of a captured statement (its `WHERE`, its `SET`, its whole text
//! before `RETURNING`) re-sent inside the library's own statements with
//! the binds they refer to.

use diesel::query_builder::AstPass;
use diesel::QueryResult;

use super::scan::Kind;
use super::shape::{Clause, Parsed};

/// Text with placeholders, each naming one bind of the captured statement.
#[derive(Clone, Debug, Default)]
pub struct Piece {
    segments: Vec<Segment>,
    /// Whether the captured statement may be kept in Diesel's statement
    /// cache (statements embedding the piece inherit it).
    cacheable: bool,
    /// On backends that cannot split binds, the one piece of a statement
    /// that sends all of the captured statement's binds; the others only
    /// refer to them by number.
    carries: Option<Carry>,
    /// A statement's opening text as written, with all of its `.0` binds
    /// in order: sent as it is, without renumbering.
    verbatim: Option<usize>,
}

/// What the carrier of a statement's binds sends (read on SQLite, whose
/// binds cannot be split).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) struct Carry {
    /// How many binds.
    pub total: usize,
    /// Whether the piece is a condition, which may name the last bind
    /// harmlessly when its own text does not.
    pub condition: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Segment {
    Text(String),
    Bind(usize),
}

impl Piece {
    /// The tokens of `clause` in `parsed`, as written.
    pub(crate) fn of(parsed: &Parsed, clause: &Clause, cacheable: bool) -> Self {
        let mut piece = Piece {
            cacheable,
            ..Piece::default()
        };
        let Some(first) = parsed
            .tokens
            .get(clause.start)
            .filter(|_| !clause.is_empty())
        else {
            return piece;
        };
        let mut at = first.span.start;
        for token in &parsed.tokens[clause.clone()] {
            if let Kind::Bind(index) = token.kind {
                piece.text(&parsed.sql[at..token.span.start]);
                piece.bind(index);
                at = token.span.end;
            }
        }
        if let Some(last) = clause.end.checked_sub(1).and_then(|l| parsed.tokens.get(l)) {
            piece.text(&parsed.sql[at..last.span.end]);
        }
        piece
    }

    /// The opening `clause` of a statement, re-sent at the start of
    /// another: as written when its placeholders are every bind in order.
    pub(crate) fn opening(parsed: &Parsed, clause: &Clause, cacheable: bool) -> Self {
        let total = parsed.bind_count();
        let binds = parsed.tokens[clause.clone()]
            .iter()
            .filter_map(|t| match t.kind {
                Kind::Bind(index) => Some(index),
                _ => None,
            });
        if clause.start == 0 && binds.eq(0..total) {
            if let (Some(first), Some(last)) = (
                parsed.tokens.get(clause.start),
                clause.end.checked_sub(1).and_then(|l| parsed.tokens.get(l)),
            ) {
                let mut piece = Piece {
                    cacheable,
                    verbatim: Some(total),
                    ..Piece::default()
                };
                piece.text(&parsed.sql[first.span.start..last.span.end]);
                return piece.carrying(total);
            }
        }
        Piece::of(parsed, clause, cacheable).carrying(total)
    }

    /// A `WHERE` clause as `(<clause>)`, or `1 = 1` without one: the piece
    /// that carries the binds of every statement it is part of.
    pub(crate) fn filter(parsed: &Parsed, clause: Option<&Clause>, cacheable: bool) -> Self {
        let Some(clause) = clause else {
            return Piece::always(parsed.bind_count()).cacheable(cacheable);
        };
        let mut inner = Piece::of(parsed, clause, cacheable);
        inner.segments.insert(0, Segment::Text("(".into()));
        inner.text(")");
        inner.carrying_binds(parsed.bind_count(), true)
    }

    /// `1 = 1`, the condition that sends all `total` captured binds on
    /// backends that cannot split them (see [`Piece::filter`]).
    pub(crate) fn always(total: usize) -> Self {
        Piece::literal("1 = 1").carrying_binds(total, true)
    }

    /// `1 = 0`, a condition no row meets, sending all `total` captured
    /// binds as [`Piece::always`] does.
    pub(crate) fn never(total: usize) -> Self {
        Piece::literal("1 = 0").carrying_binds(total, true)
    }

    /// Makes this the piece that sends all `total` captured binds (it must
    /// name the last of them).
    pub(crate) fn carrying(self, total: usize) -> Self {
        self.carrying_binds(total, false)
    }

    /// Makes this the piece that sends all `total` captured binds; a
    /// `condition` may leave the last unnamed (see [`Carry::condition`]).
    fn carrying_binds(mut self, total: usize, condition: bool) -> Self {
        self.carries = Some(Carry { total, condition });
        self
    }

    /// Literal SQL text without binds.
    pub(crate) fn literal(sql: &str) -> Self {
        let mut piece = Piece {
            cacheable: true,
            ..Piece::default()
        };
        piece.text(sql);
        piece
    }

    /// Appends text.
    pub(crate) fn text(&mut self, sql: &str) -> &mut Self {
        if !sql.is_empty() {
            match self.segments.last_mut() {
                Some(Segment::Text(t)) => t.push_str(sql),
                _ => self.segments.push(Segment::Text(sql.to_string())),
            }
        }
        self
    }

    /// Appends another piece's text and placeholders.
    pub(crate) fn append(&mut self, other: &Piece) -> &mut Self {
        for segment in &other.segments {
            match segment {
                Segment::Text(text) => self.text(text),
                Segment::Bind(index) => self.bind(*index),
            };
        }
        self
    }

    /// Sets whether statements embedding the piece may be cached.
    pub(crate) fn cacheable(mut self, cacheable: bool) -> Self {
        self.cacheable = cacheable;
        self
    }

    /// Whether statements embedding the piece may be cached.
    pub(crate) fn is_cacheable(&self) -> bool {
        self.cacheable
    }

    /// When the piece is a statement's opening text as written: how many
    /// binds it sends, all in order.
    pub(crate) fn verbatim(&self) -> Option<usize> {
        self.verbatim
    }

    /// How many placeholders the piece has.
    pub(crate) fn bind_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Bind(_)))
            .count()
    }

    /// Appends a placeholder for captured bind `index`.
    pub(crate) fn bind(&mut self, index: usize) -> &mut Self {
        self.segments.push(Segment::Bind(index));
        self
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// What this piece sends, if it is the carrier.
    #[cfg(any(test, feature = "sqlite"))]
    pub(crate) fn carries(&self) -> Option<Carry> {
        self.carries
    }

    /// The highest bind the piece mentions.
    pub(crate) fn max_bind(&self) -> Option<usize> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Bind(i) => Some(*i),
                Segment::Text(_) => None,
            })
            .max()
    }

    /// True when the piece mentions any bind.
    pub(crate) fn has_binds(&self) -> bool {
        self.max_bind().is_some()
    }

    /// The piece's text with each placeholder written `?<bind + 1>`, and
    /// the binds it names, in order (what tests compare).
    #[cfg(test)]
    pub(crate) fn spliced(&self) -> (String, Vec<usize>) {
        let (mut text, mut binds) = (String::new(), Vec::new());
        for segment in &self.segments {
            match segment {
                Segment::Text(t) => text.push_str(t),
                Segment::Bind(i) => {
                    text.push_str(&format!("?{}", i + 1));
                    binds.push(*i);
                }
            }
        }
        (text, binds)
    }
}

/// True in the pass that writes SQL text (Diesel hides which pass runs;
/// only that pass keeps the "skip FROM" flag it is given).
pub(crate) fn writes_sql<DB: diesel::backend::Backend>(out: &mut AstPass<'_, '_, DB>) -> bool {
    let before = out.should_skip_from();
    out.skip_from(true);
    let writing = out.should_skip_from();
    out.skip_from(before);
    writing
}

/// Writes a piece's text, placeholders written by `placeholder`.
pub(crate) fn push_text<DB: diesel::backend::Backend>(
    piece: &Piece,
    out: &mut AstPass<'_, '_, DB>,
    mut placeholder: impl FnMut(usize, &mut AstPass<'_, '_, DB>) -> QueryResult<()>,
) -> QueryResult<()> {
    for segment in &piece.segments {
        match segment {
            Segment::Text(text) => out.push_sql(text),
            Segment::Bind(index) => placeholder(*index, out)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{parse, Dialect, Shape};

    fn spliced(piece: &Piece) -> (String, Vec<usize>) {
        piece.spliced()
    }

    fn update(sql: &str) -> (Parsed, crate::sql::Update) {
        let mut parsed = parse(sql.to_string(), Dialect::Sqlite).expect("lexed");
        let Shape::Update(update) = std::mem::replace(&mut parsed.shape, Shape::Other) else {
            panic!("not an update: {sql}");
        };
        (parsed, update)
    }

    fn carry(piece: &Piece) -> Option<(usize, bool)> {
        piece.carries.map(|c| (c.total, c.condition))
    }

    #[test]
    fn a_clause_keeps_its_text_and_names_its_own_binds() {
        let (parsed, update) =
            update("UPDATE `t` SET `a` = ?, `b` = `b` + ? WHERE (`c` = ? AND `d` IN (?, ?))");
        let set = Piece::of(&parsed, &update.set, true);
        assert_eq!(
            spliced(&set),
            ("`a` = ?1, `b` = `b` + ?2".to_string(), vec![0, 1])
        );
        assert_eq!((set.bind_count(), set.max_bind()), (2, Some(1)));
        assert!(set.is_cacheable() && carry(&set).is_none());
        let filter = Piece::filter(&parsed, update.filter.as_ref(), false);
        assert_eq!(
            spliced(&filter),
            (
                "((`c` = ?3 AND `d` IN (?4, ?5)))".to_string(),
                vec![2, 3, 4]
            )
        );
        assert_eq!(carry(&filter), Some((5, true)));
        assert!(!filter.is_cacheable());
    }

    #[test]
    fn a_missing_condition_is_always_true_and_still_carries_the_binds() {
        let (parsed, update) = update("UPDATE `t` SET `a` = ?, `b` = ?");
        let filter = Piece::filter(&parsed, update.filter.as_ref(), true);
        assert_eq!(spliced(&filter), ("1 = 1".to_string(), vec![]));
        assert_eq!(carry(&filter), Some((2, true)));
        let never = Piece::never(2);
        assert_eq!(spliced(&never), ("1 = 0".to_string(), vec![]));
        assert_eq!(carry(&never), Some((2, true)));
        assert_eq!(
            carry(&Piece::of(&parsed, &update.set, true).carrying(2)),
            Some((2, false))
        );
    }

    #[test]
    fn pieces_splice_into_a_statement_in_bind_order() {
        let (parsed, update) = update("UPDATE `t` SET `a` = ? WHERE `c` > ? RETURNING `a`");
        let mut statement = Piece::literal("UPDATE `t` SET ");
        statement
            .append(&Piece::of(&parsed, &update.set, true))
            .text(" WHERE `id` IN (")
            .bind(7)
            .text(", ")
            .bind(8)
            .text(") AND ")
            .append(&Piece::filter(&parsed, update.filter.as_ref(), true));
        assert_eq!(
            spliced(&statement),
            (
                "UPDATE `t` SET `a` = ?1 WHERE `id` IN (?8, ?9) AND (`c` > ?2)".to_string(),
                vec![0, 7, 8, 1]
            )
        );
        assert_eq!(statement.segments.len(), 9, "adjacent text is one segment");
        assert!(carry(&statement).is_none(), "appending keeps no carrier");
    }

    #[test]
    fn an_opening_with_every_bind_in_order_is_sent_as_written() {
        let sql = "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, 2) RETURNING `t`.`a`";
        let mut parsed = parse(sql.to_string(), Dialect::Sqlite).expect("lexed");
        let Shape::Insert(insert) = std::mem::replace(&mut parsed.shape, Shape::Other) else {
            panic!("an insert");
        };
        let opening = Piece::opening(&parsed, &insert.body, true);
        assert_eq!(opening.verbatim(), Some(3));
        assert_eq!(
            spliced(&opening).0,
            "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, 2)",
            "verbatim: the placeholders as written"
        );
        assert_eq!(carry(&opening), Some((3, false)));
        // A bind after the opening (in its RETURNING): renumbered.
        let sql = "INSERT INTO `t` (`a`) VALUES (?) RETURNING `t`.`a` + ?";
        let mut parsed = parse(sql.to_string(), Dialect::Sqlite).expect("lexed");
        let Shape::Insert(insert) = std::mem::replace(&mut parsed.shape, Shape::Other) else {
            panic!("an insert");
        };
        let opening = Piece::opening(&parsed, &insert.body, true);
        assert_eq!(opening.verbatim(), None);
        assert_eq!(
            spliced(&opening),
            ("INSERT INTO `t` (`a`) VALUES (?1)".to_string(), vec![0])
        );
        assert_eq!(carry(&opening), Some((2, false)));
    }
}
