//! `#[derive(HookModel)]` for Diesel model structs used with `hooks-diesel`.
//!
//! Use it through `hooks_diesel::HookModel` (or `hooks_diesel::prelude`),
//! next to Diesel's own derives; [`HookModel`](derive@HookModel) documents
//! what it generates and every attribute it reads, each with an example.
//!
//! ```
//! use diesel::prelude::*;
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
//! let ada = Account { id: 1, owner: "ada".into(), amount: 5_000 };
//! assert!(rich.check(&ada, None));
//! ```

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
/// Derive it next to Diesel's `Queryable` and `Selectable`, which the hooked
/// operations read rows with (`Insertable`, `Identifiable` and
/// `AsChangeset` are for your own Diesel code; the hooked operations build
/// their statements from what this derive generates).
///
/// ```
/// use diesel::prelude::*;
/// use hooks_diesel::prelude::*;
///
/// diesel::table! {
///     accounts (id) {
///         id -> BigInt,
///         owner -> Text,
///         balance -> BigInt,
///     }
/// }
///
/// #[derive(Queryable, Selectable, Insertable, HookModel, Clone, Debug, PartialEq)]
/// #[diesel(table_name = accounts)]
/// pub struct Account {
///     #[diesel(skip_insertion)]
///     pub id: i64,
///     pub owner: String,
///     pub balance: i64,
/// }
///
/// let registry: Registry<HookedConnection<SqliteConnection>> = Registry::new().with(
///     Hook::after_update(|_ctx, batch: &Batch<Account>| Ok(()))
///         .when(Account::BALANCE.changed()),
/// );
/// # assert_eq!(registry.count::<Account>(Event::AfterUpdate), 1);
/// ```
///
/// # What it generates
///
/// - `impl hooks_core::HookModel`: the model's name (`MODEL`), its SQL table
///   (`TABLE`), the field list in declaration order (`FIELDS`), the primary
///   key (`key`, a tuple for composite keys), whether a record still has
///   the placeholder key of a record not yet created (`0`, `None` or an
///   empty string; `has_key`), and `diff`, the set of fields whose values
///   differ between two records (a bit set: nothing is allocated);
/// - one `pub const` descriptor per field, named after the field in upper
///   case (`balance` gives `Account::BALANCE`), of type
///   `hooks_core::Field<Account, i64>`: conditions (`Account::BALANCE.gt(0)`)
///   and key lists (`Account::OWNER`) name fields that exist, with their
///   real type, or fail to compile;
/// - `impl hooks_diesel::TableModel` (the `table` type of the model's
///   table module);
/// - `impl hooks_diesel::DieselHookModel<DB>` for every backend `DB` the
///   field types convert to: binding each field and key part, which the
///   bulk statements use.
///
/// Structs with named fields only, at most 64 of them, without generic
/// parameters. Mistakes are compile errors pointing at the attribute or
/// field at fault, all of them reported at once.
///
/// # Attributes
///
/// The derive reads Diesel's own `#[diesel(...)]` attributes, so a model
/// states its table, key and columns once; every other Diesel option is
/// left to Diesel. Its own `#[hook(...)]` attribute takes one option.
///
/// ## Required container attributes
///
/// * `#[diesel(table_name = path::to::table)]`, the module
///   `diesel::table!` made for the model's table. The table's name is the
///   last segment of the path.
///
///   ```
///   # use diesel::prelude::*;
///   # use hooks_diesel::prelude::*;
///   mod schema {
///       diesel::table! {
///           users (id) { id -> Integer, name -> Text, }
///       }
///   }
///
///   #[derive(Queryable, Selectable, HookModel, Clone, Debug)]
///   #[diesel(table_name = schema::users)]
///   struct User {
///       id: i32,
///       name: String,
///   }
///
///   assert_eq!(<User as hooks_diesel::HookModel>::TABLE, "users");
///   ```
///
/// ## Optional container attributes
///
/// * `#[diesel(primary_key(column, ...))]`, the primary-key columns in key
///   order, as for Diesel's `Identifiable`. Default: `id`. With several
///   columns, the key is a tuple in this order, and every part must be set
///   when the record is written (the caller chooses composite keys).
///
///   ```
///   # use diesel::prelude::*;
///   # use hooks_diesel::prelude::*;
///   diesel::table! {
///       memberships (org_id, user_id) { org_id -> BigInt, user_id -> BigInt, role -> Text, }
///   }
///
///   #[derive(Queryable, Selectable, HookModel, Clone, Debug)]
///   #[diesel(table_name = memberships, primary_key(org_id, user_id))]
///   struct Membership {
///       org_id: i64,
///       user_id: i64,
///       role: String,
///   }
///
///   let member = Membership { org_id: 7, user_id: 42, role: "admin".into() };
///   assert_eq!(hooks_diesel::HookModel::key(&member), (7, 42));
///   ```
///
/// * `#[hook(crate = "path::to::hooks_diesel")]`, where the generated code
///   finds `hooks_diesel` when a crate re-exports it under another name.
///   Default: `::hooks_diesel`.
///
///   ```
///   # use diesel::prelude::*;
///   // A crate that depends on `hooks_diesel` only through a re-export:
///   mod my_framework {
///       pub use hooks_diesel as hooks;
///   }
///   use my_framework::hooks::HookModel;
///
///   diesel::table! {
///       notes (id) { id -> BigInt, body -> Text, }
///   }
///
///   #[derive(Queryable, Selectable, HookModel, Clone, Debug)]
///   #[diesel(table_name = notes)]
///   #[hook(crate = "my_framework::hooks")]
///   struct Note {
///       id: i64,
///       body: String,
///   }
///   # fn main() {
///   assert_eq!(Note::BODY.name(), "body");
///   # }
///   ```
///
/// ## Optional field attributes
///
/// * `#[diesel(column_name = some_column)]`, the column of a field whose
///   name differs from it, as for Diesel's derives. The descriptor keeps
///   the field's name (`Account::AMOUNT`); SQL uses the column.
///
///   ```
///   # use diesel::prelude::*;
///   # use hooks_diesel::prelude::*;
///   diesel::table! {
///       accounts (id) { id -> BigInt, balance -> BigInt, }
///   }
///
///   #[derive(Queryable, Selectable, HookModel, Clone, Debug)]
///   #[diesel(table_name = accounts)]
///   struct Account {
///       id: i64,
///       #[diesel(column_name = balance)]
///       amount: i64,
///   }
///
///   let field = &<Account as hooks_diesel::HookModel>::FIELDS[Account::AMOUNT.index()];
///   assert_eq!((field.name, field.column), ("amount", "balance"));
///   ```
///
/// * `#[diesel(skip_insertion)]`, a field the database fills on insert
///   (a generated key, a default, a computed column), as for Diesel's
///   `Insertable`. Creates leave it out of the `INSERT` and read the stored
///   value back, so hooks after create and the caller see it. A generated
///   key is usually the one such field: the record's placeholder (`0`)
///   becomes the new key.
///
///   ```
///   # use diesel::prelude::*;
///   # use hooks_diesel::prelude::*;
///   diesel::table! {
///       tickets (id) { id -> BigInt, title -> Text, state -> Text, }
///   }
///
///   #[derive(Queryable, Selectable, HookModel, Clone, Debug)]
///   #[diesel(table_name = tickets)]
///   struct Ticket {
///       #[diesel(skip_insertion)]
///       id: i64,
///       title: String,
///       #[diesel(skip_insertion)]
///       state: String,
///   }
///
///   # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///   let mut raw = SqliteConnection::establish(":memory:")?;
///   diesel::sql_query(
///       "CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, \
///        title TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'open')",
///   )
///   .execute(&mut raw)?;
///   let mut conn = HookedConnection::new(raw, Registry::new());
///   let ticket = conn.create(Ticket { id: 0, title: "leak".into(), state: String::new() })?;
///   assert_eq!((ticket.id, ticket.state.as_str()), (1, "open"));
///   # Ok(())
///   # }
///   ```
#[proc_macro_derive(HookModel, attributes(diesel, hook))]
pub fn derive_hook_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
