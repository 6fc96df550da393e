//! SQLite's captured binds taken apart. Diesel keeps them opaque
//! (`SqliteBindCollectorData`); the only view it gives of each value is its
//! debug form (`I64(5)`, `String("a")`). A statement over SQLite's bind
//! limit is written in parts, each with some of the binds: they are read
//! from those debug forms, bound again as values of their storage class,
//! and the result's debug forms are compared with the originals, so a
//! value read wrong (a form Diesel changed) is a refusal, never a
//! different value written.

use diesel::backend::Backend;
use diesel::query_builder::{BindCollector, MoveableBindCollector};
use diesel::sql_types::{BigInt, Binary, Double, Integer, Text};
use diesel::sqlite::{Sqlite, SqliteType};
use diesel::QueryResult;

type Collector<'a> = <Sqlite as Backend>::BindCollector<'a>;
type Binds = <Collector<'static> as MoveableBindCollector<Sqlite>>::BindData;

/// One bound value, by the storage class SQLite binds it as.
#[derive(Clone, Debug, PartialEq)]
enum Bound {
    Text(String),
    Blob(Vec<u8>),
    I32(i32),
    I64(i64),
    F64(f64),
    Null,
}

/// The debug form of each captured bind.
fn shown(binds: &Binds) -> Vec<String> {
    let mut shown = Vec::new();
    <Collector<'static> as MoveableBindCollector<Sqlite>>::push_debug_binds(binds, &mut shown);
    shown.iter().map(|value| format!("{value:?}")).collect()
}

/// How many binds were captured.
pub(super) fn count(binds: &Binds) -> usize {
    let mut shown = Vec::new();
    <Collector<'static> as MoveableBindCollector<Sqlite>>::push_debug_binds(binds, &mut shown);
    shown.len()
}

/// The binds at `indexes`, in that order, as a statement's own; `None`
/// when one cannot be read back exactly.
pub(super) fn select(binds: &Binds, indexes: &[usize]) -> Option<Binds> {
    let shown = shown(binds);
    let wanted: Vec<&String> = indexes
        .iter()
        .map(|&i| shown.get(i))
        .collect::<Option<_>>()?;
    let values: Vec<Bound> = wanted.iter().map(|s| parse(s)).collect::<Option<_>>()?;
    let selected = bind(&values).ok()?;
    let same = self::shown(&selected)
        .iter()
        .zip(&wanted)
        .all(|(again, was)| again == *was);
    (same && count(&selected) == wanted.len()).then_some(selected)
}

fn bind(values: &[Bound]) -> QueryResult<Binds> {
    let mut collector = Collector::default();
    for value in values {
        match value {
            Bound::Text(text) => collector.push_bound_value::<Text, String>(text, &mut ())?,
            Bound::Blob(bytes) => collector.push_bound_value::<Binary, Vec<u8>>(bytes, &mut ())?,
            Bound::I32(n) => collector.push_bound_value::<Integer, i32>(n, &mut ())?,
            Bound::I64(n) => collector.push_bound_value::<BigInt, i64>(n, &mut ())?,
            Bound::F64(x) => collector.push_bound_value::<Double, f64>(x, &mut ())?,
            Bound::Null => collector.push_null_value(SqliteType::Text)?,
        }
    }
    Ok(collector.moveable())
}

/// A value from its debug form.
fn parse(shown: &str) -> Option<Bound> {
    if shown == "Null" {
        return Some(Bound::Null);
    }
    let (kind, rest) = shown.split_once('(')?;
    let inner = rest.strip_suffix(')')?;
    match kind {
        "String" => unquote(inner).map(Bound::Text),
        "Binary" => bytes(inner).map(Bound::Blob),
        "I32" => inner.parse().ok().map(Bound::I32),
        "I64" => inner.parse().ok().map(Bound::I64),
        "F64" => inner.parse().ok().map(Bound::F64),
        _ => None,
    }
}

/// A string from its debug form (`"a\"b\u{301}"`).
fn unquote(quoted: &str) -> Option<String> {
    let body = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut text = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        text.push(match chars.next()? {
            't' => '\t',
            'r' => '\r',
            'n' => '\n',
            '0' => '\0',
            c @ ('\\' | '"' | '\'') => c,
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            _ => return None,
        });
    }
    Some(text)
}

/// Bytes from their debug form (`[1, 2, 255]`).
fn bytes(list: &str) -> Option<Vec<u8>> {
    let body = list.strip_prefix('[')?.strip_suffix(']')?;
    if body.is_empty() {
        return Some(Vec::new());
    }
    body.split(", ").map(|b| b.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(values: &[Bound]) -> Binds {
        bind(values).expect("binds")
    }

    #[test]
    fn every_storage_class_is_read_back_exactly() {
        let values = vec![
            Bound::Text("plain".into()),
            Bound::Text("quote \" backslash \\ tab \t nl \n nul \0 é e\u{301} 😀 \u{7f}".into()),
            Bound::Text(String::new()),
            Bound::Blob(vec![0, 1, 255]),
            Bound::Blob(Vec::new()),
            Bound::I32(i32::MIN),
            Bound::I64(i64::MAX),
            Bound::F64(0.1),
            Bound::F64(-0.0),
            Bound::F64(1e300),
            Bound::F64(f64::INFINITY),
            Bound::Null,
        ];
        let binds = captured(&values);
        let all: Vec<usize> = (0..values.len()).collect();
        let again = select(&binds, &all).expect("read back");
        assert_eq!(shown(&again), shown(&binds));
        let parsed: Vec<Bound> = shown(&binds).iter().map(|s| parse(s).unwrap()).collect();
        assert_eq!(parsed[..8], values[..8]);
        assert!(matches!(parsed[8], Bound::F64(x) if x == 0.0 && x.is_sign_negative()));
    }

    #[test]
    fn a_selection_is_those_binds_in_that_order() {
        let binds = captured(&[
            Bound::I64(1),
            Bound::Text("b".into()),
            Bound::Null,
            Bound::I64(4),
        ]);
        let picked = select(&binds, &[3, 1]).expect("selected");
        assert_eq!(shown(&picked), ["I64(4)", "String(\"b\")"]);
        assert_eq!(count(&picked), 2);
        assert!(select(&binds, &[4]).is_none(), "an index past the binds");
    }

    #[test]
    fn a_form_it_cannot_read_is_refused() {
        assert_eq!(parse("Bool(true)"), None);
        assert_eq!(parse("String(\"bad escape \\q\")"), None);
        assert_eq!(parse("I32(99999999999)"), None);
        assert_eq!(parse("Binary([1, 2"), None);
    }
}
