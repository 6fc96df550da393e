//! Operations on a model whose primary key has two columns, through the
//! library's operations and as ordinary Diesel statements.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Membership;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::memberships;
use hooks_tests::writes::{bulk_create, delete, delete_where, update_where};
use hooks_tests::Writes;

fn members() -> Vec<Membership> {
    vec![
        Membership::new(1, 10, "owner"),
        Membership::new(1, 11, "member"),
        Membership::new(2, 10, "member"),
        Membership::new(2, 12, "guest"),
    ]
}

backend_suite! {
    writes(hooked, diesel);

    fn composite_keys_through_every_operation(db) {
        let created_keys = Seen::<(i64, i64)>::new();
        let pairs = Seen::<((i64, i64), String, String)>::new();
        let deleted = Seen::<(i64, i64)>::new();
        let (c, p, d) = (created_keys.clone(), pairs.clone(), deleted.clone());
        let registry = Registry::new()
            .with(Hook::after_create(move |_, b: &Batch<Membership>| {
                c.extend(b.news().map(HookModel::key));
                Ok(())
            }))
            .with(Hook::after_update(move |_, b: &Batch<Membership>| {
                p.extend(b.iter().map(|(n, o)| (n.key(), o.map(|o| o.role.clone()).unwrap_or_default(), n.role.clone())));
                Ok(())
            }))
            .with(Hook::after_delete(move |_, b: &Batch<Membership>| {
                d.extend(b.olds().map(HookModel::key));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        // One row per statement of the library: every chunk boundary,
        // keyset step and key list of the composite key is exercised.
        conn.config_mut().chunk_size = 1;
        let created = bulk_create!(conn, members()).unwrap();
        assert_eq!(created, members());
        assert_eq!(created_keys.all(), [(1, 10), (1, 11), (2, 10), (2, 12)], "AFTER_CREATE saw the given keys, in order");

        // Caller order differs from key order. No Diesel statement updates
        // records field by field.
        let mut changed = vec![created[3].clone(), created[0].clone()];
        changed[0].role = "member".into();
        changed[1].role = "admin".into();
        conn.bulk_update(changed).unwrap();
        assert_eq!(pairs.all(), [
            ((2, 12), "guest".to_string(), "member".to_string()),
            ((1, 10), "owner".to_string(), "admin".to_string()),
        ]);

        let promoted = update_where!(conn, Membership, memberships::org_id.eq(2), memberships::role.eq("owner")).unwrap();
        assert_eq!(promoted, 2);
        assert_eq!(pairs.all()[2..], [
            ((2, 10), "member".to_string(), "owner".to_string()),
            ((2, 12), "member".to_string(), "owner".to_string()),
        ], "key order, one chunk at a time");

        let gone = [created[1].clone(), created[2].clone()];
        match WRITES {
            Writes::Hooked => {
                assert_eq!(conn.bulk_delete(&gone).unwrap(), 2);
                let err = conn.bulk_delete(&gone[..1]).unwrap_err();
                assert!(matches!(err, Error::Vanished { ref keys, .. } if keys == &["(1, 11)"]), "{err}");
            }
            // Diesel has no `IN` list of composite keys: one
            // `delete(&record)` each. A row already gone is not an error
            // there: the statement's filter matches nothing, and no hook
            // runs.
            Writes::Diesel => {
                assert_eq!(delete!(conn, &gone[0]).unwrap() + delete!(conn, &gone[1]).unwrap(), 2);
                assert_eq!(delete!(conn, &gone[0]).unwrap(), 0);
            }
        }
        assert_eq!(deleted.all(), [(1, 11), (2, 10)]);

        let rows: Vec<(i64, i64, String)> = memberships::table
            .order((memberships::org_id, memberships::user_id))
            .select((memberships::org_id, memberships::user_id, memberships::role))
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows, [(1, 10, "admin".to_string()), (2, 12, "owner".to_string())]);
        assert_eq!(delete_where!(conn, Membership, memberships::org_id.gt(0)).unwrap(), 2);
        assert_eq!(deleted.len(), 4);
    }
}
