use hooks_diesel::HookModel;

#[derive(HookModel, Clone)]
pub struct Account {
    pub id: i64,
    pub balance: i64,
}

fn main() {
    // The model stays usable: no second error here.
    let _ = Account::BALANCE.gt(0);
}
