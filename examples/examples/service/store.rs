//! The service's database: a bb8 pool of hooked async connections on the
//! backend `DATABASE_URL` names, and the four things the API does with it,
//! each one ordinary Diesel statement through a hooked connection.

use diesel::prelude::*;
use diesel::OptionalExtension;
use diesel_async::pooled_connection::bb8::Pool;
use diesel_async::RunQueryDsl;
use hooks_diesel::hooks_core::DispatchError;
use hooks_diesel_async::pool::{self, ManagerBuilder};
use hooks_diesel_async::AsyncHookedConnection;
use hooks_examples::db::{sqlite_path, Backend, BoxError, ExampleConnection};
use hooks_examples::orders::{self, Order, OrderEvent};
use hooks_examples::schema::{order_events, orders as orders_table};

use crate::api::ApiError;

/// A pool of hooked connections on one backend.
#[derive(Clone)]
pub enum Store {
    Sqlite(Pool<AsyncHookedConnection<diesel::sqlite::SqliteConnection>>),
    #[cfg(feature = "postgres")]
    Postgres(Pool<AsyncHookedConnection<diesel::pg::PgConnection>>),
}

/// Runs `$body` with `$conn` a pooled hooked connection of whichever
/// backend `$store` has (the body is compiled once per backend).
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:expr) => {
        match $store {
            Store::Sqlite(pool) => {
                let mut $conn = pool.get().await.map_err(ApiError::pool)?;
                $body
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(pool) => {
                let mut $conn = pool.get().await.map_err(ApiError::pool)?;
                $body
            }
        }
    };
}

impl Store {
    /// Migrates the database of `url` and opens the pool.
    pub async fn open(url: &str) -> Result<Store, BoxError> {
        match Backend::of(url) {
            Backend::Sqlite => {
                let path = sqlite_path(url).to_owned();
                tokio::task::spawn_blocking({
                    let path = path.clone();
                    move || -> Result<(), BoxError> {
                        let mut conn = diesel::sqlite::SqliteConnection::open(&path)?;
                        diesel::connection::SimpleConnection::batch_execute(
                            &mut conn,
                            "PRAGMA journal_mode = WAL",
                        )?;
                        Ok(())
                    }
                })
                .await??;
                let manager = ManagerBuilder::new(path, orders::hooks())
                    .setup(|conn| {
                        diesel::connection::SimpleConnection::batch_execute(
                            conn,
                            "PRAGMA busy_timeout = 10000",
                        )
                    })
                    .build();
                Ok(Store::Sqlite(
                    Pool::builder().max_size(4).build(manager).await?,
                ))
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres => {
                let owned = url.to_owned();
                tokio::task::spawn_blocking(move || {
                    diesel::pg::PgConnection::open(&owned).map(drop)
                })
                .await??;
                let manager = pool::manager(url, orders::hooks());
                Ok(Store::Postgres(
                    Pool::builder().max_size(8).build(manager).await?,
                ))
            }
            other => Err(other.unsupported(url)),
        }
    }

    /// Creates an order (its status set by the BEFORE_CREATE hook).
    pub async fn create(&self, customer: String, amount_cents: i64) -> Result<Order, ApiError> {
        let order = Order {
            id: 0,
            customer,
            amount_cents,
            status: String::new(),
        };
        with_conn!(self, |conn| diesel::insert_into(orders_table::table)
            .values(&order)
            .returning(Order::as_returning())
            .get_result(&mut conn)
            .await
            .map_err(ApiError::from_db))
    }

    /// Sets the status of order `id`: the BEFORE_UPDATE hook may refuse,
    /// the AFTER_UPDATE hook audits.
    pub async fn set_status(&self, id: i64, status: String) -> Result<Order, ApiError> {
        with_conn!(self, |conn| diesel::update(orders_table::table.find(id))
            .set(orders_table::status.eq(status))
            .returning(Order::as_returning())
            .get_result(&mut conn)
            .await
            .optional()
            .map_err(ApiError::from_db)?
            .ok_or_else(|| ApiError::NotFound(format!("no order {id}"))))
    }

    /// Moves every order in status `from` to `to`: one set-based
    /// `UPDATE`, each row audited.
    pub async fn move_all(&self, from: String, to: String) -> Result<usize, ApiError> {
        with_conn!(self, |conn| diesel::update(
            orders_table::table.filter(orders_table::status.eq(from))
        )
        .set(orders_table::status.eq(to))
        .execute(&mut conn)
        .await
        .map_err(ApiError::from_db))
    }

    /// The audit rows of order `id`, oldest first.
    pub async fn events(&self, id: i64) -> Result<Vec<OrderEvent>, ApiError> {
        with_conn!(self, |conn| {
            let found = orders_table::table
                .find(id)
                .select(orders_table::id)
                .first::<i64>(&mut conn)
                .await
                .optional()
                .map_err(ApiError::from_db)?;
            if found.is_none() {
                return Err(ApiError::NotFound(format!("no order {id}")));
            }
            order_events::table
                .filter(order_events::order_id.eq(id))
                .order(order_events::id.asc())
                .select(OrderEvent::as_select())
                .load(&mut conn)
                .await
                .map_err(ApiError::from_db)
        })
    }
}

/// The reasons of a hook's rejection, if `error` is one.
pub fn rejection(error: &hooks_diesel::Error) -> Option<String> {
    match error {
        hooks_diesel::Error::Hook(DispatchError::Rejected { rejections, .. }) => Some(
            rejections
                .iter()
                .map(|r| r.reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    }
}
