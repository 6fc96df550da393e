//! `bulk_update_fields` writes the fields named (and those BEFORE_UPDATE
//! hooks edit), and what hooks see and what it returns is what is stored:
//! a field the caller changed but did not name keeps its stored value
//! everywhere.

use diesel::prelude::*;
use hooks_diesel::prelude::*;
use hooks_tests::backend_suite;
use hooks_tests::models::Account;
use hooks_tests::recorder::Seen;
use hooks_tests::schema::accounts;

/// `(owner, balance, status)` of every row, by key.
macro_rules! stored {
    ($db:expr) => {
        accounts::table
            .order(accounts::id)
            .select((accounts::owner, accounts::balance, accounts::status))
            .load::<(String, i64, String)>(&mut $db.raw())
            .unwrap()
    };
}

fn row(owner: &str, balance: i64, status: &str) -> (String, i64, String) {
    (owner.to_string(), balance, status.to_string())
}

fn as_row(a: &Account) -> (String, i64, String) {
    row(&a.owner, a.balance, &a.status)
}

backend_suite! {
    fn fields_not_named_are_neither_written_nor_shown_nor_returned(db) {
        let before = Seen::<String>::new();
        let after = Seen::<(String, String)>::new();
        let (b, a) = (before.clone(), after.clone());
        let registry = Registry::new()
            .with(Hook::before_update(move |_, batch: &mut Batch<Account>| {
                b.extend(batch.news().map(|n| n.status.clone()));
                Ok(())
            }))
            .with(Hook::after_update(move |_, batch: &Batch<Account>| {
                a.extend(batch.iter().map(|(n, o)| (n.status.clone(), o.map_or(String::new(), |o| o.status.clone()))));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        let created = conn.without_hooks(|conn| {
            conn.bulk_create(vec![Account::new("a", 1, "active"), Account::new("b", 2, "active")])
        }).unwrap();
        let edited: Vec<Account> = created.iter().cloned().map(|mut a| {
            a.balance += 10;
            a.status = "closed".into(); // changed, but not named
            a
        }).collect();
        let returned = conn.bulk_update_fields(edited, &[Account::BALANCE.key()]).unwrap();
        let expected = vec![row("a", 11, "active"), row("b", 12, "active")];
        assert_eq!(stored!(db), expected, "only the named field was written");
        assert_eq!(returned.iter().map(as_row).collect::<Vec<_>>(), expected, "returned as stored");
        assert_eq!(before.all(), ["active", "active"], "BEFORE hooks see what would be written");
        assert_eq!(
            after.all(),
            vec![("active".to_string(), "active".to_string()); 2],
            "AFTER hooks see what was stored"
        );
    }

    fn a_before_hook_edit_to_a_field_the_caller_changed_but_did_not_name_is_written(db) {
        let after = Seen::<String>::new();
        let a = after.clone();
        let registry = Registry::new()
            .with(Hook::before_update(|_, batch: &mut Batch<Account>| {
                for n in batch.news_mut() {
                    n.status = "reviewed".into();
                }
                Ok(())
            }))
            .with(Hook::after_update(move |_, batch: &Batch<Account>| {
                a.extend(batch.news().map(|n| n.status.clone()));
                Ok(())
            }));
        let mut conn = db.connect(registry);
        let created = conn.without_hooks(|conn| conn.create(Account::new("a", 1, "active"))).unwrap();
        let mut edited = created.clone();
        edited.balance = 5;
        edited.status = "closed".into(); // changed, not named; the hook edits it too
        let returned = conn.bulk_update_fields(vec![edited], &[Account::BALANCE.key()]).unwrap();
        assert_eq!(stored!(db), [row("a", 5, "reviewed")], "the hook's edit was written");
        assert_eq!(returned.iter().map(as_row).collect::<Vec<_>>(), [row("a", 5, "reviewed")]);
        assert_eq!(after.all(), ["reviewed"]);
    }

    fn a_record_whose_named_fields_are_unchanged_is_returned_as_stored(db) {
        let calls = Seen::<usize>::new();
        let c = calls.clone();
        let registry = Registry::new().with(Hook::after_update(move |_, batch: &Batch<Account>| {
            c.push(batch.len());
            Ok(())
        }));
        let mut conn = db.connect(registry);
        let created = conn.create(Account::new("a", 1, "active")).unwrap();
        let mut edited = created.clone();
        edited.status = "closed".into(); // not named
        let returned = conn.bulk_update_fields(vec![edited], &[Account::BALANCE.key()]).unwrap();
        assert_eq!(returned, [created], "nothing written: the stored row comes back");
        assert!(calls.is_empty(), "no hook for a record that is not written");
        assert_eq!(stored!(db), [row("a", 1, "active")]);
    }
}
