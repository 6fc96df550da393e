//! The `service` example as a client sees it: the binary started with
//! `PORT=0` (the port it prints), real HTTP requests over TCP, on SQLite
//! and on PostgreSQL (where this build has the `postgres` feature, as
//! `cargo test --workspace` has).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use common::{example, TempPath};

/// The running service; killed on drop.
struct Service {
    child: Child,
    port: u16,
}

impl Service {
    /// Starts the service on `database_url` and waits for its
    /// `listening on 127.0.0.1:<port>` line.
    fn start(database_url: &str) -> Service {
        let mut child = example("service")
            .env("DATABASE_URL", database_url)
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the service starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the service printed nothing within 60 s");
            }
        };
        let port = line
            .trim()
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("unexpected first line: {line:?}")
            });
        Service { child, port }
    }

    /// Sends one request; returns the status and the body, which must be
    /// JSON.
    fn send(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let (status, text) = self.raw(method, path, body);
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: body is not JSON ({e}): {text:?}"));
        (status, json)
    }

    /// Sends one HTTP/1.1 request; returns the status and the body text.
    fn raw(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let body = body.unwrap_or("");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{method} {path}: no status line: {response:?}"));
        let text = response
            .split_once("\r\n\r\n")
            .map_or("", |(_, b)| b)
            .to_string();
        (status, text)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The interface of the issue, request by request.
fn behaves_as_specified(service: &Service) {
    let (status, ann) = service.send(
        "POST",
        "/orders",
        Some(r#"{"customer": "ann", "amount_cents": 1200}"#),
    );
    assert_eq!(status, 201, "{ann}");
    let id = ann["id"].as_i64().expect("an id");
    assert_eq!(
        ann,
        json!({"id": id, "customer": "ann", "amount_cents": 1200, "status": "new"})
    );

    // A transition the BEFORE_UPDATE hook refuses: 422, nothing written.
    let (status, body) = service.send(
        "PATCH",
        &format!("/orders/{id}"),
        Some(r#"{"status": "shipped"}"#),
    );
    assert_eq!(
        (status, body),
        (
            422,
            json!({"error": "an order cannot go from new to shipped"})
        )
    );
    assert_eq!(
        service.send("GET", &format!("/orders/{id}/events"), None),
        (200, json!([]))
    );

    let (status, paid) = service.send(
        "PATCH",
        &format!("/orders/{id}"),
        Some(r#"{"status": "paid"}"#),
    );
    assert_eq!((status, &paid["status"]), (200, &json!("paid")), "{paid}");
    let (status, body) = service.send("PATCH", "/orders/987654", Some(r#"{"status": "paid"}"#));
    assert_eq!(status, 404, "{body}");

    // One set-based UPDATE, each row audited.
    let mut others = Vec::new();
    for customer in ["bob", "cy"] {
        let (status, order) = service.send(
            "POST",
            "/orders",
            Some(&format!(
                r#"{{"customer": "{customer}", "amount_cents": 5}}"#
            )),
        );
        assert_eq!(status, 201, "{order}");
        others.push(order["id"].as_i64().expect("an id"));
    }
    let (status, body) = service.send(
        "POST",
        "/orders/status",
        Some(r#"{"from": "new", "to": "cancelled"}"#),
    );
    assert_eq!((status, body), (200, json!({"updated": 2})));
    for other in &others {
        assert_eq!(
            service.send("GET", &format!("/orders/{other}/events"), None),
            (
                200,
                json!([{"field": "status", "old": "new", "new": "cancelled"}])
            )
        );
    }
    let (status, body) = service.send(
        "POST",
        "/orders/status",
        Some(r#"{"from": "cancelled", "to": "paid"}"#),
    );
    assert_eq!(
        (status, body),
        (
            422,
            json!({"error": "an order cannot go from cancelled to paid"})
        )
    );

    let (status, _) = service.send(
        "PATCH",
        &format!("/orders/{id}"),
        Some(r#"{"status": "shipped"}"#),
    );
    assert_eq!(status, 200);
    assert_eq!(
        service.send("GET", &format!("/orders/{id}/events"), None),
        (
            200,
            json!([
                {"field": "status", "old": "new", "new": "paid"},
                {"field": "status", "old": "paid", "new": "shipped"}
            ])
        )
    );
    assert_eq!(service.send("GET", "/orders/987654/events", None).0, 404);

    // Bad input: never a 500, always a JSON error.
    for (method, path, body, expected) in [
        ("POST", "/orders", r#"{"customer": "#, 400),
        ("POST", "/orders", "", 400),
        ("POST", "/orders", "not json", 400),
        (
            "POST",
            "/orders",
            r#"{"customer": "dan", "amount_cents": "12"}"#,
            422,
        ),
        (
            "POST",
            "/orders",
            r#"{"customer": "dan", "amount_cents": 1.5}"#,
            422,
        ),
        ("POST", "/orders", r#"{"customer": "dan"}"#, 422),
        ("POST", "/orders", r#"[1, 2]"#, 422),
        (
            "POST",
            "/orders",
            r#"{"customer": "dan", "amount_cents": -1}"#,
            422,
        ),
        (
            "POST",
            "/orders",
            r#"{"customer": " ", "amount_cents": 1}"#,
            422,
        ),
        ("PATCH", "/orders/abc", r#"{"status": "paid"}"#, 400),
        ("PATCH", &format!("/orders/{id}"), r#"{"status": 7}"#, 422),
        (
            "PATCH",
            &format!("/orders/{id}"),
            r#"{"status": "lost"}"#,
            422,
        ),
        ("POST", "/orders/status", r#"{"from": "new"}"#, 422),
        (
            "POST",
            "/orders/status",
            r#"{"from": "gone", "to": "paid"}"#,
            422,
        ),
        ("GET", "/orders/x/events", "", 400),
        ("GET", "/nowhere", "", 404),
    ] {
        let (status, body) = service.send(method, path, (!body.is_empty()).then_some(body));
        assert_eq!(status, expected, "{method} {path} {body}");
        assert!(body["error"].is_string(), "{method} {path}: {body}");
    }
    let (_, body) = service.send(
        "POST",
        "/orders",
        Some(r#"{"customer": "dan", "amount_cents": -1}"#),
    );
    assert_eq!(
        body,
        json!({"error": "amount_cents must not be negative (got -1)"})
    );
}

/// Eight clients at once: every order created and paid, each change
/// audited exactly once.
fn serves_concurrent_clients(service: &Service) {
    std::thread::scope(|scope| {
        for client in 0..8 {
            scope.spawn(move || {
                for i in 0..5 {
                    let (status, order) = service.send(
                        "POST",
                        "/orders",
                        Some(&format!(
                            r#"{{"customer": "c{client}-{i}", "amount_cents": {i}}}"#
                        )),
                    );
                    assert_eq!(status, 201, "{order}");
                    let id = order["id"].as_i64().expect("an id");
                    let (status, body) = service.send(
                        "PATCH",
                        &format!("/orders/{id}"),
                        Some(r#"{"status": "paid"}"#),
                    );
                    assert_eq!(status, 200, "{body}");
                    assert_eq!(
                        service.send("GET", &format!("/orders/{id}/events"), None),
                        (
                            200,
                            json!([{"field": "status", "old": "new", "new": "paid"}])
                        )
                    );
                }
            });
        }
    });
}

#[test]
fn service_on_sqlite() {
    let db = TempPath::new(".db");
    let service = Service::start(db.as_str());
    behaves_as_specified(&service);
    serves_concurrent_clients(&service);
}

#[cfg(feature = "postgres")]
#[test]
fn service_on_postgres() {
    let schema = common::postgres::Schema::new();
    let service = Service::start(&schema.url());
    behaves_as_specified(&service);
    serves_concurrent_clients(&service);
}
