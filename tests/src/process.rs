//! What the benchmarks read of a running server from `/proc` (Linux).

/// A numeric field of `/proc/<pid>/status` (`"VmRSS:"`, `"VmHWM:"` in KiB, `"Threads:"`), or 0
/// when the process or the field is not there.
pub fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}
