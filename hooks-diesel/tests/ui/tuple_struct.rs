use hooks_diesel::HookModel;

diesel::table! {
    accounts (id) {
        id -> BigInt,
        balance -> BigInt,
    }
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
pub struct Account(i64, i64);

fn main() {}
