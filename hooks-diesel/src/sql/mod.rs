//! The SQL-text toolkit: a lexer that knows each backend's quoting,
//! comments and placeholders (`scan`), the shape of a statement and the
//! clauses at its top level (`shape`), what each statement of a text does
//! (`statement`), and pieces of a statement's text with the binds they
//! refer to (`piece`). It knows no connection and no model.

mod forms;
mod listed;
mod piece;
mod scan;
mod shape;
mod statement;
mod top;
mod writes;

pub(crate) use listed::Listed;
#[cfg(feature = "sqlite")]
pub(crate) use piece::Carry;
pub(crate) use piece::Piece;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) use piece::Segment;
pub(crate) use piece::{push_text, writes_sql};
pub(crate) use scan::{Dialect, Lexing};
pub(crate) use scan::{Kind, ScanError};
pub(crate) use shape::Name;
pub(crate) use shape::{
    first_target, parse, Clause, Delete, Insert, InsertForm, Parsed, Row, Shape, TableRef, Update,
    Value, Values,
};
pub(crate) use statement::{effect, statements, Effect};
