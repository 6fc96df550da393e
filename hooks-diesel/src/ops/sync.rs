//! Bulk sync: make the rows a filter matches equal a list of records, in
//! one transaction, through the hooked operations.

use std::fmt;

use diesel::connection::LoadConnection;

use crate::backend::HookBackend;
use crate::connection::HookedConnection;
use crate::error::Result;
use crate::model::ModelTable;
use crate::ops::update::Fields;
use crate::query::{Filter, Writable};
use hooks_core::{compare, FieldKey, FieldSet, HookModel, KeyFields};

/// What a bulk sync may do, and how.
pub struct SyncOptions<M> {
    chunk_size: Option<usize>,
    skip_creates: bool,
    skip_updates: bool,
    skip_deletes: bool,
    ignore: FieldSet,
    only: Option<FieldSet>,
    dry_run: bool,
    _model: std::marker::PhantomData<fn(&M)>,
}

impl<M> Default for SyncOptions<M> {
    fn default() -> Self {
        SyncOptions {
            chunk_size: None,
            skip_creates: false,
            skip_updates: false,
            skip_deletes: false,
            ignore: FieldSet::EMPTY,
            only: None,
            dry_run: false,
            _model: std::marker::PhantomData,
        }
    }
}

impl<M> fmt::Debug for SyncOptions<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncOptions")
            .field("chunk_size", &self.chunk_size)
            .field("skip_creates", &self.skip_creates)
            .field("skip_updates", &self.skip_updates)
            .field("skip_deletes", &self.skip_deletes)
            .field("ignore", &self.ignore)
            .field("only", &self.only)
            .field("dry_run", &self.dry_run)
            .finish()
    }
}

impl<M> SyncOptions<M> {
    /// Create, update and delete everything needed; compare every field.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows per statement (the connection's
    /// [`Config::chunk_size`](crate::Config::chunk_size) otherwise): one
    /// name for one concept, as `Config::with_chunk_size`.
    #[must_use]
    pub fn chunk_size(mut self, rows: usize) -> Self {
        self.chunk_size = Some(rows);
        self
    }

    /// Leave wanted records that have no row uncreated.
    #[must_use]
    pub fn skip_creates(mut self) -> Self {
        self.skip_creates = true;
        self
    }

    /// Leave rows whose fields differ as they are.
    #[must_use]
    pub fn skip_updates(mut self) -> Self {
        self.skip_updates = true;
        self
    }

    /// Leave rows that no wanted record matches in place.
    #[must_use]
    pub fn skip_deletes(mut self) -> Self {
        self.skip_deletes = true;
        self
    }

    /// Neither compare nor write these fields.
    #[must_use]
    pub fn ignore(mut self, fields: &[FieldKey<M>]) -> Self {
        self.ignore = self.ignore.union(fields.iter().copied().collect());
        self
    }

    /// Compare and write only these fields.
    #[must_use]
    pub fn only(mut self, fields: &[FieldKey<M>]) -> Self {
        self.only = Some(fields.iter().copied().collect());
        self
    }

    /// Run every hook and write, then roll back: the report says what would
    /// have happened.
    #[must_use]
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }
}

/// What a bulk sync did (or, in a dry run, would have done).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Rows created.
    pub created: usize,
    /// Rows updated.
    pub updated: usize,
    /// Rows deleted.
    pub deleted: usize,
    /// Rows already equal to their wanted record.
    pub unchanged: usize,
}

impl<C> HookedConnection<C>
where
    C: crate::connection::InnerConnection + LoadConnection,
    C::Backend: HookBackend,
{
    /// Makes the rows of `M` matched by `filter` equal `records`, matching
    /// them by `key` (one field descriptor, or a tuple of them): creates the
    /// wanted records no row matches, updates the rows whose compared
    /// fields differ (writing only those fields), deletes the rows no
    /// record matches. All hooked, in one transaction; the rows are read
    /// and locked first.
    ///
    /// An updated row keeps its primary key. A created record is written
    /// as `bulk_create` writes it: with the key it carries when the model's
    /// key is generated when unset (`#[hook(generated_when_unset)]`; a key
    /// some row has already is [`Error::KeyExists`](crate::Error::KeyExists)),
    /// otherwise with a generated key. When `key` includes the primary key,
    /// records whose primary key is unset (`0`, `None`) match no row: each
    /// is created.
    ///
    /// ```ignore
    /// let report = conn.bulk_sync(
    ///     wanted,
    ///     Account::OWNER,
    ///     accounts::status.ne("closed"),
    ///     SyncOptions::new().ignore(&[Account::UPDATED_AT.key()]),
    /// )?;
    /// ```
    pub fn bulk_sync<M, K>(
        &mut self,
        records: Vec<M>,
        key: K,
        filter: impl Filter<M::Table, C::Backend>,
        options: SyncOptions<M>,
    ) -> Result<SyncReport>
    where
        M: Writable<C::Backend> + ModelTable,
        K: KeyFields<M>,
    {
        let saved_chunk = self.config().chunk_size;
        if let Some(rows) = options.chunk_size {
            self.config_mut().chunk_size = rows.max(1);
        }
        let result = if options.dry_run {
            self.dry_run(|conn| conn.sync_in_transaction(records, &key, &filter, &options))
                .map(|(report, _)| report)
        } else {
            self.sync_in_transaction(records, &key, &filter, &options)
        };
        self.config_mut().chunk_size = saved_chunk;
        result
    }

    fn sync_in_transaction<M, K, F>(
        &mut self,
        records: Vec<M>,
        key: &K,
        filter: &F,
        options: &SyncOptions<M>,
    ) -> Result<SyncReport>
    where
        M: Writable<C::Backend> + ModelTable,
        K: KeyFields<M>,
        F: Filter<M::Table, C::Backend>,
    {
        let span = tracing::debug_span!("bulk_sync", model = M::MODEL, records = records.len());
        let _entered = span.enter();
        self.write_transaction(M::TABLE, |conn| {
            let stored = M::select_where(conn.inner_mut(), filter, None, true)?;
            let ignore = match options.only {
                Some(only) => M::all_fields().difference(only).union(options.ignore),
                None => options.ignore,
            };
            let diff = compare(stored, records, &NewWhenUnset(key), ignore)?;
            let mut report = SyncReport {
                unchanged: diff.unchanged.len(),
                ..SyncReport::default()
            };
            if !options.skip_deletes && !diff.removed.is_empty() {
                report.deleted = conn.bulk_delete(&diff.removed)?;
            }
            if !options.skip_updates && !diff.updated.is_empty() {
                let fields = diff
                    .updated
                    .iter()
                    .fold(FieldSet::EMPTY, |f, u| f.union(u.fields));
                let rows = diff
                    .updated
                    .into_iter()
                    .map(|u| {
                        let mut row = u.new;
                        row.set_key(u.old.key());
                        row
                    })
                    .collect();
                report.updated = conn.update_records(rows, Fields::Named(fields))?.len();
            }
            if !options.skip_creates && !diff.added.is_empty() {
                report.created = conn.bulk_create(diff.added)?.len();
            }
            tracing::debug!(?report, "bulk sync done");
            Ok(report)
        })
    }
}

/// A bulk sync's key fields, under which a record whose primary key is
/// unset matches nothing when they include the primary key: such a record
/// is new, and several of them are not duplicates of one another. Each is
/// told apart by its address, stable while `compare` matches them.
struct NewWhenUnset<'k, K>(&'k K);

impl<M: HookModel, K: KeyFields<M>> KeyFields<M> for NewWhenUnset<'_, K> {
    type Value<'a>
        = Result<K::Value<'a>, usize>
    where
        M: 'a;

    fn value<'a>(&self, record: &'a M) -> Self::Value<'a> {
        let primary = M::key_set().difference(self.0.fields()).is_empty();
        if primary && !record.has_key() {
            Err(std::ptr::from_ref(record) as usize)
        } else {
            Ok(self.0.value(record))
        }
    }

    fn fields(&self) -> FieldSet {
        self.0.fields()
    }
}
