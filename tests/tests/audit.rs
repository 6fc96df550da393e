//! The `audit` example's hook set, written once for any `Audited` model,
//! on every backend: one `audit_changes` row per changed field, written in
//! the transaction of the change and rolled back with it.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_examples::audit::{trail, AuditTrail};
use hooks_tests::backend_suite;
use hooks_tests::models::{Account, Membership};
use hooks_tests::schema::accounts;

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn row(model: &str, key: &str, op: &str, field: &str, old: Option<&str>, new: Option<&str>) -> Row {
    (
        model.into(),
        key.into(),
        op.into(),
        field.into(),
        old.map(Into::into),
        new.map(Into::into),
    )
}

backend_suite! {
    fn every_change_of_every_audited_model_is_recorded(db) {
        let registry = Registry::new()
            .with_set(AuditTrail::<Account>::new())
            .with_set(AuditTrail::<Membership>::new());
        assert_eq!(registry.count::<Account>(Event::AfterUpdate), 1);
        let mut conn = db.connect(registry);

        let mut created = conn
            .bulk_create(vec![Account::new("ada", 100, "active"), Account::new("bob", 50, "idle")])
            .unwrap();
        let (ada, bob) = (created[0].id.to_string(), created[1].id.to_string());
        created[0].balance = 125;
        conn.bulk_update(created.clone()).unwrap();
        conn.update_where::<Account>(accounts::owner.eq("bob"), accounts::status.eq("frozen"))
            .unwrap();
        let rolled_back: Result<(), Error> = conn.transaction_with_callbacks(|conn| {
            conn.update_where::<Account>(accounts::owner.eq("ada"), accounts::balance.eq(0))?;
            Err(Error::Invalid("changed my mind".into()))
        });
        assert!(rolled_back.is_err());
        conn.bulk_delete(&created[1..]).unwrap();
        conn.create(Membership::new(7, created[0].id, "member")).unwrap();

        let rows: Vec<Row> = trail(&mut conn)
            .unwrap()
            .into_iter()
            .map(|c| (c.model, c.record_key, c.operation, c.field, c.old_value, c.new_value))
            .collect();
        let member = format!("7/{ada}");
        assert_eq!(
            rows,
            vec![
                row("Account", &ada, "create", "owner", None, Some("ada")),
                row("Account", &ada, "create", "balance", None, Some("100")),
                row("Account", &ada, "create", "status", None, Some("active")),
                row("Account", &bob, "create", "owner", None, Some("bob")),
                row("Account", &bob, "create", "balance", None, Some("50")),
                row("Account", &bob, "create", "status", None, Some("idle")),
                row("Account", &ada, "update", "balance", Some("100"), Some("125")),
                row("Account", &bob, "update", "status", Some("idle"), Some("frozen")),
                row("Account", &bob, "delete", "owner", Some("bob"), None),
                row("Account", &bob, "delete", "balance", Some("50"), None),
                row("Account", &bob, "delete", "status", Some("frozen"), None),
                row("Membership", &member, "create", "role", None, Some("member")),
            ]
        );
    }
}
