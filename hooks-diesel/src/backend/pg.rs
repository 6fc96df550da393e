use std::io::Write;

use diesel::pg::Pg;
use diesel::query_builder::bind_collector::RawBytesBindCollector;
use diesel::query_builder::AstPass;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Array, HasSqlType};
use diesel::QueryResult;

use super::HookBackend;
use crate::model::ModelBinds;
use crate::query::Column;

impl HookBackend for Pg {
    const NAME: &'static str = "postgres";
    /// The wire protocol counts parameters in 16 bits.
    const BIND_LIMIT: usize = 65535;
    const RETURNING: bool = true;
    const ROW_LOCKS: bool = true;
    const ARRAYS: bool = true;
    const UPDATE_JOIN: bool = false;
    const GENERATE_KEY: &'static str = "DEFAULT";
    const CHECKS_CONDITION_BY_WRITE: bool = false;
    const TWO_PASS_SELF_UPDATES: bool = false;
    const DEFAULT_IN_VALUES: bool = true;
    const VALUES_TABLE: bool = true;
    const ASSIGNS_IN_ORDER: bool = false;
    const UPSERT_MARKS_UPDATED: bool = true;
    /// 40P01, which Diesel reports as `Unknown`.
    const RETRYABLE_MESSAGES: &'static [(&'static str, &'static str)] =
        &[("deadlock detected", "40P01")];

    fn begin_sql(options: &crate::TransactionOptions) -> crate::Result<String> {
        let mut modes = Vec::new();
        if let Some(level) = options.isolation {
            modes.push(format!("ISOLATION LEVEL {level}"));
        }
        if options.read_only {
            modes.push("READ ONLY".to_string());
        }
        Ok(if modes.is_empty() {
            "BEGIN".to_string()
        } else {
            format!("BEGIN TRANSACTION {}", modes.join(", "))
        })
    }

    /// The built-in types by OID; other types are read as they are.
    fn cast_type(metadata: &diesel::pg::PgTypeMetadata) -> Option<&'static str> {
        Some(match metadata.oid().ok()? {
            16 => "boolean",
            17 => "bytea",
            20 => "bigint",
            21 => "smallint",
            23 => "integer",
            25 => "text",
            114 => "json",
            700 => "real",
            701 => "double precision",
            1042 => "character",
            1043 => "character varying",
            1082 => "date",
            1083 => "time",
            1114 => "timestamp",
            1184 => "timestamptz",
            1186 => "interval",
            1700 => "numeric",
            2950 => "uuid",
            3802 => "jsonb",
            1000 => "boolean[]",
            1005 => "smallint[]",
            1007 => "integer[]",
            1016 => "bigint[]",
            1009 => "text[]",
            1015 => "character varying[]",
            1021 => "real[]",
            1022 => "double precision[]",
            1115 => "timestamp[]",
            1182 => "date[]",
            1231 => "numeric[]",
            2951 => "uuid[]",
            _ => return None,
        })
    }

    fn push_array<'b, ST: 'static, M>(
        column: &'b Column<'_, M>,
        out: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()>
    where
        Self: HasSqlType<ST>,
        M: ModelBinds<Self>,
    {
        out.push_bind_param::<Array<ST>, Column<'_, M>>(column)
    }
}

/// A column as a one-dimensional PostgreSQL array (the binary format of
/// `array_send`), each element serialized by its own `ToSql`.
impl<M, ST> ToSql<Array<ST>, Pg> for Column<'_, M>
where
    M: ModelBinds<Pg>,
    Pg: HasSqlType<ST>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let mut elements = RawBytesBindCollector::<Pg>::new();
        self.collect::<Pg>(&mut elements, out.metadata_lookup())?;
        let element_oid = <Pg as HasSqlType<ST>>::metadata(out.metadata_lookup()).oid()?;
        write_array(
            out,
            element_oid,
            elements.binds.iter().map(Option::as_deref),
        )
    }
}

/// Writes a one-dimensional array in `array_send`'s format: one
/// dimension, no flags, the element type, the length and lower bound 1,
/// then each element, length first (`-1`: `NULL`).
fn write_array<'e>(
    out: &mut impl Write,
    element_oid: u32,
    elements: impl ExactSizeIterator<Item = Option<&'e [u8]>>,
) -> serialize::Result {
    for word in [1i32, 0] {
        out.write_all(&word.to_be_bytes())?;
    }
    out.write_all(&element_oid.to_be_bytes())?;
    out.write_all(&i32::try_from(elements.len())?.to_be_bytes())?;
    out.write_all(&1i32.to_be_bytes())?;
    for element in elements {
        match element {
            Some(bytes) => {
                out.write_all(&i32::try_from(bytes.len())?.to_be_bytes())?;
                out.write_all(bytes)?;
            }
            None => out.write_all(&(-1i32).to_be_bytes())?,
        }
    }
    Ok(IsNull::No)
}

impl super::Capture for Pg {
    const DIALECT: crate::sql::Dialect = crate::sql::Dialect::Postgres;
    const SPLITS_BINDS: bool = true;
    const DECODES_BINDS: bool = true;
    type Binds = RawBytesBindCollector<Pg>;

    fn capture_binds(
        query: &dyn diesel::query_builder::QueryFragment<Pg>,
        lookup: &mut (dyn diesel::pg::PgMetadataLookup + 'static),
    ) -> QueryResult<Self::Binds> {
        super::raw::capture_raw(query, lookup, &Pg)
    }

    fn extend_binds<'c>(
        binds: &Self::Binds,
        lookup: &mut (dyn diesel::pg::PgMetadataLookup + 'static),
        push: &mut dyn FnMut(
            &mut diesel::query_builder::bind_collector::RawBytesBindCollector<Pg>,
            &mut (dyn diesel::pg::PgMetadataLookup + 'static),
        ) -> diesel::QueryResult<()>,
    ) -> diesel::QueryResult<Self::Binds> {
        super::raw::extend_raw(binds, lookup, push)
    }

    fn bind_count(binds: &Self::Binds) -> usize {
        binds.binds.len()
    }

    fn push_placeholder(out: &mut AstPass<'_, '_, Self>) -> QueryResult<()> {
        out.push_bind_param::<diesel::sql_types::Integer, i32>(&super::capture::PLACEHOLDER)
    }

    fn count_binds(n: usize, out: &mut AstPass<'_, '_, Self>) -> QueryResult<()> {
        for _ in 0..n {
            out.push_bind_param_value_only::<diesel::sql_types::Integer, i32>(
                &super::capture::PLACEHOLDER,
            )?;
        }
        Ok(())
    }

    fn push_binds<'b>(binds: &'b Self::Binds, out: &mut AstPass<'_, 'b, Self>) -> QueryResult<()> {
        out.push_bind_collector_data(binds)
    }

    fn push_piece<'b>(
        piece: &'b crate::sql::Piece,
        binds: &'b Self::Binds,
        out: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()> {
        super::raw::push_raw_piece(piece, binds, out)
    }

    fn column_arrays(binds: &Self::Binds, rows: &[Vec<usize>]) -> Option<Self::Binds> {
        let width = rows.first()?.len();
        let mut arrays = RawBytesBindCollector::<Pg>::new();
        for column in 0..width {
            let ty = binds.metadata.get(*rows[0].get(column)?)?;
            let (element, array) = (ty.oid().ok()?, ty.array_oid().ok()?);
            if array == 0 {
                return None;
            }
            let values = rows
                .iter()
                .map(|row| {
                    let at = *row.get(column)?;
                    if row.len() != width || binds.metadata.get(at)? != ty {
                        return None;
                    }
                    binds.binds.get(at).map(Option::as_deref)
                })
                .collect::<Option<Vec<Option<&[u8]>>>>()?;
            let mut bytes = Vec::new();
            write_array(&mut bytes, element, values.into_iter()).ok()?;
            arrays.binds.push(Some(bytes));
            arrays
                .metadata
                .push(diesel::pg::PgTypeMetadata::new(array, 0));
        }
        Some(arrays)
    }

    fn array_len(binds: &Self::Binds, index: usize) -> Option<usize> {
        let bytes = binds.binds.get(index)?.as_deref()?;
        let word = |at: usize| {
            let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
            Some(i32::from_be_bytes(raw))
        };
        // The header `write_array` writes: dimensions, flags, element
        // type, then per dimension its length; no dimension: empty.
        match word(0)? {
            0 => Some(0),
            1 => usize::try_from(word(12)?).ok(),
            _ => None,
        }
    }

    fn decode_bind<M: ModelBinds<Pg>>(
        binds: &Self::Binds,
        index: usize,
        field: usize,
        record: &mut M,
        lookup: &mut (dyn diesel::pg::PgMetadataLookup + 'static),
    ) -> bool {
        super::raw::decode_raw(binds, index, field, record, lookup, |record, bytes, ty| {
            let Some(oid) = ty.oid().ok().and_then(std::num::NonZeroU32::new) else {
                return false;
            };
            let value = bytes.map(|raw| diesel::pg::PgValue::new(raw, &oid));
            record.decode_field(field, value).is_ok()
        })
    }
}

impl super::Session for Pg {
    /// With `standard_conforming_strings` off, `'..'` strings take
    /// backslash escapes.
    fn lexing<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
    ) -> QueryResult<crate::sql::Lexing> {
        use diesel::RunQueryDsl;
        let standard: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "current_setting('standard_conforming_strings')",
        ))
        .get_result(conn)?;
        Ok(crate::sql::Lexing {
            backslash_escapes: standard != "on",
            ..crate::sql::Lexing::default_for(crate::sql::Dialect::Postgres)
        })
    }

    /// An unquoted name is folded to lower case; a quoted one is exact.
    fn names_table<C: diesel::connection::LoadConnection<Backend = Self>>(
        _conn: &mut C,
        written: &crate::sql::Name,
        table: &str,
    ) -> QueryResult<bool> {
        Ok(if written.quoted {
            written.text == table
        } else {
            written.text.to_ascii_lowercase() == table
        })
    }

    /// From `pg_attrdef`; a default drawing from a sequence (`serial`) and
    /// identity or generated columns are not evaluated.
    fn column_defaults<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
        table: &str,
    ) -> QueryResult<Vec<super::ColumnDefault>> {
        use diesel::RunQueryDsl;
        let columns: Vec<super::session::CatalogColumn> = diesel::sql_query(
            "SELECT a.attname::text AS name, pg_get_expr(d.adbin, d.adrelid) AS default, \
             (a.attidentity <> '' OR a.attgenerated <> '' \
              OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%', false)) AS generated \
             FROM pg_attribute a LEFT JOIN pg_attrdef d \
             ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
        )
        .bind::<diesel::sql_types::Text, _>(super::session::quoted(table))
        .load(conn)?;
        Ok(columns.into_iter().map(Into::into).collect())
    }

    /// The same relation, asked of the catalog (`to_regclass` follows the
    /// search path for the unqualified name).
    fn qualifies_table<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
        qualifier: &[crate::sql::Name],
        table: &str,
    ) -> QueryResult<bool> {
        use diesel::RunQueryDsl;
        let mut qualified: Vec<String> = qualifier
            .iter()
            .map(|part| {
                if part.quoted {
                    super::session::quoted(&part.text)
                } else {
                    super::session::quoted(&part.text.to_ascii_lowercase())
                }
            })
            .collect();
        qualified.push(super::session::quoted(table));
        diesel::select(
            diesel::dsl::sql::<diesel::sql_types::Bool>("COALESCE(to_regclass(")
                .bind::<diesel::sql_types::Text, _>(qualified.join("."))
                .sql(") = to_regclass(")
                .bind::<diesel::sql_types::Text, _>(super::session::quoted(table))
                .sql("), false)"),
        )
        .get_result(conn)
    }
}
