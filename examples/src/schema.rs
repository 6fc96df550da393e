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
    memberships (org_id, user_id) {
        org_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    tallies (id) {
        id -> BigInt,
        name -> Text,
        version -> BigInt,
        total -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(accounts, audit_log, memberships, tallies);
