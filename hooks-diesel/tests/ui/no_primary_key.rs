use hooks_diesel::HookModel;

diesel::table! {
    audit_log (entry) {
        entry -> BigInt,
        message -> Text,
    }
}

#[derive(HookModel, Clone)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub entry: i64,
    pub message: String,
}

fn main() {}
