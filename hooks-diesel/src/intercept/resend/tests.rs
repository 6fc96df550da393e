//! Chunking and patching a captured insert, as text and bind order.

use super::*;
use crate::sql::{parse, Dialect, Shape};

fn shaped(sql: &str) -> (Parsed, Insert) {
    let mut parsed = parse(sql.to_string(), Dialect::Sqlite).expect("lexed");
    let Shape::Insert(insert) = std::mem::replace(&mut parsed.shape, Shape::Other) else {
        panic!("not an insert: {sql}");
    };
    (parsed, insert)
}

/// A chunk's rows, their statement order, its text and its binds.
type Cut = (Range<usize>, Vec<usize>, String, Vec<usize>);

/// Each chunk's rows, statement order, text and binds.
fn cut(
    sql: &str,
    chunk_size: usize,
    key_first: Option<usize>,
    bind_limit: Option<usize>,
) -> Vec<Cut> {
    let (parsed, insert) = shaped(sql);
    chunks_within(&parsed, &insert, false, chunk_size, key_first, bind_limit)
        .into_iter()
        .map(|chunk| {
            let (text, binds) = chunk.body.spliced();
            (chunk.rows, chunk.order, text, binds)
        })
        .collect()
}

const FOUR_ROWS: &str = "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, ?), (?, 1), (?, ?)";

#[test]
fn chunks_fill_up_to_the_bind_limit() {
    // Rows of 2, 2, 1 and 2 binds, 5 to a statement.
    assert_eq!(
        cut(FOUR_ROWS, 100, None, Some(5)),
        [
            (
                0..3,
                vec![0, 1, 2],
                "INSERT INTO `t` (`a`, `b`) VALUES (?1, ?2), (?3, ?4), (?5, 1)".to_string(),
                vec![0, 1, 2, 3, 4]
            ),
            (
                3..4,
                vec![3],
                "INSERT INTO `t` (`a`, `b`) VALUES (?6, ?7)".to_string(),
                vec![5, 6]
            ),
        ]
    );
    // 4 to a statement: the third row no longer fits beside the first two.
    let bounds: Vec<_> = cut(FOUR_ROWS, 100, None, Some(4))
        .into_iter()
        .map(|(rows, _, _, binds)| (rows, binds))
        .collect();
    assert_eq!(
        bounds,
        [(0..2, vec![0, 1, 2, 3]), (2..4, vec![4, 5, 6])],
        "row 2 (1 bind) and row 3 (2 binds) make 3"
    );
    // A row over the limit still goes, alone.
    let alone: Vec<_> = cut(FOUR_ROWS, 100, None, Some(1))
        .into_iter()
        .map(|(rows, ..)| rows)
        .collect();
    assert_eq!(alone, [0..1, 1..2, 2..3, 3..4]);
}

#[test]
fn chunks_hold_at_most_the_chunk_size_in_rows() {
    let rows: Vec<_> = cut(FOUR_ROWS, 3, None, Some(100))
        .into_iter()
        .map(|(rows, _, _, binds)| (rows, binds))
        .collect();
    assert_eq!(rows, [(0..3, vec![0, 1, 2, 3, 4]), (3..4, vec![5, 6])]);
    let rows: Vec<_> = cut(FOUR_ROWS, 0, None, Some(100))
        .into_iter()
        .map(|(rows, ..)| rows)
        .collect();
    assert_eq!(rows, [0..1, 1..2, 2..3, 3..4], "a chunk size of 0 is 1");
}

#[test]
fn the_head_and_tail_binds_count_against_every_chunk() {
    let sql = "INSERT INTO `t` (`a`) VALUES (?), (?), (?) ON CONFLICT (`a`) DO UPDATE SET `b` = ?";
    assert_eq!(
        cut(sql, 100, None, Some(3)),
        [
            (
                0..2,
                vec![0, 1],
                "INSERT INTO `t` (`a`) VALUES (?1), (?2) ON CONFLICT (`a`) DO UPDATE SET `b` = ?4"
                    .to_string(),
                vec![0, 1, 3]
            ),
            (
                2..3,
                vec![2],
                "INSERT INTO `t` (`a`) VALUES (?3) ON CONFLICT (`a`) DO UPDATE SET `b` = ?4"
                    .to_string(),
                vec![2, 3]
            ),
        ]
    );
}

#[test]
fn one_statement_when_it_fits_or_binds_cannot_be_split() {
    for limit in [Some(100), None] {
        let one = cut(FOUR_ROWS, 100, None, limit);
        assert_eq!(one.len(), 1, "{limit:?}");
        assert_eq!(one[0].0, 0..4);
        assert_eq!(one[0].2, FOUR_ROWS, "sent as written");
    }
    let unsplit = cut(FOUR_ROWS, 2, None, None);
    assert_eq!(
        unsplit.len(),
        1,
        "over the chunk size, but SQLite cannot split"
    );
    assert_eq!(unsplit[0].0, 0..4);
    let (parsed, insert) = shaped(FOUR_ROWS);
    let cacheable = |chunk_size| {
        chunks_within(&parsed, &insert, false, chunk_size, None, None)[0]
            .body
            .is_cacheable()
    };
    assert!(cacheable(4), "one text per row count within the chunk size");
    assert!(!cacheable(3));
    let select = cut(
        "INSERT INTO `t` (`a`) SELECT `a` FROM `u`",
        1,
        None,
        Some(1),
    );
    assert_eq!(select.len(), 1, "no VALUES list");
    assert_eq!(select[0].0, 0..0);
}

#[test]
fn rows_with_a_bound_key_come_first_in_each_chunk() {
    let sql = "INSERT INTO `t` (`id`, `a`) VALUES (DEFAULT, ?), (?, ?), (DEFAULT, ?), (?, ?)";
    assert_eq!(
        cut(sql, 100, Some(0), Some(100)),
        [(
            0..4,
            vec![1, 3, 0, 2],
            "INSERT INTO `t` (`id`, `a`) VALUES (?2, ?3), (?5, ?6), (DEFAULT, ?1), (DEFAULT, ?4)"
                .to_string(),
            vec![1, 2, 4, 5, 0, 3]
        )]
    );
    let per_chunk: Vec<_> = cut(sql, 3, Some(0), Some(100))
        .into_iter()
        .map(|(rows, order, ..)| (rows, order))
        .collect();
    assert_eq!(per_chunk, [(0..3, vec![1, 0, 2]), (3..4, vec![3])]);
}

#[test]
fn a_patch_puts_the_hooks_values_in_place_and_adds_columns() {
    let sql = "INSERT INTO `t` (`a`, `b`) VALUES (?, ?), (?, lower(?)) ON CONFLICT DO NOTHING";
    let (parsed, insert) = shaped(sql);
    let chunk = &chunks_within(&parsed, &insert, false, 100, None, None)[0];
    let mut patch = Patch::default();
    // Row 1's `b` from bind 4; row 0 sets the added `c` from bind 5.
    patch.cells.insert(1, vec![(1, 4)]);
    patch.cells.insert(0, vec![(2, 5)]);
    patch.added.push(("c", Piece::literal("DEFAULT")));
    let body = patched(&parsed, &insert, chunk, &patch, 6, |c| format!("`{c}`"))
        .expect("a VALUES list with columns");
    assert_eq!(
        body.spliced(),
        (
            "INSERT INTO `t` (`a`, `b`, `c` ) VALUES (?1, ?2, ?6), (?3, ?5, DEFAULT) \
             ON CONFLICT DO NOTHING"
                .to_string(),
            vec![0, 1, 5, 2, 4]
        )
    );
    assert!(!body.is_cacheable());
    let (parsed, insert) = shaped("INSERT INTO `t` DEFAULT VALUES");
    let chunk = &chunks_within(&parsed, &insert, false, 100, None, None)[0];
    assert!(patched(&parsed, &insert, chunk, &patch, 6, |c| c.to_string()).is_none());
}
