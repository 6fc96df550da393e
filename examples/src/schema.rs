//! The Diesel schema of `migrations/`.

diesel::table! {
    accounts (id) {
        id -> BigInt,
        owner -> Text,
        balance -> BigInt,
        status -> Text,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        account_id -> BigInt,
        action -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_changes (id) {
        id -> BigInt,
        model -> Text,
        record_key -> Text,
        operation -> Text,
        field -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    memberships (org_id, user_id) {
        org_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(accounts, audit_changes, audit_log, memberships);
