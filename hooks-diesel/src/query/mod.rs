//! The SQL the hooked operations send, as Diesel query fragments built from
//! a model's metadata and per-field binds (one statement per chunk).

/// `QueryId` and `Query` for a statement type of this module:
/// `uncached_statement!([generics] Type => SqlType)`. None has a static
/// query id (their text varies with the chunk, the filter or the model's
/// selection), like Diesel's own `sql_query`; `SqlType` is what its rows
/// are (a model's selection, a key, a pair of rows).
macro_rules! uncached_statement {
    ([$($generics:tt)*] $statement:ty => $sql_type:ty) => {
        impl<$($generics)*> diesel::query_builder::QueryId for $statement {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl<$($generics)*> diesel::query_builder::Query for $statement {
            type SqlType = $sql_type;
        }
    };
}

mod captured;
mod column;
mod delete;
mod filter;
mod framed;
mod insert;
mod keys;
mod load;
mod project;
mod read_back;
mod select;
mod statements;
mod target;
mod update;

pub(crate) use captured::{push_piece, Captured};
pub(crate) use column::binds_as_arrays;
pub use column::Column;
pub(crate) use delete::DeleteWhere;
pub use filter::{AllRows, Changes, Filter};
pub use framed::Frame;
pub(crate) use insert::{
    caller_order, inserts_by_arrays, statement_order, InsertRows, SelectInserted,
};
pub(crate) use keys::{in_key_order, key_binds, key_columns, push_key_in};
pub(crate) use load::load_rows;
pub use load::LoadRow;
pub use project::Projection;
pub(crate) use project::SelectProjected;
pub(crate) use read_back::ReadBack;
pub(crate) use select::{SelectByKeys, SelectKeyList, SelectWhere, SelectsRows};
pub use statements::Writable;
pub(crate) use target::{NoFilter, Target, Unmet};
pub(crate) use update::{push_rows, UpdateRows, UpdateSet};
