//! Peak resident memory of this process.

use std::io;

/// `VmHWM` of `/proc/self/status` (the peak resident set), in MiB.
pub fn peak_rss_mib() -> io::Result<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .ok_or_else(|| io::Error::other("no VmHWM line in /proc/self/status"))?;
    Ok(kib as f64 / 1024.0)
}
