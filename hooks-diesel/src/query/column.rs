//! One column of a chunk, bound as a single array parameter on backends
//! that have arrays (PostgreSQL: `unnest($1, $2)`, `key = ANY($1)`), so a
//! statement's text does not grow with the chunk and its plan uses the key
//! index.

use std::fmt;

use diesel::backend::Backend;
use diesel::sql_types::TypeMetadata;
use diesel::QueryResult;

use crate::backend::HookBackend;
use crate::model::ModelBinds;
use hooks_core::{FieldSet, HookModel};

/// The values of one field across records, or of one key part across keys.
pub enum Column<'a, M: HookModel> {
    /// Field `field` of each record.
    Field {
        /// The records.
        records: &'a [M],
        /// The field's index.
        field: usize,
    },
    /// Part `part` of each key.
    Key {
        /// The keys.
        keys: &'a [M::Key],
        /// The key part (0 for a single-column key).
        part: usize,
    },
}

impl<M: HookModel> Column<'_, M> {
    /// The index of the field the column holds.
    pub fn field(&self) -> usize {
        match self {
            Column::Field { field, .. } => *field,
            Column::Key { part, .. } => M::key_fields().nth(*part).unwrap_or(usize::MAX),
        }
    }

    /// Serializes every value of the column into `collector`, in order.
    pub fn collect<'c, DB: HookBackend>(
        &'c self,
        collector: &mut <DB as Backend>::BindCollector<'c>,
        lookup: &mut <DB as TypeMetadata>::MetadataLookup,
    ) -> QueryResult<()>
    where
        M: ModelBinds<DB>,
    {
        match self {
            Column::Field { records, field } => records
                .iter()
                .try_for_each(|r| r.collect_field(*field, collector, lookup)),
            Column::Key { keys, part } => keys
                .iter()
                .try_for_each(|k| M::collect_key(k, *part, collector, lookup)),
        }
    }

    /// How many values the column holds.
    pub fn len(&self) -> usize {
        match self {
            Column::Field { records, .. } => records.len(),
            Column::Key { keys, .. } => keys.len(),
        }
    }

    /// True when the column holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<M: HookModel> fmt::Debug for Column<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Column({} of {}, {} values)",
            self.field(),
            M::MODEL,
            self.len()
        )
    }
}

/// Whether `fields` may be bound as [`Column`] arrays on `DB`: it has array
/// parameters, and none of them is itself an array (PostgreSQL has no
/// arrays of arrays), else statements send `VALUES` rows.
pub(crate) fn binds_as_arrays<M: ModelBinds<DB>, DB: HookBackend>(fields: FieldSet) -> bool {
    DB::ARRAYS && M::array_fields().intersection(fields).is_empty()
}
