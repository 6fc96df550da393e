//! The end-of-load check of the concurrent-load suite.

use super::*;

/// Checks the record against the table; returns the number of committed
/// hooked operations.
pub(super) fn check(record: &Record, rows: Vec<Tally>, hot: &[i64], committed: &[u64]) -> usize {
    let stale = record.stale.all();
    assert!(
        stale.is_empty(),
        "old rows that were not the row just before the write: {stale:?}"
    );

    // Callbacks: each committed transaction's exactly once, no other.
    let mut commits = record.commits.all();
    commits.sort_unstable();
    let mut expected: Vec<u64> = committed.to_vec();
    expected.sort_unstable();
    assert_eq!(
        commits, expected,
        "on_commit callbacks of committed transactions, once each"
    );

    // Per row, committed writes chain from version 0 to the stored one.
    let mut chains: BTreeMap<i64, Vec<Write>> = BTreeMap::new();
    for write in record.writes.all() {
        chains.entry(write.id).or_default().push(write);
    }
    let stored: BTreeMap<i64, &Tally> = rows.iter().map(|t| (t.id, t)).collect();
    for (id, writes) in &mut chains {
        writes.sort_by_key(|w| w.old_version);
        let row = stored
            .get(id)
            .unwrap_or_else(|| panic!("row {id} written but gone"));
        for (n, w) in writes.iter().enumerate() {
            assert_eq!(w.old_version, n as i64, "row {id}: write {n} saw {w:?}");
            assert_eq!(w.new_version, n as i64 + 1, "row {id}: {w:?}");
            if n > 0 {
                assert_eq!(
                    w.old_total,
                    writes[n - 1].new_total,
                    "row {id}: totals chain"
                );
            }
        }
        let last = writes.last().expect("at least one write");
        assert_eq!(
            (row.version, row.total),
            (last.new_version, last.new_total),
            "row {id}"
        );
    }

    // Every committed increment is in the table.
    let mut totals: BTreeMap<i64, i64> = hot.iter().map(|id| (*id, 0)).collect();
    for (id, by) in record.increments.all() {
        *totals.entry(id).or_default() += by;
    }
    for id in hot {
        let row = stored[id];
        assert_eq!(
            row.total, totals[id],
            "row {id}: every committed increment, no other"
        );
        let writes = chains.get(id).map_or(0, Vec::len) as i64;
        assert_eq!(
            row.version, writes,
            "row {id}: one version per committed write"
        );
    }

    // Rows created and deleted as committed.
    let mut names: BTreeSet<String> = hot.iter().map(|id| stored[id].name.clone()).collect();
    names.extend(record.created.all());
    for name in record.deleted.all() {
        assert!(names.remove(&name), "{name} deleted twice or never created");
    }
    let in_table: BTreeSet<String> = rows.iter().map(|t| t.name.clone()).collect();
    assert_eq!(in_table, names, "created and deleted rows as committed");
    record.operations.all().iter().sum()
}
