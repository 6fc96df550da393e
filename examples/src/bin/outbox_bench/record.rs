//! What the benchmark records: when each event was committed, and when
//! (and how often) it was delivered.

use std::io::Write;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hooks_outbox::Event;

/// Microseconds since the Unix epoch (comparable across processes).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The `seq` of a benchmark payload, `{"seq":N}`.
pub fn seq_of(event: &Event) -> Option<usize> {
    event
        .payload
        .strip_prefix("{\"seq\":")?
        .strip_suffix('}')?
        .parse()
        .ok()
}

/// Per event: commit time, first delivery time, deliveries.
pub struct Record {
    committed_us: Vec<AtomicU64>,
    delivered_us: Vec<AtomicU64>,
    deliveries: Vec<AtomicU32>,
}

impl Record {
    pub fn new(n: usize) -> Self {
        Record {
            committed_us: (0..n).map(|_| AtomicU64::new(0)).collect(),
            delivered_us: (0..n).map(|_| AtomicU64::new(0)).collect(),
            deliveries: (0..n).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    pub fn committed(&self, seqs: std::ops::Range<usize>, at_us: u64) {
        for seq in seqs {
            self.committed_us[seq].store(at_us, Ordering::Relaxed);
        }
    }

    pub fn delivered(&self, seq: usize, at_us: u64) {
        if let Some(count) = self.deliveries.get(seq) {
            if count.fetch_add(1, Ordering::Relaxed) == 0 {
                self.delivered_us[seq].store(at_us, Ordering::Relaxed);
            }
        }
    }

    /// Distinct events delivered.
    pub fn distinct(&self) -> usize {
        self.deliveries
            .iter()
            .filter(|c| c.load(Ordering::Relaxed) > 0)
            .count()
    }

    /// (distinct delivered, extra deliveries)
    pub fn totals(&self) -> (usize, u64) {
        let mut distinct = 0;
        let mut extra = 0u64;
        for count in &self.deliveries {
            let c = count.load(Ordering::Relaxed);
            if c > 0 {
                distinct += 1;
                extra += u64::from(c - 1);
            }
        }
        (distinct, extra)
    }

    /// p50 and p99 of commit-to-delivery in ms, over `seqs`.
    pub fn latency_ms(&self, seqs: std::ops::Range<usize>) -> (f64, f64) {
        let mut lat: Vec<u64> = seqs
            .filter_map(|s| {
                let (c, d) = (
                    self.committed_us[s].load(Ordering::Relaxed),
                    self.delivered_us[s].load(Ordering::Relaxed),
                );
                (c > 0 && d > 0).then(|| d.saturating_sub(c))
            })
            .collect();
        if lat.is_empty() {
            return (f64::NAN, f64::NAN);
        }
        lat.sort_unstable();
        let at = |q: f64| lat[((lat.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
        (at(0.50), at(0.99))
    }

    /// Adds the deliveries a worker process wrote (`seq at_us` lines).
    pub fn read_file(&self, path: &std::path::Path) -> std::io::Result<()> {
        let text = std::fs::read_to_string(path)?;
        for line in text.lines() {
            if let Some((seq, at)) = line.split_once(' ') {
                if let (Ok(seq), Ok(at)) = (seq.parse(), at.parse()) {
                    self.delivered(seq, at);
                }
            }
        }
        Ok(())
    }
}

/// Writes a worker process's deliveries, one `write` per batch (which a
/// SIGKILL after it cannot undo).
pub fn append(file: &mut std::fs::File, events: &[Event]) {
    let at = now_us();
    let mut text = String::with_capacity(events.len() * 24);
    for event in events {
        if let Some(seq) = seq_of(event) {
            text.push_str(&format!("{seq} {at}\n"));
        }
    }
    let _ = file.write_all(text.as_bytes());
}
