//! CPU time of this process's threads by name, from `/proc/self/task/*/stat`: how much of a
//! row's wall time the client's and the emulator's threads spent on a CPU (a row whose CPU time
//! nears `cores × wall` is CPU-bound, not latency-bound).

use std::time::Duration;

/// User + system CPU time of the live threads whose name starts with `prefix`.
pub fn threads_cpu(prefix: &str) -> Duration {
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let mut total = 0u64;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        if !stat[open + 1..close].starts_with(prefix) {
            continue;
        }
        // After comm: state is field 3; utime and stime are fields 14 and 15.
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let field = |n: usize| {
            fields
                .get(n - 3)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        total += field(14) + field(15);
    }
    Duration::from_secs_f64(total as f64 / ticks)
}
