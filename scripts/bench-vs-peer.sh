#!/usr/bin/env bash
# The accounts workload side by side with the peer (django-bulk-hooks,
# /work/shared/bench/peer/) on PostgreSQL: R rounds, interleaved (peer, ours,
# peer, ours, ...), then per phase the medians of both sides' times and the
# median of the per-round ratios peer / hooked, beside the goals of
# shared/bench/WORKLOAD.md.
#
#   scripts/bench-vs-peer.sh [--rounds R] [--n N] [--repeat K]
#
#   --rounds R   interleaved rounds (default 3)
#   --n N        records per phase (default 10000)
#   --repeat K   measured runs per phase inside each program; each prints
#                its median (default 3)
#
# The bench runs its hooked variant and the expert equivalent
# (`--variants hooked,equiv_prep`: plain Diesel that obtains the rows the
# hooks receive, in the same statement shapes), and still checks every hook
# count and the final table after every run; it fails (and so does this
# script) on a wrong count or table. The column "peer / equivalent" is the
# ratio those statement shapes allow with no hook machinery at all: a goal
# above it cannot be met by the machinery alone.
#
# Environment: POSTGRES_URL for the bench (default
# postgres://postgres@127.0.0.1:5432/test); PGHOST/PGPORT/PGUSER for the
# peer (default 127.0.0.1:5432, postgres); PEER_DIR (default
# /work/shared/bench/peer); PEER_VENV (default /tmp/peer-venv, made by the
# peer's setup.sh when missing); BENCH_BIN (default: target/release/bench,
# built first); BENCH_ARGS, more arguments for the bench (`--chunk 5000`).
# Each round's raw output is kept in $OUT_DIR (default a
# temporary directory, printed).
set -euo pipefail

rounds=3
n=10000
repeat=3
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --n) n=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-vs-peer: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
peer_dir=${PEER_DIR:-/work/shared/bench/peer}
venv=${PEER_VENV:-/tmp/peer-venv}
out=${OUT_DIR:-$(mktemp -d /tmp/bench-vs-peer.XXXXXX)}
mkdir -p "$out"

if [ ! -x "$venv/bin/python" ]; then
    echo "# setting up the peer's virtualenv in $venv" >&2
    PEER_VENV=$venv bash "$peer_dir/setup.sh" >&2
fi
bench=${BENCH_BIN:-}
if [ -z "$bench" ]; then
    (cd "$root" && scripts/with-cmake cargo build --release -q -p hooks-examples \
        --features postgres,mysql --bin bench)
    bench=$root/target/release/bench
fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), n=$n, $rounds rounds, repeat=$repeat; raw output in $out" >&2
for r in $(seq 1 "$rounds"); do
    echo "# round $r: peer" >&2
    "$venv/bin/python" "$peer_dir/django_bench.py" --n "$n" --repeat "$repeat" \
        > "$out/peer-$r.txt" 2> "$out/peer-$r.err" || { cat "$out/peer-$r.err" >&2; exit 1; }
    echo "# round $r: hooked" >&2
    # shellcheck disable=SC2086
    "$bench" --backend postgres --n "$n" --repeat "$repeat" --variants hooked,equiv_prep ${BENCH_ARGS:-} \
        > "$out/ours-$r.txt" 2> "$out/ours-$r.err" || { cat "$out/ours-$r.err" >&2; exit 1; }
done

python3 - "$out" "$rounds" <<'EOF'
import re, statistics, sys

out, rounds = sys.argv[1], int(sys.argv[2])
phases = ["bulk_create", "bulk_update", "queryset_update", "bulk_delete", "total"]
goals = {"bulk_create": 5, "bulk_update": 25, "queryset_update": 25, "bulk_delete": 10, "total": 30}

def fields(line):
    return dict(f.split("=", 1) for f in line.split() if "=" in f)

def read(path, prefix, key):
    times = {}
    for line in open(path):
        if not line.startswith(prefix):
            continue
        f = fields(line)
        if f.get("phase") in phases and key in f:
            times[f["phase"]] = float(f[key])
    missing = [p for p in phases if p not in times]
    if missing:
        sys.exit(f"bench-vs-peer: {path} has no {key} for {', '.join(missing)}")
    return times

peer = [read(f"{out}/peer-{r}.txt", "peer ", "ms") for r in range(1, rounds + 1)]
ours = [read(f"{out}/ours-{r}.txt", "backend=postgres ", "hooked_ms") for r in range(1, rounds + 1)]
equiv = [read(f"{out}/ours-{r}.txt", "backend=postgres ", "equiv_prep_ms") for r in range(1, rounds + 1)]
server = []
for r in range(1, rounds + 1):
    s = {}
    for line in open(f"{out}/ours-{r}.txt"):
        f = fields(line)
        if "server_ms" in f:
            s[f["phase"]] = float(f["server_ms"])
    server.append(s)

print("| phase | peer ms | hooked ms | hooked server ms | peer / hooked | goal | per round | peer / equivalent |")
print("|---|---|---|---|---|---|---|---|")
missed = 0
for p in phases:
    ratios = [a[p] / b[p] for a, b in zip(peer, ours)]
    ratio = statistics.median(ratios)
    ceiling = statistics.median(a[p] / e[p] for a, e in zip(peer, equiv))
    srv = [s[p] for s in server if p in s]
    met = ratio >= goals[p]
    missed += not met
    name = "whole workload" if p == "total" else p
    srv = f"{statistics.median(srv):.1f}" if srv else "-"
    print(f"| {name} | {statistics.median(a[p] for a in peer):,.0f} "
          f"| {statistics.median(b[p] for b in ours):.1f} | {srv} "
          f"| {ratio:.1f}x | >= {goals[p]}x {'met' if met else 'MISSED'} "
          f"| {', '.join(f'{x:.1f}' for x in ratios)} | {ceiling:.1f}x |")
print(f"# medians of {rounds} interleaved rounds; ratios are medians of the per-round ratios; "
      f"{missed} goal(s) missed")
EOF
