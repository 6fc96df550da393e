//! The output line of WORKLOAD.md, and the targets checked against it.

use std::fmt;
use std::time::Duration;

use crate::phases::Phase;

/// One backend and phase: the median time of each variant and the
/// statements the hooked run sent. A baseline is `None` when it was not
/// run (`--variants`).
#[derive(Clone, Debug)]
pub struct Line {
    pub backend: &'static str,
    pub phase: Phase,
    pub n: usize,
    pub hooked: Duration,
    /// CPU time of the client thread during the hooked run (the rest of
    /// `hooked` is spent waiting for the server).
    pub hooked_cpu: Duration,
    /// Raw, Diesel's query builder.
    pub raw: Option<Duration>,
    /// Raw with every statement prepared once: the primary raw baseline.
    pub raw_prep: Option<Duration>,
    /// Equivalent, Diesel's query builder.
    pub equiv: Option<Duration>,
    /// Equivalent with every statement prepared once: the primary
    /// equivalent baseline.
    pub equiv_prep: Option<Duration>,
    pub statements: usize,
    /// The `diesel` variant, for the phases it has.
    pub diesel: Option<Duration>,
    /// `bulk_update` as one `UPDATE` per changed row (prepared), an extra
    /// column.
    pub raw_loop: Option<Duration>,
    /// Server time (PostgreSQL), where it could be read.
    pub server: ServerTimes,
}

/// Median server time of the hooked run and of the primary baselines:
/// the time the server spent executing the run's statements (PostgreSQL's
/// `pg_stat_database.active_time` of the bench's own database), `None`
/// where it is not read.
#[derive(Clone, Copy, Debug, Default)]
pub struct ServerTimes {
    pub hooked: Option<Duration>,
    pub raw_prep: Option<Duration>,
    pub equiv_prep: Option<Duration>,
}

impl Line {
    /// hooked / raw with statements prepared once (the primary ratio).
    pub fn vs_raw(&self) -> Option<f64> {
        self.raw_prep.map(|b| ratio(self.hooked, b))
    }

    /// hooked / equivalent with statements prepared once (the primary
    /// ratio).
    pub fn vs_equiv(&self) -> Option<f64> {
        self.equiv_prep.map(|b| ratio(self.hooked, b))
    }

    /// hooked / raw with Diesel's query builder.
    pub fn vs_raw_unprep(&self) -> Option<f64> {
        self.raw.map(|b| ratio(self.hooked, b))
    }

    /// hooked / equivalent with Diesel's query builder.
    pub fn vs_equiv_unprep(&self) -> Option<f64> {
        self.equiv.map(|b| ratio(self.hooked, b))
    }

    /// diesel / hooked.
    pub fn diesel_vs_hooked(&self) -> Option<f64> {
        self.diesel.map(|d| ratio(d, self.hooked))
    }
}

/// The cost of a `HookedConnection` for statements to tables without
/// hooks: the raw variant's statements of every phase, through a bare
/// connection, through a hooked one with no hooks at all, and through one
/// whose only hooks are on another table.
#[derive(Clone, Debug)]
pub struct Overhead {
    pub backend: &'static str,
    pub n: usize,
    pub bare: Duration,
    pub empty_registry: Duration,
    pub other_table: Duration,
}

impl fmt::Display for Overhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "backend={} phase=unhooked_tables n={} bare_ms={:.1} empty_registry_ms={:.1} other_table_hooks_ms={:.1} empty_vs_bare={:.3} other_vs_bare={:.3}",
            self.backend,
            self.n,
            ms(self.bare),
            ms(self.empty_registry),
            ms(self.other_table),
            ratio(self.empty_registry, self.bare),
            ratio(self.other_table, self.bare),
        )
    }
}

/// The sums of one backend's phases (a baseline only when every phase
/// has it).
pub fn total(lines: &[Line], backend: &'static str) -> String {
    let mine: Vec<&Line> = lines.iter().filter(|l| l.backend == backend).collect();
    let sum = |f: fn(&Line) -> Option<Duration>| -> Option<Duration> {
        mine.iter().map(|l| f(l)).sum::<Option<Duration>>()
    };
    let hooked = mine.iter().map(|l| l.hooked).sum::<Duration>();
    let mut out = format!(
        "backend={backend} phase=total n={} hooked_ms={:.1}",
        mine.first().map_or(0, |l| l.n),
        ms(hooked)
    );
    let (raw_prep, equiv_prep) = (sum(|l| l.raw_prep), sum(|l| l.equiv_prep));
    let (raw, equiv) = (sum(|l| l.raw), sum(|l| l.equiv));
    push_ms(&mut out, "raw_prep_ms", raw_prep);
    push_ms(&mut out, "equiv_prep_ms", equiv_prep);
    push_ratio(&mut out, "vs_raw", raw_prep.map(|b| ratio(hooked, b)));
    push_ratio(&mut out, "vs_equiv", equiv_prep.map(|b| ratio(hooked, b)));
    push_ms(&mut out, "server_ms", sum(|l| l.server.hooked));
    push_ms(&mut out, "server_raw_prep_ms", sum(|l| l.server.raw_prep));
    push_ms(
        &mut out,
        "server_equiv_prep_ms",
        sum(|l| l.server.equiv_prep),
    );
    push_ms(&mut out, "raw_ms", raw);
    push_ms(&mut out, "equiv_ms", equiv);
    push_ratio(&mut out, "vs_raw_unprep", raw.map(|b| ratio(hooked, b)));
    push_ratio(&mut out, "vs_equiv_unprep", equiv.map(|b| ratio(hooked, b)));
    push_ms(
        &mut out,
        "hooked_cpu_ms",
        Some(mine.iter().map(|l| l.hooked_cpu).sum()),
    );
    out
}

fn push_ms(out: &mut String, name: &str, value: Option<Duration>) {
    if let Some(value) = value {
        out.push_str(&format!(" {name}={:.1}", ms(value)));
    }
}

fn push_ratio(out: &mut String, name: &str, value: Option<f64>) {
    if let Some(value) = value {
        out.push_str(&format!(" {name}={value:.2}"));
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `backend= phase= n= hooked_ms= raw_prep_ms= equiv_prep_ms= vs_raw=
/// vs_equiv= statements=`, then the server times, the unprepared
/// baselines (`raw_ms= equiv_ms= vs_raw_unprep= vs_equiv_unprep=`), the
/// client CPU time, the raw loop and the diesel variant, each where
/// measured.
impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = format!(
            "backend={} phase={} n={} hooked_ms={:.1}",
            self.backend,
            self.phase,
            self.n,
            ms(self.hooked)
        );
        push_ms(&mut out, "raw_prep_ms", self.raw_prep);
        push_ms(&mut out, "equiv_prep_ms", self.equiv_prep);
        push_ratio(&mut out, "vs_raw", self.vs_raw());
        push_ratio(&mut out, "vs_equiv", self.vs_equiv());
        out.push_str(&format!(" statements={}", self.statements));
        push_ms(&mut out, "server_ms", self.server.hooked);
        push_ms(&mut out, "server_raw_prep_ms", self.server.raw_prep);
        push_ms(&mut out, "server_equiv_prep_ms", self.server.equiv_prep);
        push_ms(&mut out, "raw_ms", self.raw);
        push_ms(&mut out, "equiv_ms", self.equiv);
        push_ratio(&mut out, "vs_raw_unprep", self.vs_raw_unprep());
        push_ratio(&mut out, "vs_equiv_unprep", self.vs_equiv_unprep());
        push_ms(&mut out, "hooked_cpu_ms", Some(self.hooked_cpu));
        push_ms(&mut out, "raw_loop_ms", self.raw_loop);
        push_ms(&mut out, "diesel_ms", self.diesel);
        push_ratio(&mut out, "diesel_vs_hooked", self.diesel_vs_hooked());
        f.write_str(&out)
    }
}

/// Most statements a hooked phase may send over `chunks` chunks: a few per
/// chunk plus a constant (transaction, a last empty read), never O(N).
fn statement_bound(chunks: usize) -> usize {
    4 * chunks + 4
}

/// Peak resident memory allowed for N = 100,000 (WORKLOAD.md).
pub const PEAK_RSS_LIMIT_MIB: f64 = 150.0;
/// Most hooked / equiv_prep: the cost of the hook machinery.
pub const EQUIV_LIMIT: f64 = 1.15;
/// Most hooked / raw_prep: the cost of the rows hooks need.
pub const RAW_LIMIT: f64 = 2.0;

/// The targets of WORKLOAD.md, each as "ok" or "MISSED" with its figure.
pub fn targets(
    lines: &[Line],
    overheads: &[Overhead],
    chunk: usize,
    peak_rss_mib: f64,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |met: bool, what: String| {
        out.push(format!("{} {what}", if met { "ok    " } else { "MISSED" }));
    };
    for line in lines {
        let at = format!("{} {}", line.backend, line.phase);
        if let Some(vs) = line.vs_equiv() {
            let what = format!("{at}: hooked/equiv_prep {vs:.2} <= {EQUIV_LIMIT}");
            check(vs <= EQUIV_LIMIT, what);
        }
        if let Some(vs) = line.vs_raw() {
            check(
                vs <= RAW_LIMIT,
                format!("{at}: hooked/raw_prep {vs:.2} <= {RAW_LIMIT}"),
            );
        }
        if let Some(vs) = line.diesel_vs_hooked() {
            check(vs <= 1.15, format!("{at}: diesel/hooked {vs:.2} <= 1.15"));
        }
        let bound = statement_bound(line.n.div_ceil(chunk.max(1)));
        check(
            line.statements <= bound,
            format!(
                "{at}: {} statements <= {bound} (O(N/chunk))",
                line.statements
            ),
        );
    }
    for o in overheads {
        let vs = ratio(o.empty_registry, o.bare);
        check(
            vs <= 1.05,
            format!(
                "{}: no hooks, through HookedConnection / bare {vs:.3} <= 1.05",
                o.backend
            ),
        );
    }
    if lines.iter().any(|l| l.n >= 100_000) {
        check(
            peak_rss_mib < PEAK_RSS_LIMIT_MIB,
            format!("peak RSS {peak_rss_mib:.1} MiB < {PEAK_RSS_LIMIT_MIB} MiB"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(raw_prep: Option<u64>, equiv_prep: Option<u64>) -> Line {
        let ms = Duration::from_millis;
        Line {
            backend: "postgres",
            phase: Phase::BulkUpdate,
            n: 10,
            hooked: ms(20),
            hooked_cpu: ms(5),
            raw: raw_prep.map(|_| ms(40)),
            raw_prep: raw_prep.map(ms),
            equiv: equiv_prep.map(|_| ms(80)),
            equiv_prep: equiv_prep.map(ms),
            statements: 22,
            diesel: None,
            raw_loop: raw_prep.map(|_| ms(400)),
            server: ServerTimes {
                hooked: Some(ms(15)),
                ..ServerTimes::default()
            },
        }
    }

    #[test]
    fn primary_ratios_are_against_the_prepared_baselines() {
        let line = line(Some(10), Some(16));
        assert_eq!(line.vs_raw(), Some(2.0));
        assert_eq!(line.vs_equiv(), Some(1.25));
        assert_eq!(line.vs_raw_unprep(), Some(0.5));
        let text = line.to_string();
        for field in [
            "hooked_ms=20.0 raw_prep_ms=10.0 equiv_prep_ms=16.0 vs_raw=2.00 vs_equiv=1.25 statements=22",
            " server_ms=15.0 ",
            " raw_ms=40.0 equiv_ms=80.0 vs_raw_unprep=0.50 vs_equiv_unprep=0.25 ",
            " raw_loop_ms=400.0",
        ] {
            assert!(text.contains(field), "{field:?} not in {text:?}");
        }
        let targets = targets(&[line], &[], 1000, 0.0);
        assert!(targets
            .iter()
            .any(|t| t.starts_with("MISSED") && t.contains("equiv_prep 1.25")));
        assert!(targets
            .iter()
            .any(|t| t.starts_with("ok") && t.contains("raw_prep 2.00")));
    }

    #[test]
    fn a_hooked_only_line_prints_no_baselines() {
        let line = line(None, None);
        let text = line.to_string();
        assert!(!text.contains("raw") && !text.contains("equiv") && !text.contains("vs_"));
        let total = total(&[line], "postgres");
        assert!(
            total.contains("hooked_ms=20.0 server_ms=15.0 hooked_cpu_ms=5.0"),
            "{total}"
        );
    }
}
