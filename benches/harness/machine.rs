//! The machine a run measured: cores, CPU model, memory, kernel.

use std::fmt;

/// What the figures of a run depend on besides the code.
#[derive(Clone, Debug)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `MemTotal` from `/proc/meminfo`, in KiB.
    pub memory_kib: Option<u64>,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
}

impl Machine {
    /// Reads the machine's description from `/proc` (fields it cannot read say `unknown`).
    pub fn detect() -> Machine {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib = meminfo.lines().find_map(|line| {
            let rest = line.strip_prefix("MemTotal:")?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string());
        Machine {
            cpus,
            cpu_model,
            memory_kib,
            kernel,
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let memory = self.memory_kib.map_or_else(
            || "unknown memory".to_string(),
            |kib| format!("{:.1} GiB RAM", kib as f64 / (1024.0 * 1024.0)),
        );
        write!(
            f,
            "{} CPUs ({}), {memory}, Linux {}",
            self.cpus, self.cpu_model, self.kernel
        )
    }
}
