//! More rows than one statement may bind. An ordinary Diesel insert of
//! 70,000 rows of four values is one statement on PostgreSQL and MySQL,
//! over their limit of 65,535 binds: those backends refuse it until the
//! library splits ordinary statements, so there the test runs through the
//! library's operations only (SQLite sends one INSERT per row).

use super::*;

backend_suite! {
    writes(hooked, diesel);

    fn batches_over_the_bind_limit_are_split(db) {
        let created_rows = Seen::<usize>::new();
        let c = created_rows.clone();
        let registry = Registry::new()
            .with(Hook::after_create(move |_, b: &Batch<Account>| { c.push(b.len()); Ok(()) }))
            .with(Hook::after_delete(|_, _: &Batch<Account>| Ok(())));
        let mut conn = db.connect(registry);
        conn.config_mut().chunk_size = 100_000;
        let created = bulk_create!(conn, accounts(70_000)).unwrap();
        assert_eq!(created.len(), 70_000);
        assert_eq!(created_rows.all().iter().sum::<usize>(), 70_000, "AFTER_CREATE saw every row");
        let mut changed = created;
        for a in changed.iter_mut().step_by(2) { a.balance = -a.balance; }
        // No Diesel statement updates records field by field.
        let written = conn.bulk_update(changed).unwrap();
        assert_eq!(written.len(), 70_000);
        let negative: i64 = accounts::table.filter(accounts::balance.lt(0)).count().get_result(&mut conn).unwrap();
        assert_eq!(negative, 35_000);
        assert_eq!(delete_where!(conn, Account, accounts::balance.ne(0)).unwrap(), 70_000);
    }
}
