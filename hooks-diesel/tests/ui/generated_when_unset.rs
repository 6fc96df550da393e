use hooks_diesel::HookModel;

diesel::table! {
    accounts (id) {
        id -> BigInt,
        balance -> BigInt,
    }
}

diesel::table! {
    memberships (org_id, user_id) {
        org_id -> BigInt,
        user_id -> BigInt,
    }
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
#[hook(generated_when_unset)]
pub struct OnTheStruct {
    pub id: i64,
    pub balance: i64,
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
pub struct NotTheKey {
    pub id: i64,
    #[hook(generated_when_unset)]
    pub balance: i64,
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
pub struct AlsoSkipped {
    #[diesel(skip_insertion)]
    #[hook(generated_when_unset)]
    pub id: i64,
    pub balance: i64,
}

#[derive(HookModel, Clone)]
#[diesel(table_name = memberships, primary_key(org_id, user_id))]
pub struct Composite {
    #[hook(generated_when_unset)]
    pub org_id: i64,
    pub user_id: i64,
}

#[derive(HookModel, Clone)]
#[diesel(table_name = accounts)]
pub struct WithAValue {
    #[hook(generated_when_unset = true)]
    pub id: i64,
    pub balance: i64,
}

fn main() {}
