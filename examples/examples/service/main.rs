//! An HTTP service on axum and tokio: orders with an audit trail, written
//! through hooked async connections (`hooks-diesel-async`) from a bb8 pool.
//! The hooks (`hooks_examples::orders`) are the ones a sync program would
//! register: they set a new order's status, refuse status transitions that
//! are not allowed, and write one audit row per status change in the same
//! transaction, whichever statement made the change.
//!
//! ```text
//! cargo run -p hooks-examples --example service
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test PORT=8080 \
//!     cargo run -p hooks-examples --features postgres --example service
//! ```
//!
//! - `DATABASE_URL`: a SQLite file (default: `hooks-diesel-service.db` in
//!   the temporary directory) or a `postgres://` URL (feature `postgres`);
//!   migrations are applied at start.
//! - `PORT`: default 3000; `0` takes a free port. Binds 127.0.0.1 and
//!   prints `listening on 127.0.0.1:<port>` when ready.
//!
//! | request | answer |
//! |---|---|
//! | `POST /orders` `{"customer": "ann", "amount_cents": 1200}` | 201, the order (`id`, `customer`, `amount_cents`, `status`: "new") |
//! | `PATCH /orders/{id}` `{"status": "paid"}` | 200, the order; 422 `{"error": ..}` for a refused transition (nothing written); 404 for an unknown id |
//! | `POST /orders/status` `{"from": "new", "to": "cancelled"}` | 200 `{"updated": n}`: one set-based `UPDATE`, each row audited |
//! | `GET /orders/{id}/events` | 200, the audit rows, oldest first: `[{"field": "status", "old": "new", "new": "paid"}, ..]` |
//!
//! Malformed JSON is a 400, wrong types, negative amounts and unknown
//! statuses a 422, always with a JSON `{"error": ..}`.

#[path = "../shared/logs.rs"]
mod logs;

mod api;
mod store;

use std::io::Write;
use std::process::ExitCode;

use hooks_examples::db::BoxError;

#[tokio::main]
async fn main() -> ExitCode {
    logs::init(0);
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        std::env::temp_dir()
            .join("hooks-diesel-service.db")
            .to_string_lossy()
            .into_owned()
    });
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT must be a port number (0-65535), not {port:?}"))?,
        Err(_) => 3000,
    };
    let store = store::Store::open(&url).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    axum::serve(listener, api::router(store)).await?;
    Ok(())
}
