//! The HTTP interface: routes, request bodies, and errors as JSON.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use hooks_examples::orders::{refusal, Order, OrderEvent, STATUSES};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::store::{rejection, Store};

/// The routes.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/orders", post(create))
        .route("/orders/status", post(move_all))
        .route("/orders/{id}", patch(set_status))
        .route("/orders/{id}/events", get(events))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .with_state(store)
}

/// An error answer: `{"error": message}` with its status.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON, or the path is malformed.
    BadRequest(String),
    /// 404.
    NotFound(String),
    /// 422: well-formed, but refused (wrong types, a hook's rejection).
    Unprocessable(String),
    /// 503: no database connection could be had.
    Unavailable(String),
    /// 500: the database failed.
    Internal(String),
}

impl ApiError {
    /// A database error: a hook's rejection is a 422 with its message.
    pub fn from_db(error: diesel::result::Error) -> ApiError {
        let error = hooks_diesel::Error::from(error);
        match rejection(&error) {
            Some(message) => ApiError::Unprocessable(message),
            None => {
                tracing::error!(%error, "database error");
                ApiError::Internal(error.to_string())
            }
        }
    }

    /// The pool could not hand out a connection.
    pub fn pool(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(%error, "no database connection");
        ApiError::Unavailable(format!("no database connection: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// Parses a JSON body: not JSON is a 400, the wrong shape a 422.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::Unprocessable(format!("invalid request: {e}"))
        }
        _ => ApiError::BadRequest(format!("malformed JSON: {e}")),
    })
}

/// An order id from the path.
fn order_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("order id must be an integer, not {raw:?}")))
}

#[derive(Deserialize)]
struct NewOrder {
    customer: String,
    amount_cents: i64,
}

#[derive(Deserialize)]
struct StatusChange {
    status: String,
}

#[derive(Deserialize)]
struct MoveAll {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct OrderJson {
    id: i64,
    customer: String,
    amount_cents: i64,
    status: String,
}

impl From<Order> for OrderJson {
    fn from(o: Order) -> Self {
        OrderJson {
            id: o.id,
            customer: o.customer,
            amount_cents: o.amount_cents,
            status: o.status,
        }
    }
}

#[derive(Serialize)]
struct EventJson {
    field: String,
    old: String,
    new: String,
}

impl From<OrderEvent> for EventJson {
    fn from(e: OrderEvent) -> Self {
        EventJson {
            field: e.field,
            old: e.old_value,
            new: e.new_value,
        }
    }
}

async fn create(State(store): State<Store>, bytes: Bytes) -> Result<impl IntoResponse, ApiError> {
    let new: NewOrder = body(&bytes)?;
    let order = store.create(new.customer, new.amount_cents).await?;
    Ok((StatusCode::CREATED, Json(OrderJson::from(order))))
}

async fn set_status(
    State(store): State<Store>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<OrderJson>, ApiError> {
    let id = order_id(&id)?;
    let change: StatusChange = body(&bytes)?;
    Ok(Json(store.set_status(id, change.status).await?.into()))
}

async fn move_all(
    State(store): State<Store>,
    bytes: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let MoveAll { from, to } = body(&bytes)?;
    // The hook refuses each row the same way; with no row matched, the
    // request is refused all the same.
    if !STATUSES.contains(&from.as_str()) {
        return Err(ApiError::Unprocessable(format!(
            "unknown status {from:?}: use one of {}",
            STATUSES.join(", ")
        )));
    }
    if let Some(why) = refusal(&from, &to) {
        return Err(ApiError::Unprocessable(why));
    }
    let updated = store.move_all(from, to).await?;
    Ok(Json(json!({ "updated": updated })))
}

async fn events(
    State(store): State<Store>,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventJson>>, ApiError> {
    let id = order_id(&id)?;
    let events = store.events(id).await?;
    Ok(Json(events.into_iter().map(EventJson::from).collect()))
}
