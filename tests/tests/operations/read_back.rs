//! MySQL reads created rows back by key range: values it stores with less
//! precision than given (a timestamp's nanoseconds) still come back as
//! the rows inserted, as stored.

use super::*;

backend_suite! {
    backends(mysql);

    fn created_rows_come_back_as_stored_when_values_lose_precision(db) {
        let stamp = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_nano_opt(8, 30, 0, 123_456_789))
            .unwrap();
        let registry = Registry::new().with(Hook::before_create(move |_, b: &mut Batch<Account>| {
            for a in b.news_mut() {
                a.updated_at = Some(stamp);
            }
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = conn.bulk_create(accounts(3)).unwrap();
        let stored: Vec<Account> = accounts::table.order(accounts::id).select(Account::as_select()).load(&mut db.raw()).unwrap();
        assert_eq!(created, stored, "returned as stored");
        let micros = chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_micro_opt(8, 30, 0, 123_456))
            .unwrap();
        assert!(created.iter().all(|a| a.updated_at == Some(micros)), "{created:?}");
    }
}
