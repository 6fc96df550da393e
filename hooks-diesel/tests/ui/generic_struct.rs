use hooks_diesel::HookModel;

diesel::table! {
    accounts (id) {
        id -> BigInt,
        balance -> BigInt,
    }
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
pub struct Account<T> {
    pub id: i64,
    pub balance: T,
}

fn main() {}
