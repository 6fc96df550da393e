use std::io::Write;

use diesel::pg::Pg;
use diesel::query_builder::bind_collector::RawBytesBindCollector;
use diesel::query_builder::AstPass;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Array, HasSqlType};
use diesel::QueryResult;

use super::HookBackend;
use crate::model::DieselHookModel;
use crate::query::Column;

impl HookBackend for Pg {
    const NAME: &'static str = "postgres";
    /// The wire protocol counts parameters in 16 bits.
    const BIND_LIMIT: usize = 65535;
    const RETURNING: bool = true;
    const ROW_LOCKS: bool = true;
    const ARRAYS: bool = true;

    fn push_array<'b, ST: 'static, M>(
        column: &'b Column<'_, M>,
        out: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()>
    where
        Self: HasSqlType<ST>,
        M: DieselHookModel<Self>,
    {
        out.push_bind_param::<Array<ST>, Column<'_, M>>(column)
    }
}

/// A column as a one-dimensional PostgreSQL array (the binary format of
/// `array_send`), each element serialized by its own `ToSql`.
impl<M, ST> ToSql<Array<ST>, Pg> for Column<'_, M>
where
    M: DieselHookModel<Pg>,
    Pg: HasSqlType<ST>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let mut elements = RawBytesBindCollector::<Pg>::new();
        self.collect::<Pg>(&mut elements, out.metadata_lookup())?;
        let element_oid = <Pg as HasSqlType<ST>>::metadata(out.metadata_lookup()).oid()?;
        let header: [i32; 2] = [1, 0]; // one dimension, no flags
        for word in header {
            out.write_all(&word.to_be_bytes())?;
        }
        out.write_all(&element_oid.to_be_bytes())?;
        out.write_all(&i32::try_from(self.len())?.to_be_bytes())?;
        out.write_all(&1i32.to_be_bytes())?; // lower bound
        for element in &elements.binds {
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
}

impl super::Capture for Pg {
    const DIALECT: crate::capture::Dialect = crate::capture::Dialect::Postgres;
    const SPLITS_BINDS: bool = true;
    type Binds = RawBytesBindCollector<Pg>;

    fn capture_binds(
        query: &dyn diesel::query_builder::QueryFragment<Pg>,
        lookup: &mut (dyn diesel::pg::PgMetadataLookup + 'static),
    ) -> QueryResult<Self::Binds> {
        super::raw::capture_raw(query, lookup, &Pg)
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
        piece: &'b crate::capture::Piece,
        binds: &'b Self::Binds,
        out: &mut AstPass<'_, 'b, Self>,
    ) -> QueryResult<()> {
        super::raw::push_raw_piece(piece, binds, out)
    }
}
