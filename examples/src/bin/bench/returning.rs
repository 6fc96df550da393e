//! The statements with a `RETURNING` clause, shared by SQLite and
//! PostgreSQL.
//!
//! [`Dialect::insert_returning`]: crate::statements::Dialect::insert_returning
//! [`Dialect::freeze_active_returning`]: crate::statements::Dialect::freeze_active_returning
//! [`Dialect::delete_returning`]: crate::statements::Dialect::delete_returning

/// `Dialect::insert_returning`, `freeze_active_returning` and
/// `delete_returning` with a `RETURNING` clause, for the
/// backends that have one; expands to the three methods inside an `impl
/// Dialect` block.
macro_rules! returning_statements {
    () => {
        fn insert_returning(
            &mut self,
            records: &[::hooks_examples::models::Account],
            style: $crate::statements::Style,
        ) -> ::diesel::QueryResult<Vec<::hooks_examples::models::Account>> {
            use ::diesel::prelude::*;
            use ::hooks_examples::models::Account;
            use ::hooks_examples::schema::accounts;
            use $crate::prepared::AccountSql;
            use $crate::statements::{insert_values, AccountRow, Style, SELECT_COLUMNS};
            match style {
                Style::Dsl => {
                    let rows: Vec<AccountRow<'_>> = records.iter().map(AccountRow::from).collect();
                    ::diesel::insert_into(accounts::table)
                        .values(&rows)
                        .returning(Account::as_returning())
                        .get_results(self)
                }
                Style::Prepared => insert_values::<AccountSql>(records)
                    .sql(" RETURNING ")
                    .sql(SELECT_COLUMNS)
                    .load(self),
            }
        }

        fn freeze_active_returning(
            &mut self,
            at: ::chrono::NaiveDateTime,
            _locked: &[i64],
            style: $crate::statements::Style,
        ) -> ::diesel::QueryResult<Vec<::hooks_examples::models::Account>> {
            use ::diesel::prelude::*;
            use ::hooks_examples::models::Account;
            use ::hooks_examples::schema::accounts;
            use $crate::prepared::{AccountSql, Bind, Stmt};
            use $crate::statements::{Style, SELECT_COLUMNS};
            use $crate::workload::{ACTIVE, FROZEN};
            match style {
                Style::Dsl => ::diesel::update(accounts::table.filter(accounts::status.eq(ACTIVE)))
                    .set((
                        accounts::status.eq(FROZEN),
                        accounts::updated_at.eq(Some(at)),
                    ))
                    .returning(Account::as_returning())
                    .get_results(self),
                Style::Prepared => Stmt::<AccountSql>::new("UPDATE accounts SET status = ")
                    .bind(Bind::Text(FROZEN))
                    .sql(", updated_at = ")
                    .bind(Bind::Stamp(Some(at)))
                    .sql(" WHERE status = ")
                    .bind(Bind::Text(ACTIVE))
                    .sql(" RETURNING ")
                    .sql(SELECT_COLUMNS)
                    .load(self),
            }
        }

        fn delete_returning(
            &mut self,
            keys: &[i64],
            style: $crate::statements::Style,
        ) -> ::diesel::QueryResult<Vec<::hooks_examples::models::Account>> {
            use ::diesel::prelude::*;
            use ::hooks_examples::models::Account;
            use ::hooks_examples::schema::accounts;
            use $crate::prepared::{AccountSql, KeyIn, Stmt};
            use $crate::statements::{Style, SELECT_COLUMNS};
            match style {
                Style::Dsl => ::diesel::delete(accounts::table.filter(accounts::id.eq_any(keys)))
                    .returning(Account::as_returning())
                    .get_results(self),
                Style::Prepared => {
                    let delete = Stmt::<AccountSql>::new("DELETE FROM accounts WHERE id");
                    <<Self as Connection>::Backend as KeyIn>::key_in(delete, keys)
                        .sql(" RETURNING ")
                        .sql(SELECT_COLUMNS)
                        .load(self)
                }
            }
        }
    };
}

pub(crate) use returning_statements;
