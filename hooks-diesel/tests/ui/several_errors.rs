use hooks_diesel::HookModel;

#[derive(HookModel, Clone)]
#[diesel(primary_key(account_id))]
#[hook(krate = "hooks_diesel")]
pub struct Account {
    pub id: i64,
    pub balance: i64,
}

fn main() {}
