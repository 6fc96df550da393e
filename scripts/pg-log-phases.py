#!/usr/bin/env python3
"""Server time per phase and variant of the benchmark, from PostgreSQL's log.

Run the benchmark with every statement logged and each run announced:

    BENCH_MARK=1 \
    BENCH_PG_OPTIONS="-clog_min_duration_statement=0 -clog_parameter_max_length=0" \
        ./target/release/bench --backend postgres --n 10000 --repeat 1

then give this script the part of the server log the run wrote (on Debian,
/var/log/postgresql/postgresql-15-main.log):

    scripts/pg-log-phases.py < bench-part.log

For each `SELECT 'bench <phase> <variant> <round>'` mark it sums what the
server reported for the statements of that run, up to the benchmark's check
of the table (the fingerprint query): parse (parse and rewrite), bind
(planning, for the extended protocol) and execute, and simple statements
(BEGIN, COMMIT). Warm-up rounds (round 0) are left out; with several
measured rounds the figures are medians. With `--by-statement`, also the
server time of each kind of statement (its first words), summed over a run.
"""

import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(
    r"^\S+ \S+ \S+ \[(?P<pid>\d+)\] \S+ LOG:  duration: (?P<ms>[\d.]+) ms  "
    r"(?P<kind>parse|bind|execute|statement)(?P<rest>.*)$"
)
MARK = re.compile(r"SELECT 'bench (?P<phase>\S+) (?P<variant>\S+) (?P<round>\d+)'")


def kind_of(rest: str) -> str:
    """The first words of a statement, as `SELECT .. FOR UPDATE` etc."""
    sql = rest.split(": ", 1)[-1].strip()
    words = sql.replace('"', "").split()
    head = " ".join(words[:3]) if words else "?"
    if words and words[0].upper() == "SELECT" and "FOR UPDATE" in sql.upper():
        head += " .. FOR UPDATE"
    return head[:60]


def main() -> None:
    by_statement = "--by-statement" in sys.argv[1:]
    runs = defaultdict(list)  # (phase, variant) -> [totals per round]
    current = None
    totals = None
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        rest = m.group("rest")
        mark = MARK.search(rest)
        if mark:
            if current and totals is not None:
                runs[current].append(totals)
            current, totals = None, None
            if mark.group("round") != "0":
                current = (mark.group("phase"), mark.group("variant"))
                totals = defaultdict(float)
            continue
        if totals is None:
            continue
        if "AS row_count" in rest:
            # The benchmark's check of the table: the run is over.
            runs[current].append(totals)
            current, totals = None, None
            continue
        kind = m.group("kind")
        totals[kind] += float(m.group("ms"))
        if kind in ("execute", "statement"):
            totals["statements"] += 1
        if by_statement:
            totals["  " + kind_of(rest)] += float(m.group("ms"))
    header = f"{'phase':<16} {'variant':<19} {'stmts':>5} {'parse':>7} {'bind':>7} {'execute':>8} {'simple':>7} {'server':>7}"
    print(header)
    for (phase, variant), rounds in runs.items():
        med = lambda k: statistics.median(r[k] for r in rounds)  # noqa: E731
        server = med("parse") + med("bind") + med("execute") + med("statement")
        print(
            f"{phase:<16} {variant:<19} {med('statements'):>5.0f} {med('parse'):>7.1f} "
            f"{med('bind'):>7.1f} {med('execute'):>8.1f} {med('statement'):>7.1f} {server:>7.1f}"
        )
        for key in sorted({k for r in rounds for k in r if k.startswith("  ")}):
            ms = statistics.median(r.get(key, 0.0) for r in rounds)
            print(f"    {key.strip():<62} {ms:7.1f}")


if __name__ == "__main__":
    main()
