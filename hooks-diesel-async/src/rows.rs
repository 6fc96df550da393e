//! Rows that leave the blocking thread: a statement runs on the sync
//! connection in `spawn_blocking`, and its rows are copied into owned,
//! `Send` rows that diesel-async's `RunQueryDsl` decodes on the caller's
//! task. SQLite has Diesel's own owned row; PostgreSQL and MySQL rows are
//! copied here (the raw bytes, the type of each value, the column names).

use std::sync::Arc;

use diesel::backend::Backend;
use diesel::connection::LoadConnection;
use diesel::row::{Field, PartialRow, Row, RowIndex, RowSealed};

/// A sync connection whose rows can be owned and sent to another thread
/// (SQLite, PostgreSQL, MySQL). Implemented per backend; not meant to be
/// implemented elsewhere.
pub trait OwnRow: LoadConnection + 'static {
    /// The owned row.
    type Owned: for<'a> Row<'a, Self::Backend> + Send + 'static;
    /// What rows of one result share (their column names).
    type Cache: Default;

    /// Copies one row.
    fn own(row: <Self as LoadConnection>::Row<'_, '_>, cache: &mut Self::Cache) -> Self::Owned;
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use diesel::connection::LoadConnection;
    use diesel::row::IntoOwnedRow;
    use diesel::sqlite::{Sqlite, SqliteConnection};

    type Borrowed = <SqliteConnection as LoadConnection>::Row<'static, 'static>;

    /// Diesel's own owned row (the one its `SyncConnectionWrapper` uses).
    impl super::OwnRow for SqliteConnection {
        type Owned = <Borrowed as IntoOwnedRow<'static, Sqlite>>::OwnedRow;
        type Cache = <Borrowed as IntoOwnedRow<'static, Sqlite>>::Cache;

        fn own(row: <Self as LoadConnection>::Row<'_, '_>, cache: &mut Self::Cache) -> Self::Owned {
            IntoOwnedRow::into_owned(row, cache)
        }
    }
}

/// A row of PostgreSQL or MySQL, owned: each value's bytes and type.
pub struct OwnedRow<M> {
    values: Vec<Option<(Vec<u8>, M)>>,
    names: Arc<[Option<String>]>,
}

impl<M> RowSealed for OwnedRow<M> {}

impl<M> RowIndex<usize> for OwnedRow<M> {
    fn idx(&self, idx: usize) -> Option<usize> {
        (idx < self.values.len()).then_some(idx)
    }
}

impl<'n, M> RowIndex<&'n str> for OwnedRow<M> {
    fn idx(&self, name: &'n str) -> Option<usize> {
        self.names.iter().position(|n| n.as_deref() == Some(name))
    }
}

/// A field of an [`OwnedRow`].
pub struct OwnedField<'r, M> {
    row: &'r OwnedRow<M>,
    idx: usize,
}

/// How a backend's raw value is made from owned bytes and type.
pub trait RawFrom: Backend {
    /// What a value's type is kept as.
    type Meta: Send + 'static;
    /// The raw value Diesel decodes.
    fn raw<'a>(bytes: &'a [u8], meta: &'a Self::Meta) -> Self::RawValue<'a>;
}

impl<'a, DB> Row<'a, DB> for OwnedRow<DB::Meta>
where
    DB: RawFrom,
{
    type Field<'f>
        = OwnedField<'f, DB::Meta>
    where
        'a: 'f,
        Self: 'f;
    type InnerPartialRow = Self;

    fn field_count(&self) -> usize {
        self.values.len()
    }

    fn get<'f, I>(&'f self, idx: I) -> Option<Self::Field<'f>>
    where
        'a: 'f,
        Self: RowIndex<I>,
    {
        let idx = self.idx(idx)?;
        Some(OwnedField { row: self, idx })
    }

    fn partial_row(&self, range: std::ops::Range<usize>) -> PartialRow<'_, Self> {
        PartialRow::new::<DB>(self, range)
    }
}

impl<'r, DB: RawFrom> Field<'r, DB> for OwnedField<'r, DB::Meta> {
    fn field_name(&self) -> Option<&str> {
        self.row.names.get(self.idx).and_then(|n| n.as_deref())
    }

    fn value(&self) -> Option<DB::RawValue<'_>> {
        let (bytes, meta) = self.row.values.get(self.idx)?.as_ref()?;
        Some(DB::raw(bytes, meta))
    }
}

/// Copies a borrowed row of `DB` with `meta` reading each value's type.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn copy_row<'a, DB, R>(
    row: R,
    names: &mut Option<Arc<[Option<String>]>>,
    meta: impl Fn(&DB::RawValue<'_>) -> DB::Meta,
) -> OwnedRow<DB::Meta>
where
    DB: RawFrom,
    R: Row<'a, DB>,
    for<'v> DB::RawValue<'v>: AsBytes,
{
    let count = row.field_count();
    let values = (0..count)
        .map(|i| {
            let field = row.get(i)?;
            field.value().map(|v| (v.bytes().to_vec(), meta(&v)))
        })
        .collect();
    let names = names
        .get_or_insert_with(|| {
            (0..count)
                .map(|i| row.get(i).and_then(|f| f.field_name().map(str::to_owned)))
                .collect()
        })
        .clone();
    OwnedRow { values, names }
}

/// The bytes of a raw value.
#[cfg(any(feature = "postgres", feature = "mysql"))]
trait AsBytes {
    fn bytes(&self) -> &[u8];
}

#[cfg(feature = "postgres")]
mod pg {
    use std::num::NonZeroU32;

    use diesel::connection::LoadConnection;
    use std::sync::Arc;

    use diesel::pg::{Pg, PgConnection, PgValue};

    use super::{copy_row, AsBytes, OwnedRow, RawFrom};

    impl AsBytes for PgValue<'_> {
        fn bytes(&self) -> &[u8] {
            self.as_bytes()
        }
    }

    impl RawFrom for Pg {
        type Meta = NonZeroU32;
        fn raw<'a>(bytes: &'a [u8], oid: &'a NonZeroU32) -> PgValue<'a> {
            PgValue::new(bytes, oid)
        }
    }

    impl super::OwnRow for PgConnection {
        type Owned = OwnedRow<NonZeroU32>;
        type Cache = Option<Arc<[Option<String>]>>;

        fn own(row: <Self as LoadConnection>::Row<'_, '_>, cache: &mut Self::Cache) -> Self::Owned {
            copy_row::<Pg, _>(row, cache, |v: &PgValue<'_>| v.get_oid())
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use diesel::connection::LoadConnection;
    use std::sync::Arc;

    use diesel::mysql::{Mysql, MysqlConnection, MysqlType, MysqlValue};

    use super::{copy_row, AsBytes, OwnedRow, RawFrom};

    impl AsBytes for MysqlValue<'_> {
        fn bytes(&self) -> &[u8] {
            self.as_bytes()
        }
    }

    impl RawFrom for Mysql {
        type Meta = MysqlType;
        fn raw<'a>(bytes: &'a [u8], tpe: &'a MysqlType) -> MysqlValue<'a> {
            MysqlValue::new(bytes, *tpe)
        }
    }

    impl super::OwnRow for MysqlConnection {
        type Owned = OwnedRow<MysqlType>;
        type Cache = Option<Arc<[Option<String>]>>;

        fn own(row: <Self as LoadConnection>::Row<'_, '_>, cache: &mut Self::Cache) -> Self::Owned {
            copy_row::<Mysql, _>(row, cache, |v: &MysqlValue<'_>| v.value_type())
        }
    }
}
