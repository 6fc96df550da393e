//! `#[derive(HookModel)]` for Diesel model structs used with `hooks-diesel`.
//!
//! Use it through `hooks_diesel::HookModel`, next to Diesel's own derives:
//!
//! ```ignore
//! use hooks_diesel::HookModel;
//!
//! diesel::table! {
//!     accounts (id) {
//!         id -> BigInt,
//!         owner -> Text,
//!         balance -> BigInt,
//!     }
//! }
//!
//! #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug, PartialEq)]
//! #[diesel(table_name = accounts)]
//! pub struct Account {
//!     #[diesel(skip_insertion)]
//!     pub id: i64,
//!     pub owner: String,
//!     #[diesel(column_name = balance)]
//!     pub amount: i64,
//! }
//!
//! // One typed descriptor per field, for conditions and key lists:
//! let rich = Account::AMOUNT.gt(1_000);
//! ```
//!
//! The derive implements `hooks_core::HookModel` (key, field list, `diff`),
//! `hooks_diesel::TableModel` and `hooks_diesel::DieselHookModel<DB>` for
//! every backend the field types convert to, and adds one
//! `hooks_core::Field` constant per field (`Account::OWNER`, ...).
//!
//! # Attributes
//!
//! Read from Diesel's own `#[diesel(...)]` attributes (every other Diesel
//! option is ignored):
//!
//! - `table_name = path` (required): the module made by `diesel::table!`;
//! - `primary_key(a, b)`: the key columns, in key order (default: `id`);
//! - on a field, `column_name = name` and `skip_insertion`.
//!
//! Our own `#[hook(...)]`:
//!
//! - `crate = "path"` on the struct: where `hooks_diesel` is, when it is
//!   re-exported under another name (default `::hooks_diesel`).
//!
//! Structs with named fields only, at most 64 of them, without generic
//! parameters.

extern crate proc_macro;

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Implements `HookModel`, `TableModel` and `DieselHookModel<DB>` for a
/// Diesel model struct, and adds one typed field descriptor per field.
///
/// See the [crate documentation](crate) for the attributes it reads.
#[proc_macro_derive(HookModel, attributes(diesel, hook))]
pub fn derive_hook_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
