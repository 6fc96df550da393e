use hooks_diesel::{FieldKey, HookModel};

diesel::table! {
    accounts (id) {
        id -> BigInt,
        owner -> Text,
        balance -> BigInt,
    }
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: i64,
    pub owner: String,
    pub balance: i64,
}

fn main() {
    let _: Vec<FieldKey<Account>> = vec![Account::OWNER.key(), Account::OWNR.key()];
}
