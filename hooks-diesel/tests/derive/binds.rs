//! The Diesel side of the derive: its traits, and the binds of fields and
//! keys, checked through `debug_query`.

use super::*;

fn assert_diesel_model<M: ModelBinds<Sqlite>>() {}

#[test]
fn diesel_traits_are_implemented_for_sqlite() {
    assert_diesel_model::<Account>();
    assert_diesel_model::<Membership>();
    assert_diesel_model::<Person>();
    assert_diesel_model::<AccountOwner>();
    let _: <Account as ModelTable>::Table = accounts::table;
    let _: <Person as ModelTable>::Table = schema::people::table;
}

/// `UPDATE <table> SET <every field> WHERE <key columns>`, bound through the
/// generated `bind_field` and `bind_key`.
pub(super) struct UpdateAll<'a, M: HookModel> {
    pub(super) record: &'a M,
    pub(super) key: M::Key,
}

impl<M: ModelBinds<Sqlite>> QueryFragment<Sqlite> for UpdateAll<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        out.push_identifier(M::TABLE)?;
        out.push_sql(" SET ");
        for (i, field) in M::FIELDS.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_identifier(field.column)?;
            out.push_sql(" = ");
            self.record.bind_field(i, &mut out)?;
        }
        out.push_sql(" WHERE ");
        for (part, index) in M::key_fields().enumerate() {
            if part > 0 {
                out.push_sql(" AND ");
            }
            out.push_identifier(M::FIELDS[index].column)?;
            out.push_sql(" = ");
            M::bind_key(&self.key, part, &mut out)?;
        }
        Ok(())
    }
}

/// Binds a field index the model does not have.
pub(super) struct BadField<'a, M>(pub(super) &'a M, pub(super) usize);

impl<M: ModelBinds<Sqlite>> QueryFragment<Sqlite> for BadField<'_, M> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.0.bind_field(self.1, &mut out)
    }
}

#[test]
fn bind_field_and_bind_key() {
    let mut a = account(7, 500, "frozen");
    a.updated_at = NaiveDate::from_ymd_opt(2024, 5, 1).and_then(|d| d.and_hms_opt(12, 0, 0));
    let query = UpdateAll {
        key: a.key(),
        record: &a,
    };
    assert_eq!(
        diesel::debug_query::<Sqlite, _>(&query).to_string(),
        "UPDATE `accounts` SET `id` = ?, `owner` = ?, `balance` = ?, `status` = ?, \
         `updated_at` = ? WHERE `id` = ? \
         -- binds: [7, \"alice\", 500, \"frozen\", Some(2024-05-01T12:00:00), 7]"
    );
}

#[test]
fn bind_composite_key() {
    let m = Membership {
        org_id: 3,
        user_id: 9,
        role: "admin".into(),
    };
    let query = UpdateAll {
        key: m.key(),
        record: &m,
    };
    assert_eq!(
        diesel::debug_query::<Sqlite, _>(&query).to_string(),
        "UPDATE `memberships` SET `org_id` = ?, `user_id` = ?, `role` = ? \
         WHERE `user_id` = ? AND `org_id` = ? -- binds: [3, 9, \"admin\", 9, 3]"
    );
}

#[test]
fn bind_unknown_field_is_an_error() {
    let a = account(1, 1, "active");
    let mut sql = String::new();
    assert!(write!(
        sql,
        "{}",
        diesel::debug_query::<Sqlite, _>(&BadField(&a, 5))
    )
    .is_err());
    let mut sql = String::new();
    assert!(write!(
        sql,
        "{}",
        diesel::debug_query::<Sqlite, _>(&BadField(&a, 4))
    )
    .is_ok());
}
