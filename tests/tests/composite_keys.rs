//! Hooked operations on a model whose primary key has two columns.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Membership;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::memberships;

fn members() -> Vec<Membership> {
    vec![
        Membership::new(1, 10, "owner"),
        Membership::new(1, 11, "member"),
        Membership::new(2, 10, "member"),
        Membership::new(2, 12, "guest"),
    ]
}

backend_suite! {
    fn composite_keys_through_every_operation(db) {
        let pairs = Seen::<((i64, i64), String, String)>::new();
        let deleted = Seen::<(i64, i64)>::new();
        let (p, d) = (pairs.clone(), deleted.clone());
        let registry = Registry::new()
            .with(Hook::after_update(move |_, b: &Batch<Membership>| {
                p.extend(b.iter().map(|(n, o)| (n.key(), o.map(|o| o.role.clone()).unwrap_or_default(), n.role.clone())));
                Ok(())
            }))
            .with(Hook::after_delete(move |_, b: &Batch<Membership>| {
                d.extend(b.olds().map(HookModel::key));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        // One row per statement: every chunk boundary, keyset step and key
        // list of the composite key is exercised.
        conn.config_mut().chunk_size = 1;
        let created = conn.bulk_create(members()).unwrap();
        assert_eq!(created, members());

        // Caller order differs from key order.
        let mut changed = vec![created[3].clone(), created[0].clone()];
        changed[0].role = "member".into();
        changed[1].role = "admin".into();
        conn.bulk_update(changed).unwrap();
        assert_eq!(pairs.all(), [
            ((2, 12), "guest".to_string(), "member".to_string()),
            ((1, 10), "owner".to_string(), "admin".to_string()),
        ]);

        let promoted = conn.update_where::<Membership>(memberships::org_id.eq(2), memberships::role.eq("owner")).unwrap();
        assert_eq!(promoted.iter().map(HookModel::key).collect::<Vec<_>>(), [(2, 10), (2, 12)]);

        assert_eq!(conn.bulk_delete(&[created[1].clone(), created[2].clone()]).unwrap(), 2);
        assert_eq!(deleted.all(), [(1, 11), (2, 10)]);
        let err = conn.bulk_delete(&[created[1].clone()]).unwrap_err();
        assert!(matches!(err, Error::Vanished { ref keys, .. } if keys == &["(1, 11)"]), "{err}");

        let rows: Vec<(i64, i64, String)> = memberships::table
            .order((memberships::org_id, memberships::user_id))
            .select((memberships::org_id, memberships::user_id, memberships::role))
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows, [(1, 10, "admin".to_string()), (2, 12, "owner".to_string())]);
        assert_eq!(conn.delete_where::<Membership>(memberships::org_id.gt(0)).unwrap(), 2);
    }
}
