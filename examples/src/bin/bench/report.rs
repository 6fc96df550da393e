//! The output line of WORKLOAD.md, and the targets checked against it.

use std::fmt;
use std::time::Duration;

use crate::phases::Phase;

/// One backend and phase: the median time of each variant and the
/// statements the hooked run sent.
#[derive(Clone, Debug)]
pub struct Line {
    pub backend: &'static str,
    pub phase: Phase,
    pub n: usize,
    pub hooked: Duration,
    /// CPU time of the client thread during the hooked run (the rest of
    /// `hooked` is spent waiting for the server).
    pub hooked_cpu: Duration,
    pub raw: Duration,
    /// Raw with every statement prepared once.
    pub raw_prep: Duration,
    pub equiv: Duration,
    /// Equivalent with every statement prepared once.
    pub equiv_prep: Duration,
    pub statements: usize,
    /// The `diesel` variant, for the phases it has.
    pub diesel: Option<Duration>,
}

impl Line {
    /// hooked / raw.
    pub fn vs_raw(&self) -> f64 {
        ratio(self.hooked, self.raw)
    }

    /// hooked / raw with statements prepared once.
    pub fn vs_raw_prep(&self) -> f64 {
        ratio(self.hooked, self.raw_prep)
    }

    /// hooked / equivalent.
    pub fn vs_equiv(&self) -> f64 {
        ratio(self.hooked, self.equiv)
    }

    /// hooked / equivalent with statements prepared once.
    pub fn vs_equiv_prep(&self) -> f64 {
        ratio(self.hooked, self.equiv_prep)
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

/// The sums of one backend's phases.
pub fn total(lines: &[Line], backend: &'static str) -> String {
    let mine = || lines.iter().filter(|l| l.backend == backend);
    let sum = |f: fn(&Line) -> Duration| mine().map(f).sum::<Duration>();
    let (hooked, raw, equiv) = (sum(|l| l.hooked), sum(|l| l.raw), sum(|l| l.equiv));
    let (raw_prep, equiv_prep) = (sum(|l| l.raw_prep), sum(|l| l.equiv_prep));
    format!(
        "backend={backend} phase=total n={} hooked_ms={:.1} raw_ms={:.1} equiv_ms={:.1} vs_raw={:.2} vs_equiv={:.2} \
         raw_prep_ms={:.1} equiv_prep_ms={:.1} vs_raw_prep={:.2} vs_equiv_prep={:.2} hooked_cpu_ms={:.1}",
        mine().next().map_or(0, |l| l.n),
        ms(hooked),
        ms(raw),
        ms(equiv),
        ratio(hooked, raw),
        ratio(hooked, equiv),
        ms(raw_prep),
        ms(equiv_prep),
        ratio(hooked, raw_prep),
        ratio(hooked, equiv_prep),
        ms(sum(|l| l.hooked_cpu)),
    )
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(f64::MIN_POSITIVE)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "backend={} phase={} n={} hooked_ms={:.1} raw_ms={:.1} equiv_ms={:.1} vs_raw={:.2} vs_equiv={:.2} statements={}",
            self.backend,
            self.phase,
            self.n,
            ms(self.hooked),
            ms(self.raw),
            ms(self.equiv),
            self.vs_raw(),
            self.vs_equiv(),
            self.statements
        )?;
        write!(
            f,
            " raw_prep_ms={:.1} equiv_prep_ms={:.1} vs_raw_prep={:.2} vs_equiv_prep={:.2} hooked_cpu_ms={:.1}",
            ms(self.raw_prep),
            ms(self.equiv_prep),
            self.vs_raw_prep(),
            self.vs_equiv_prep(),
            ms(self.hooked_cpu),
        )?;
        if let (Some(diesel), Some(vs)) = (self.diesel, self.diesel_vs_hooked()) {
            write!(f, " diesel_ms={:.1} diesel_vs_hooked={vs:.2}", ms(diesel))?;
        }
        Ok(())
    }
}

/// Most statements a hooked phase may send over `chunks` chunks: a few per
/// chunk plus a constant (transaction, a last empty read), never O(N).
fn statement_bound(chunks: usize) -> usize {
    4 * chunks + 4
}

/// Peak resident memory allowed for N = 100,000.
pub const PEAK_RSS_LIMIT_MIB: f64 = 200.0;

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
        for (name, vs) in [
            ("equiv", line.vs_equiv()),
            ("equiv_prep", line.vs_equiv_prep()),
        ] {
            check(vs <= 1.3, format!("{at}: hooked/{name} {vs:.2} <= 1.3"));
        }
        for (name, vs) in [("raw", line.vs_raw()), ("raw_prep", line.vs_raw_prep())] {
            if line.phase == Phase::BulkCreate {
                check(vs <= 1.3, format!("{at}: hooked/{name} {vs:.2} <= 1.3"));
            }
            if line.phase == Phase::BulkUpdate && line.backend == "postgres" {
                check(vs <= 0.5, format!("{at}: hooked/{name} {vs:.2} <= 0.5"));
            }
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
