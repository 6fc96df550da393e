//! A cursor over the top level of a statement's tokens: keywords,
//! punctuation, parenthesis depth, names (qualified, quoted), lists.

use super::scan::{Kind, Token};
use super::shape::{Clause, Name, TableRef};

pub(super) struct Top<'a> {
    pub(super) sql: &'a str,
    pub(super) tokens: &'a [Token],
}

impl Top<'_> {
    pub(super) fn word(&self, i: usize) -> Option<&str> {
        let t = self.tokens.get(i)?;
        (t.kind == Kind::Word).then(|| &self.sql[t.span.clone()])
    }

    pub(super) fn is(&self, i: usize, keyword: &str) -> bool {
        self.word(i)
            .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
    }

    pub(super) fn punct(&self, i: usize) -> Option<u8> {
        match self.tokens.get(i)?.kind {
            Kind::Punct(p) => Some(p),
            _ => None,
        }
    }

    pub(super) fn depth(&self, i: usize) -> u32 {
        self.tokens.get(i).map_or(0, |t| t.depth)
    }

    /// A possibly qualified name at `i`: its last part, unquoted, and the
    /// index after it.
    pub(super) fn name(&self, mut i: usize) -> Option<(String, usize)> {
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
    pub(super) fn table(&self, mut i: usize) -> Option<(TableRef, usize)> {
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
    pub(super) fn single_end(&self) -> Option<usize> {
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
    pub(super) fn find(&self, from: usize, to: usize, words: &[&str]) -> Option<usize> {
        (from..to).find(|&i| self.depth(i) == 0 && words.iter().any(|w| self.is(i, w)))
    }

    /// The names listed in the parentheses opening at `open`, unquoted,
    /// and the index of the closing one.
    pub(super) fn names(&self, open: usize) -> Option<(Vec<String>, usize)> {
        let close = self.closing(open)?;
        let names = self.list(open + 1, close, |top, r| {
            top.name(r.start)
                .filter(|(_, after)| *after == r.end)
                .map(|(n, _)| n)
        })?;
        Some((names, close))
    }

    /// The index of the `)` closing the `(` at `open`.
    pub(super) fn closing(&self, open: usize) -> Option<usize> {
        let depth = self.depth(open);
        (open + 1..self.tokens.len())
            .find(|&j| self.depth(j) == depth && self.punct(j) == Some(b')'))
    }

    /// Splits `from..to` (inside one pair of parentheses, or at the top
    /// level) at its commas and maps each item.
    pub(super) fn list<T>(
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
}

/// A quoted name without its quotes, doubled quotes made single.
pub(super) fn unquote(quoted: &str) -> String {
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
