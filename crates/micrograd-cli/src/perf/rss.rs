//! Resident memory of this process, from `/proc/self/status` (Linux).

/// Reads one `Vm...:  N kB` line of `/proc/self/status`.
fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Current resident set size in KiB (`VmRSS`), or `None` where `/proc` is not available.
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS")
}

/// Peak resident set size of the process so far in KiB (`VmHWM`), or `None` where `/proc` is
/// not available.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM")
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_proc_status_on_linux() {
        if cfg!(target_os = "linux") {
            let rss = super::rss_kib().unwrap();
            let peak = super::peak_rss_kib().unwrap();
            assert!(rss > 0 && peak >= rss, "rss {rss} peak {peak}");
        }
    }
}
