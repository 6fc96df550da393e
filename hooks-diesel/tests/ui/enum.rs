use hooks_diesel::HookModel;

#[derive(HookModel)]
#[diesel(table_name = statuses)]
pub enum Status {
    Active,
    Frozen,
}

fn main() {}
