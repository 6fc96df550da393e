//! The Diesel schema of `migrations/`; the columns are those of the
//! migrations, and of the models in [`crate::models`].

diesel::table! {
    /// The workload's accounts ([`Account`](crate::models::Account)).
    accounts (id) {
        id -> BigInt,
        owner -> Text,
        balance -> BigInt,
        status -> Text,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// What hooks of examples and tests log ([`AuditEntry`](crate::models::AuditEntry)).
    audit_log (id) {
        id -> BigInt,
        account_id -> BigInt,
        action -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The `audit` example's trail ([`AuditChange`](crate::models::AuditChange)).
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
    /// Members of organisations, with a composite key ([`Membership`](crate::models::Membership)).
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

diesel::table! {
    /// One column of each common type, for the differential suite that
    /// compares hooked and bare writes ([`ExactRow`](crate::models::ExactRow)).
    exact_rows (id) {
        id -> BigInt,
        big -> BigInt,
        small -> Nullable<Integer>,
        txt -> Text,
        note -> Nullable<Text>,
        ratio -> Nullable<Double>,
        flag -> Bool,
        at -> Nullable<Timestamp>,
        status -> Text,
    }
}

diesel::table! {
    /// The `service` example's orders ([`Order`](crate::orders::Order)).
    orders (id) {
        id -> BigInt,
        customer -> Text,
        amount_cents -> BigInt,
        status -> Text,
    }
}

diesel::table! {
    /// The audit trail of order status changes ([`OrderEvent`](crate::orders::OrderEvent)).
    order_events (id) {
        id -> BigInt,
        order_id -> BigInt,
        field -> Text,
        old_value -> Text,
        new_value -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    audit_changes,
    audit_log,
    exact_rows,
    memberships,
    order_events,
    orders,
    tallies
);
