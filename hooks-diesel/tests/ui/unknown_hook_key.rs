use hooks_diesel::HookModel;

diesel::table! {
    accounts (id) {
        id -> BigInt,
        balance -> BigInt,
    }
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
#[hook(crate = "hooks_diesel", skip_update)]
pub struct Account {
    pub id: i64,
    #[hook(ignore)]
    pub balance: i64,
}

fn main() {}
