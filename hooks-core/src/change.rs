//! Change sets: the `(new, old)` pairs an operation hands to its hooks.

use crate::error::Rejection;
use crate::model::HookModel;

enum Olds<M> {
    /// Create: there is no old record.
    Absent,
    /// Delete: the record is the old row itself.
    Same,
    /// Update: one old row per new record.
    Rows(Vec<M>),
}

/// The records of one operation (or one chunk of it), as `(new, old)` pairs
/// in the caller's order.
///
/// - create: `old` is `None`;
/// - update: `old` is the row as read (and locked) before the write;
/// - delete: `new` and `old` are both the row being deleted.
pub struct ChangeSet<M> {
    news: Vec<M>,
    olds: Olds<M>,
    offset: usize,
    positions: Option<Vec<usize>>,
    rejections: Vec<Rejection>,
}

impl<M> ChangeSet<M> {
    /// Records to be created.
    pub fn created(news: Vec<M>) -> Self {
        Self::with(news, Olds::Absent)
    }

    /// Records to be updated, each beside its old row.
    ///
    /// # Panics
    /// When the two lists differ in length (a bug in the caller).
    pub fn updated(news: Vec<M>, olds: Vec<M>) -> Self {
        assert_eq!(news.len(), olds.len(), "one old row per new record");
        Self::with(news, Olds::Rows(olds))
    }

    /// Rows to be deleted.
    pub fn deleted(rows: Vec<M>) -> Self {
        Self::with(rows, Olds::Same)
    }

    fn with(news: Vec<M>, olds: Olds<M>) -> Self {
        ChangeSet {
            news,
            olds,
            offset: 0,
            positions: None,
            rejections: Vec::new(),
        }
    }

    /// Marks this set as starting at position `offset` of the caller's
    /// batch (chunks of a larger operation), so that errors name the
    /// caller's positions.
    #[must_use]
    pub fn at_offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Gives each record its position in the caller's batch, for sets that
    /// hold only some of the caller's records (the changed ones of an
    /// update).
    ///
    /// # Panics
    /// When there is not one position per record (a bug in the caller).
    #[must_use]
    pub fn at_positions(mut self, positions: Vec<usize>) -> Self {
        assert_eq!(positions.len(), self.news.len(), "one position per record");
        self.positions = Some(positions);
        self
    }

    /// Position of record `i` in the caller's batch.
    pub fn position(&self, i: usize) -> usize {
        match &self.positions {
            Some(positions) => positions[i],
            None => self.offset + i,
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.news.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.news.is_empty()
    }

    /// The new record at `i`.
    pub fn new_record(&self, i: usize) -> &M {
        &self.news[i]
    }

    /// The old record at `i`, if the operation has one.
    pub fn old_record(&self, i: usize) -> Option<&M> {
        match &self.olds {
            Olds::Absent => None,
            Olds::Same => self.news.get(i),
            Olds::Rows(rows) => rows.get(i),
        }
    }

    /// The pair at `i`.
    pub fn pair(&self, i: usize) -> (&M, Option<&M>) {
        (&self.news[i], self.old_record(i))
    }

    /// All pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&M, Option<&M>)> + '_ {
        (0..self.len()).map(|i| self.pair(i))
    }

    /// The new records.
    pub fn news(&self) -> &[M] {
        &self.news
    }

    /// The new records, mutably (for the writer that fills in stored rows).
    pub fn news_mut(&mut self) -> &mut [M] {
        &mut self.news
    }

    /// The old rows of an update, if this is one.
    pub fn olds(&self) -> Option<&[M]> {
        match &self.olds {
            Olds::Rows(rows) => Some(rows),
            Olds::Same => Some(&self.news),
            Olds::Absent => None,
        }
    }

    /// Replaces each new record with the row as stored (AFTER hooks see
    /// these).
    pub fn replace_news(&mut self, stored: Vec<M>) {
        assert_eq!(stored.len(), self.news.len(), "one stored row per record");
        self.news = stored;
    }

    /// The new records, consuming the set.
    pub fn into_news(self) -> Vec<M> {
        self.news
    }

    /// New records and, for updates, old rows.
    pub fn into_parts(self) -> (Vec<M>, Option<Vec<M>>) {
        match self.olds {
            Olds::Rows(rows) => (self.news, Some(rows)),
            _ => (self.news, None),
        }
    }

    /// Keeps only the records for which `keep(new, old)` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&M, Option<&M>) -> bool) {
        let mask: Vec<bool> = self.iter().map(|(n, o)| keep(n, o)).collect();
        let mut it = mask.iter();
        self.news.retain(|_| *it.next().unwrap_or(&false));
        if let Olds::Rows(rows) = &mut self.olds {
            let mut it = mask.iter();
            rows.retain(|_| *it.next().unwrap_or(&false));
        }
        if let Some(positions) = &mut self.positions {
            let mut it = mask.iter();
            positions.retain(|_| *it.next().unwrap_or(&false));
        }
    }

    pub(crate) fn reject(&mut self, rejection: Rejection) {
        self.rejections.push(rejection);
    }

    pub(crate) fn take_rejections(&mut self) -> Vec<Rejection> {
        std::mem::take(&mut self.rejections)
    }
}

impl<M: HookModel> ChangeSet<M> {
    /// The keys of the new records, formatted for messages.
    pub fn describe_keys(&self, positions: impl Iterator<Item = usize>) -> Vec<String> {
        positions
            .map(|i| {
                let record = &self.news[i];
                if record.has_key() {
                    format!("{:?}", record.key())
                } else {
                    format!("#{}", self.position(i))
                }
            })
            .collect()
    }
}

impl<M: Clone> ChangeSet<M> {
    /// A new set holding clones of the records at `positions` (for hooks
    /// deferred until commit).
    pub fn subset(&self, positions: &[usize]) -> ChangeSet<M> {
        let news = positions.iter().map(|&i| self.news[i].clone()).collect();
        let olds = match &self.olds {
            Olds::Absent => Olds::Absent,
            Olds::Same => Olds::Same,
            Olds::Rows(rows) => Olds::Rows(positions.iter().map(|&i| rows[i].clone()).collect()),
        };
        ChangeSet {
            news,
            olds,
            offset: 0,
            positions: Some(positions.iter().map(|&i| self.position(i)).collect()),
            rejections: Vec::new(),
        }
    }
}

/// The records one hook receives: the pairs of its operation that passed
/// its condition, in the caller's order.
///
/// BEFORE hooks get it mutably: they may edit new records (what they change
/// is written) and [`reject`](Batch::reject) records.
pub struct Batch<'a, M> {
    set: &'a mut ChangeSet<M>,
    selected: &'a [usize],
}

impl<'a, M> Batch<'a, M> {
    pub(crate) fn new(set: &'a mut ChangeSet<M>, selected: &'a [usize]) -> Self {
        Batch { set, selected }
    }

    /// Number of records this hook sees.
    pub fn len(&self) -> usize {
        self.selected.len()
    }

    /// True when the hook sees no record (never, when called by dispatch).
    pub fn is_empty(&self) -> bool {
        self.selected.is_empty()
    }

    /// The pair at position `pos` of this batch.
    pub fn get(&self, pos: usize) -> Option<(&M, Option<&M>)> {
        self.selected.get(pos).map(|&i| self.set.pair(i))
    }

    /// The `(new, old)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&M, Option<&M>)> + '_ {
        self.selected.iter().map(|&i| self.set.pair(i))
    }

    /// The new records.
    pub fn news(&self) -> impl Iterator<Item = &M> + '_ {
        self.selected.iter().map(|&i| &self.set.news[i])
    }

    /// The old records (empty on create).
    pub fn olds(&self) -> impl Iterator<Item = &M> + '_ {
        self.selected.iter().filter_map(|&i| self.set.old_record(i))
    }

    /// The new records, mutably, with the old row beside each (`None` on
    /// create, and on delete, where the record is the old row).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&mut M, Option<&M>)> + '_ {
        let olds = match &self.set.olds {
            Olds::Rows(rows) => Some(rows.as_slice()),
            _ => None,
        };
        let mut selected = self.selected.iter().copied().peekable();
        self.set
            .news
            .iter_mut()
            .enumerate()
            .filter_map(move |(i, new)| {
                if selected.peek() == Some(&i) {
                    selected.next();
                    Some((new, olds.map(|rows| &rows[i])))
                } else {
                    None
                }
            })
    }

    /// The new records, mutably.
    pub fn news_mut(&mut self) -> impl Iterator<Item = &mut M> + '_ {
        self.iter_mut().map(|(new, _)| new)
    }

    /// Position of batch entry `pos` in the caller's whole batch.
    pub fn position(&self, pos: usize) -> Option<usize> {
        self.selected.get(pos).map(|&i| self.set.position(i))
    }
}

impl<M: HookModel> Batch<'_, M> {
    /// Rejects the record at position `pos` of this batch with `reason`.
    /// The operation goes on dispatching so that every rejection of the
    /// batch is collected, then fails with all of them; nothing is written.
    pub fn reject(&mut self, pos: usize, reason: impl Into<String>) {
        let Some(&i) = self.selected.get(pos) else {
            return;
        };
        let record = &self.set.news[i];
        let key = record.has_key().then(|| format!("{:?}", record.key()));
        let position = self.set.position(i);
        self.set.reject(Rejection {
            position,
            key,
            reason: reason.into(),
        });
    }

    /// Rejects every record for which `test(new, old)` is true.
    pub fn reject_where(
        &mut self,
        mut test: impl FnMut(&M, Option<&M>) -> bool,
        reason: impl Fn(&M) -> String,
    ) {
        let hits: Vec<usize> = (0..self.len())
            .filter(|&pos| self.get(pos).is_some_and(|(n, o)| test(n, o)))
            .collect();
        for pos in hits {
            let why = self.get(pos).map(|(n, _)| reason(n)).unwrap_or_default();
            self.reject(pos, why);
        }
    }
}
