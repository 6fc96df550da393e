//! What an update that may skip records returns: the records, and which of
//! them it wrote.

use std::ops::Deref;

/// The records of a [`bulk_update`](crate::HookedConnection::bulk_update)
/// (or `bulk_update_fields`), in the caller's order, as written or as
/// stored, and which of them were written: records equal to their stored
/// row are skipped, neither written nor shown to hooks.
///
/// It reads as the slice of records (`written[0]`, `written.len()`,
/// `for r in &written`) and compares equal to a `Vec` of them.
///
/// ```
/// # use hooks_diesel::Written;
/// let written = Written::new(vec!["a", "b", "c"], vec![1]);
/// assert_eq!(written.written(), 1);
/// assert_eq!(written.positions(), [1]);
/// assert!(written.was_written(1) && !written.was_written(0));
/// assert_eq!(written.len(), 3);
/// assert_eq!(written, vec!["a", "b", "c"]);
/// assert_eq!(written.into_records(), ["a", "b", "c"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written<M> {
    records: Vec<M>,
    positions: Vec<usize>,
}

impl<M> Written<M> {
    /// `records`, of which those at `positions` (ascending) were written.
    pub fn new(records: Vec<M>, positions: Vec<usize>) -> Self {
        Written { records, positions }
    }

    /// How many records were written.
    pub fn written(&self) -> usize {
        self.positions.len()
    }

    /// The positions, in the caller's batch, of the records written.
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// Whether the record at `position` was written.
    pub fn was_written(&self, position: usize) -> bool {
        self.positions.binary_search(&position).is_ok()
    }

    /// The records.
    pub fn records(&self) -> &[M] {
        &self.records
    }

    /// The records, consuming this.
    pub fn into_records(self) -> Vec<M> {
        self.records
    }
}

impl<M> Deref for Written<M> {
    type Target = [M];
    fn deref(&self) -> &[M] {
        &self.records
    }
}

impl<M: PartialEq> PartialEq<Vec<M>> for Written<M> {
    fn eq(&self, other: &Vec<M>) -> bool {
        &self.records == other
    }
}

impl<M: PartialEq, const N: usize> PartialEq<[M; N]> for Written<M> {
    fn eq(&self, other: &[M; N]) -> bool {
        self.records == other
    }
}

impl<M: PartialEq> PartialEq<[M]> for Written<M> {
    fn eq(&self, other: &[M]) -> bool {
        self.records == other
    }
}

impl<M> From<Written<M>> for Vec<M> {
    fn from(written: Written<M>) -> Self {
        written.records
    }
}

impl<M> IntoIterator for Written<M> {
    type Item = M;
    type IntoIter = std::vec::IntoIter<M>;
    fn into_iter(self) -> Self::IntoIter {
        self.records.into_iter()
    }
}

impl<'a, M> IntoIterator for &'a Written<M> {
    type Item = &'a M;
    type IntoIter = std::slice::Iter<'a, M>;
    fn into_iter(self) -> Self::IntoIter {
        self.records.iter()
    }
}

/// One record of a [`save`](crate::HookedConnection::save) or
/// [`update`](crate::HookedConnection::update), and whether it was
/// written (an update of a record equal to its stored row writes nothing).
/// Reads as the record.
///
/// ```
/// # use hooks_diesel::Saved;
/// let saved = Saved::new("a", false);
/// assert!(!saved.written());
/// assert_eq!(saved.len(), 1); // str::len, through the record
/// assert_eq!(saved.into_record(), "a");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved<M> {
    record: M,
    written: bool,
}

impl<M> Saved<M> {
    /// `record`, written or not.
    pub fn new(record: M, written: bool) -> Self {
        Saved { record, written }
    }

    /// Whether the record was written.
    pub fn written(&self) -> bool {
        self.written
    }

    /// The record, consuming this.
    pub fn into_record(self) -> M {
        self.record
    }
}

impl<M> Deref for Saved<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.record
    }
}

impl<M: PartialEq> PartialEq<M> for Saved<M> {
    fn eq(&self, other: &M) -> bool {
        &self.record == other
    }
}
