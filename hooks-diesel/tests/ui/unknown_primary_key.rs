use hooks_diesel::HookModel;

diesel::table! {
    memberships (org_id, user_id) {
        org_id -> Integer,
        user_id -> Integer,
    }
}

#[derive(HookModel, Clone)]
#[diesel(table_name = memberships, primary_key(org_id, usr_id))]
pub struct Membership {
    pub org_id: i32,
    pub user_id: i32,
}

fn main() {}
