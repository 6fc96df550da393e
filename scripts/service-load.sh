#!/usr/bin/env bash
# Load on the `service` example: 8 clients (wrk, one connection per
# thread, scripts/service-load.lua) for 30 s against a release build, on a
# fresh SQLite file or a fresh PostgreSQL schema; then, from the database,
# every status change must be audited exactly once:
# - each order's audit rows chain: the first starts at "new", each starts
#   where the one before ended, the last ends at the order's status (a
#   change audited twice, or not at all, breaks the chain; the hooks
#   refuse a change to the same status);
# - no change the service acknowledged is missing: at least as many audit
#   rows as changes answered with 200 (PATCH, plus the rows each answer
#   to POST /orders/status counted); more only when requests were still
#   unanswered as wrk stopped at the deadline (the service finished them),
#   and then reported.
#
#   scripts/service-load.sh sqlite|postgres [seconds=30] [clients=8]
#
# Needs wrk (Debian's `wrk` package), curl, python3 (SQLite) or psql
# (PostgreSQL at POSTGRES_URL). A measurement, not a test: the CI suite
# does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:?usage: scripts/service-load.sh sqlite|postgres [seconds] [clients]}
seconds=${2:-30}
clients=${3:-8}
seeded=1000

scripts/with-cmake cargo build --release -q -p hooks-examples --features postgres --example service
work=$(mktemp -d)
case $backend in
sqlite)
    url="$work/load.db"
    sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])' "$url" "$1"; }
    cleanup_db() { :; }
    ;;
postgres)
    base=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
    schema="service_load_$$"
    psql "$base" -qc "CREATE SCHEMA $schema"
    sep='?'; [[ $base == *\?* ]] && sep='&'
    url="$base${sep}options=-csearch_path%3D$schema"
    sql() { psql "$base" -Atqc "SET search_path TO $schema; $1" | tail -1; }
    cleanup_db() { PGOPTIONS="--client-min-messages=warning" psql "$base" -qc "DROP SCHEMA IF EXISTS $schema CASCADE"; }
    ;;
*) echo "unknown backend $backend (sqlite, postgres)" >&2; exit 2 ;;
esac

DATABASE_URL=$url PORT=0 target/release/examples/service >"$work/out" 2>"$work/err" &
service=$!
cleanup() { kill "$service" 2>/dev/null || true; wait "$service" 2>/dev/null || true; cleanup_db; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.1; done
port=$(sed -n 's/^listening on 127.0.0.1://p' "$work/out")
[ -n "$port" ] || { echo "the service did not start:" >&2; cat "$work/err" >&2; exit 1; }
base_url="http://127.0.0.1:$port"

# Orders for the PATCH requests to find.
seq "$seeded" | xargs -P "$clients" -I{} curl -sf -o /dev/null -X POST "$base_url/orders" \
    -H 'Content-Type: application/json' -d '{"customer": "seed", "amount_cents": 100}'

SEEDED=$seeded wrk -t"$clients" -c"$clients" -d"${seconds}s" --latency -s scripts/service-load.lua "$base_url" | tee "$work/wrk"
kill "$service"; wait "$service" 2>/dev/null || true

line=$(grep '^load:' "$work/wrk")
value() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
changes=$(value accepted_changes)
unanswered=$(value unanswered)
unexpected=$(value unexpected)
socket_errors=$(value socket_errors)
audited=$(sql "SELECT COUNT(*) FROM order_events")
broken_chain=$(sql "WITH ev AS (SELECT old_value, LAG(new_value) OVER (PARTITION BY order_id ORDER BY id) AS before FROM order_events) SELECT COUNT(*) FROM ev WHERE old_value <> COALESCE(before, 'new')")
wrong_end=$(sql "SELECT COUNT(*) FROM orders o WHERE o.status <> COALESCE((SELECT e.new_value FROM order_events e WHERE e.order_id = o.id ORDER BY e.id DESC LIMIT 1), 'new')")
extra=$((audited - changes))
echo "check: backend=$backend accepted_changes=$changes audit_rows=$audited broken_chains=$broken_chain orders_not_at_last_audit=$wrong_end unexpected_answers=$unexpected socket_errors=$socket_errors"
echo "check: audit rows of changes made by the $unanswered requests unanswered at the deadline: $extra"
if [ "$broken_chain" = 0 ] && [ "$wrong_end" = 0 ] && [ "$unexpected" = 0 ] && [ "$socket_errors" = 0 ] \
    && [ "$extra" -ge 0 ] && { [ "$extra" = 0 ] || [ "$unanswered" -gt 0 ]; }; then
    echo "check: ok"
else
    echo "check: FAILED" >&2
    exit 1
fi
