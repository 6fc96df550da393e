//! Peak resident memory of this process, and CPU time of this thread.

use std::io;
use std::time::Duration;

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

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (in
/// nanoseconds); zero where the kernel does not provide it.
pub fn thread_cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}
