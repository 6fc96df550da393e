//! The orders of the `service` example: the models, the status rules, and
//! the hooks, written once for any hooked connection (sync or async, any
//! backend): a BEFORE_CREATE hook that checks the order and sets its status
//! to "new", a BEFORE_UPDATE hook that allows only the transitions of
//! [`allowed`], and an AFTER_UPDATE hook that writes one [`OrderEvent`]
//! per status change, in the same transaction.

use diesel::prelude::*;
use hooks_diesel::hooks_core::Hosts;
use hooks_diesel::{Batch, Hook, HookContext, HookModel, HookedOps, Registry};

use crate::schema::{order_events, orders};

/// An order.
#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = orders)]
pub struct Order {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub customer: String,
    pub amount_cents: i64,
    /// Set to "new" by the BEFORE_CREATE hook whatever the caller gave.
    pub status: String,
}

/// One change of one field of an order, written by the AFTER_UPDATE hook.
#[derive(Queryable, Selectable, Insertable, Identifiable, HookModel, Clone, Debug, PartialEq)]
#[diesel(table_name = order_events)]
pub struct OrderEvent {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub order_id: i64,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

/// The statuses an order can have.
pub const STATUSES: [&str; 5] = ["new", "paid", "shipped", "delivered", "cancelled"];

/// Whether an order may go from status `from` to `to`.
pub fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("new", "paid")
            | ("new", "cancelled")
            | ("paid", "shipped")
            | ("paid", "cancelled")
            | ("shipped", "delivered")
    )
}

/// Why a change of status from `from` to `to` is refused, if it is.
pub fn refusal(from: &str, to: &str) -> Option<String> {
    if !STATUSES.contains(&to) {
        Some(format!(
            "unknown status {to:?}: use one of {}",
            STATUSES.join(", ")
        ))
    } else if from == to {
        Some(format!("the order is already {from}"))
    } else if !allowed(from, to) {
        Some(format!("an order cannot go from {from} to {to}"))
    } else {
        None
    }
}

/// The hooks of orders, for any hooked connection `X`.
pub fn hooks<X>() -> Registry<X>
where
    X: HookedOps + Hosts<Order> + Hosts<OrderEvent>,
{
    Registry::new()
        .with_model::<OrderEvent>()
        .with(
            Hook::before_create(|_ctx, batch: &mut Batch<Order>| {
                batch.reject_where(
                    |o, _| o.amount_cents < 0,
                    |o| format!("amount_cents must not be negative (got {})", o.amount_cents),
                );
                batch.reject_where(
                    |o, _| o.customer.trim().is_empty(),
                    |_| "customer must not be empty".to_string(),
                );
                batch.news_mut().for_each(|o| o.status = "new".into());
                Ok(())
            })
            .named("new_orders_start_new"),
        )
        .with(
            Hook::before_update(|_ctx, batch: &mut Batch<Order>| {
                let refused: Vec<(usize, String)> = batch
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (new, old))| {
                        let old = old?;
                        refusal(&old.status, &new.status).map(|why| (i, why))
                    })
                    .collect();
                for (i, why) in refused {
                    batch.reject(i, why);
                }
                Ok(())
            })
            .named("status_transitions"),
        )
        .with(
            Hook::after_update(|ctx: &mut HookContext<'_, X>, batch: &Batch<Order>| {
                let events: Vec<OrderEvent> = batch
                    .iter()
                    .filter_map(|(new, old)| {
                        let old = old?;
                        Some(OrderEvent {
                            id: 0,
                            order_id: new.id,
                            field: "status".into(),
                            old_value: old.status.clone(),
                            new_value: new.status.clone(),
                        })
                    })
                    .collect();
                ctx.conn().bulk_create(events)?;
                Ok(())
            })
            .when(Order::STATUS.changed())
            .named("audit_status"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        assert!(refusal("new", "paid").is_none());
        assert!(refusal("paid", "shipped").is_none());
        assert_eq!(
            refusal("new", "shipped").as_deref(),
            Some("an order cannot go from new to shipped")
        );
        assert_eq!(
            refusal("paid", "paid").as_deref(),
            Some("the order is already paid")
        );
        assert!(refusal("new", "lost").is_some_and(|m| m.starts_with("unknown status")));
    }
}
