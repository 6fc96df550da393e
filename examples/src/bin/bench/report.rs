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
    pub raw: Duration,
    pub equiv: Duration,
    pub statements: usize,
}

impl Line {
    /// hooked / raw.
    pub fn vs_raw(&self) -> f64 {
        ratio(self.hooked, self.raw)
    }

    /// hooked / equivalent.
    pub fn vs_equiv(&self) -> f64 {
        ratio(self.hooked, self.equiv)
    }
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
        )
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
pub fn targets(lines: &[Line], chunk: usize, peak_rss_mib: f64) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |met: bool, what: String| {
        out.push(format!("{} {what}", if met { "ok    " } else { "MISSED" }));
    };
    for line in lines {
        let at = format!("{} {}", line.backend, line.phase);
        check(
            line.vs_equiv() <= 1.3,
            format!("{at}: hooked/equiv {:.2} <= 1.3", line.vs_equiv()),
        );
        if line.phase == Phase::BulkCreate {
            check(
                line.vs_raw() <= 1.3,
                format!("{at}: hooked/raw {:.2} <= 1.3", line.vs_raw()),
            );
        }
        if line.phase == Phase::BulkUpdate && line.backend == "postgres" {
            check(
                line.vs_raw() <= 0.5,
                format!("{at}: hooked/raw {:.2} <= 0.5", line.vs_raw()),
            );
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
    if lines.iter().any(|l| l.n >= 100_000) {
        check(
            peak_rss_mib < PEAK_RSS_LIMIT_MIB,
            format!("peak RSS {peak_rss_mib:.1} MiB < {PEAK_RSS_LIMIT_MIB} MiB"),
        );
    }
    out
}
