use diesel::mysql::Mysql;

use super::HookBackend;

impl HookBackend for Mysql {
    const NAME: &'static str = "mysql";
    const STATEMENT_ERRORS_PERSIST: bool = true;
    /// The protocol counts a prepared statement's parameters in 16 bits.
    const BIND_LIMIT: usize = 65535;
    /// Neither `INSERT` nor `UPDATE ... RETURNING` exists in MySQL: rows
    /// written are read back by key (or from `LAST_INSERT_ID()`).
    const RETURNING: bool = false;
    const ROW_LOCKS: bool = true;
    const ARRAYS: bool = false;
    const GENERATE_KEY: &'static str = "DEFAULT";
    const DEFAULT_IN_VALUES: bool = true;
    const UPSERT_MARKS_UPDATED: bool = false;
    const UPDATE_JOIN: bool = true;
    const ASSIGNS_IN_ORDER: bool = true;
    /// A deadlock keeps its kind only on prepared statements; a
    /// transaction statement sent as text reports it as `Unknown`.
    const RETRYABLE_MESSAGES: &'static [(&'static str, &'static str)] = &[(
        "Deadlock found when trying to get lock; try restarting transaction",
        "40001",
    )];

    /// The isolation level is set for the next transaction only, then the
    /// transaction starts; `immediate` changes nothing (InnoDB locks rows
    /// as they are read `FOR UPDATE`).
    fn begin_sql(options: &crate::TransactionOptions) -> crate::Result<String> {
        let start = if options.read_only {
            "START TRANSACTION READ ONLY"
        } else {
            "START TRANSACTION"
        };
        Ok(match options.isolation {
            Some(level) => format!("SET TRANSACTION ISOLATION LEVEL {level}; {start}"),
            None => start.to_string(),
        })
    }
    /// Strict mode (MariaDB's default) fails an `UPDATE` or `DELETE` on a
    /// conversion warning its condition raises (`Truncated incorrect
    /// DECIMAL value`), which a `SELECT` of the same condition only reports,
    /// or never evaluates when its optimizer finds the condition false.
    const CHECKS_CONDITION_BY_WRITE: bool = true;
    /// MariaDB computes the assignments of an `UPDATE` whose table a
    /// subquery reads from the old row; otherwise left to right.
    const TWO_PASS_SELF_UPDATES: bool = true;
    /// MySQL writes a row constructor `VALUES ROW(..)`, MariaDB `VALUES
    /// (..)`: rows are selected with `UNION ALL` instead.
    const VALUES_TABLE: bool = false;

    /// Text bound into a derived table (`SELECT ? AS c UNION ALL ..`) is
    /// typed `CHAR` there, which drops its trailing spaces: it is cast to
    /// `CHAR`, a `VARCHAR`, which keeps them.
    fn derived_value_cast<M: crate::model::ModelBinds<Self>>(field: usize) -> Option<&'static str> {
        use diesel::mysql::MysqlType as T;
        match M::field_type(field, &mut ()).ok()? {
            T::String | T::Enum | T::Set => Some("CHAR"),
            _ => None,
        }
    }

    /// The targets MySQL's `CAST` takes, by the wire type a field reads.
    fn cast_type(metadata: &diesel::mysql::MysqlType) -> Option<&'static str> {
        use diesel::mysql::MysqlType as T;
        Some(match metadata {
            T::Tiny | T::Short | T::Long | T::LongLong => "SIGNED",
            T::UnsignedTiny | T::UnsignedShort | T::UnsignedLong | T::UnsignedLongLong => {
                "UNSIGNED"
            }
            T::Float | T::Double => "DOUBLE",
            T::Numeric => "DECIMAL(65, 30)",
            T::String | T::Enum | T::Set => "CHAR",
            T::Blob => "BINARY",
            T::Date => "DATE",
            T::Time => "TIME(6)",
            T::DateTime | T::Timestamp => "DATETIME(6)",
            _ => return None,
        })
    }

    /// `innodb_autoinc_lock_mode` 0 ("traditional") and 1 ("consecutive",
    /// MariaDB's default) give one statement consecutive keys; 2
    /// ("interleaved") may not.
    fn consecutive_auto_increment<C>(conn: &mut C) -> diesel::QueryResult<bool>
    where
        C: diesel::connection::LoadConnection<Backend = Self>,
    {
        use diesel::RunQueryDsl;
        let mode: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(@@innodb_autoinc_lock_mode AS SIGNED)",
        ))
        .get_result(conn)?;
        Ok(mode < 2)
    }
}

impl super::Capture for Mysql {
    const DIALECT: crate::sql::Dialect = crate::sql::Dialect::Mysql;
    const SPLITS_BINDS: bool = true;
    const DECODES_BINDS: bool = true;
    type Binds = diesel::query_builder::bind_collector::RawBytesBindCollector<Mysql>;

    fn capture_binds(
        query: &dyn diesel::query_builder::QueryFragment<Mysql>,
        lookup: &mut (),
    ) -> diesel::QueryResult<Self::Binds> {
        super::raw::capture_raw(query, lookup, &Mysql)
    }

    fn extend_binds<'c>(
        binds: &Self::Binds,
        lookup: &mut (),
        push: &mut dyn FnMut(
            &mut diesel::query_builder::bind_collector::RawBytesBindCollector<Mysql>,
            &mut (),
        ) -> diesel::QueryResult<()>,
    ) -> diesel::QueryResult<Self::Binds> {
        super::raw::extend_raw(binds, lookup, push)
    }

    fn bind_count(binds: &Self::Binds) -> usize {
        binds.binds.len()
    }

    fn push_placeholder(
        out: &mut diesel::query_builder::AstPass<'_, '_, Self>,
    ) -> diesel::QueryResult<()> {
        out.push_bind_param::<diesel::sql_types::Integer, i32>(&super::capture::PLACEHOLDER)
    }

    fn count_binds(
        n: usize,
        out: &mut diesel::query_builder::AstPass<'_, '_, Self>,
    ) -> diesel::QueryResult<()> {
        let _ = (n, out);
        Ok(())
    }

    fn push_binds<'b>(
        binds: &'b Self::Binds,
        out: &mut diesel::query_builder::AstPass<'_, 'b, Self>,
    ) -> diesel::QueryResult<()> {
        out.push_bind_collector_data(binds)
    }

    fn push_piece<'b>(
        piece: &'b crate::sql::Piece,
        binds: &'b Self::Binds,
        out: &mut diesel::query_builder::AstPass<'_, 'b, Self>,
    ) -> diesel::QueryResult<()> {
        super::raw::push_raw_piece(piece, binds, out)
    }

    fn decode_bind<M: crate::model::ModelBinds<Mysql>>(
        binds: &Self::Binds,
        index: usize,
        field: usize,
        record: &mut M,
        lookup: &mut (),
    ) -> bool {
        super::raw::decode_raw(binds, index, field, record, lookup, |record, bytes, ty| {
            let value = bytes.map(|raw| diesel::mysql::MysqlValue::new(raw, *ty));
            record.decode_field(field, value).is_ok()
        })
    }

    fn binds_of_field_type<M: crate::model::ModelBinds<Mysql>>(
        binds: &Self::Binds,
        indexes: &[usize],
        field: usize,
        lookup: &mut (),
    ) -> bool {
        super::raw::binds_of_field_type::<Mysql, M>(binds, indexes, field, lookup)
    }
}

impl super::Session for Mysql {
    /// `sql_mode`'s `ANSI_QUOTES` (also in `ANSI`) makes `"` quote names;
    /// `NO_BACKSLASH_ESCAPES` makes a backslash an ordinary character.
    fn lexing<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
    ) -> diesel::QueryResult<crate::sql::Lexing> {
        use diesel::RunQueryDsl;
        let mode: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "CAST(@@SESSION.sql_mode AS CHAR)",
        ))
        .get_result(conn)?;
        let has = |flag: &str| mode.split(',').any(|m| m.eq_ignore_ascii_case(flag));
        Ok(crate::sql::Lexing {
            ansi_quotes: has("ANSI_QUOTES") || has("ANSI"),
            backslash_escapes: !has("NO_BACKSLASH_ESCAPES"),
            ..crate::sql::Lexing::default_for(crate::sql::Dialect::Mysql)
        })
    }

    /// Table names are case-sensitive unless the server stores them in
    /// lower case (`lower_case_table_names` 1 or 2), quoted or not.
    fn names_table<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
        written: &crate::sql::Name,
        table: &str,
    ) -> diesel::QueryResult<bool> {
        if written.text == table {
            return Ok(true);
        }
        folds_case(conn)
    }

    /// From `information_schema.COLUMNS`: MariaDB gives each default as
    /// SQL (`'new'`, `0`, `current_timestamp(6)`, `NULL`); MySQL gives
    /// literals unquoted and marks expressions `DEFAULT_GENERATED`. An
    /// auto-increment column is generated.
    fn column_defaults<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
        table: &str,
    ) -> diesel::QueryResult<Vec<super::ColumnDefault>> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Column {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            default: Option<String>,
            #[diesel(sql_type = diesel::sql_types::Text)]
            extra: String,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            mariadb: bool,
        }
        let columns: Vec<Column> = diesel::sql_query(
            "SELECT CAST(COLUMN_NAME AS CHAR) AS name, CAST(COLUMN_DEFAULT AS CHAR) AS `default`, \
             CAST(EXTRA AS CHAR) AS extra, VERSION() LIKE '%MariaDB%' AS mariadb \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        )
        .bind::<diesel::sql_types::Text, _>(table)
        .load(conn)?;
        Ok(columns
            .into_iter()
            .map(|c| {
                let extra = c.extra.to_ascii_lowercase();
                let generated = extra.contains("auto_increment") || extra.contains("generated");
                let expression = c.mariadb || extra.contains("default_generated");
                super::ColumnDefault {
                    column: c.name,
                    default: match c.default {
                        _ if generated && !extra.contains("default_generated") => None,
                        Some(d) if expression => Some(d),
                        Some(d) => Some(format!("'{}'", d.replace('\'', "''"))),
                        None => None,
                    },
                }
            })
            .collect())
    }

    /// The current database (`DATABASE()`), with the server's case rule.
    fn qualifies_table<C: diesel::connection::LoadConnection<Backend = Self>>(
        conn: &mut C,
        qualifier: &[crate::sql::Name],
        _table: &str,
    ) -> diesel::QueryResult<bool> {
        use diesel::RunQueryDsl;
        let [database] = qualifier else {
            return Ok(false);
        };
        let current: Option<String> = diesel::select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Text>,
        >("DATABASE()"))
        .get_result(conn)?;
        Ok(match current {
            Some(current) if current == database.text => true,
            Some(current) if current.eq_ignore_ascii_case(&database.text) => folds_case(conn)?,
            _ => false,
        })
    }
}

/// Whether the server compares table and database names without regard
/// to case (`lower_case_table_names` other than 0).
fn folds_case<C: diesel::connection::LoadConnection<Backend = Mysql>>(
    conn: &mut C,
) -> diesel::QueryResult<bool> {
    use diesel::RunQueryDsl;
    let mode: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "CAST(@@lower_case_table_names AS SIGNED)",
    ))
    .get_result(conn)?;
    Ok(mode != 0)
}
