//! The emulator on a runtime of its own, so the client's runtime measures only the client.

use std::future::Future;
use std::time::{Duration, Instant};

use reginv::{Inventory, InventoryReport};
use reginv_emulator::{Emulator, EmulatorStats, Faults, Fixture};
use tokio::runtime::Runtime;

use super::cpu::threads_cpu;
use super::timeline;

/// The name prefix of the client runtime's threads.
pub const CLIENT: &str = "bench-client";
/// The name prefix of the emulator runtime's threads.
pub const EMULATOR: &str = "bench-emulator";

/// A runtime for the client side of a row, with as many workers as the machine has CPUs.
pub fn client_runtime() -> Result<Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(CLIENT)
        .build()
        .map_err(|e| format!("cannot start the client runtime: {e}"))
}

/// An emulator serving from its own runtime's threads. Dropping it stops the server.
pub struct EmulatorHost {
    // Declared before the runtime so the server is told to stop before its runtime goes.
    emulator: Emulator,
    runtime: Runtime,
}

impl EmulatorHost {
    /// Starts an emulator of `fixture` with `faults` (NCR pages up to `ncp_max_page_size`).
    pub fn start(
        fixture: Fixture,
        faults: Faults,
        ncp_max_page_size: u32,
    ) -> Result<EmulatorHost, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name(EMULATOR)
            .build()
            .map_err(|e| format!("cannot start the emulator runtime: {e}"))?;
        let emulator = runtime
            .block_on(
                Emulator::builder()
                    .fixture(fixture)
                    .faults(faults)
                    .ncp_max_page_size(ncp_max_page_size)
                    .start(),
            )
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        Ok(EmulatorHost { emulator, runtime })
    }

    /// The running emulator.
    pub fn emulator(&self) -> &Emulator {
        &self.emulator
    }

    /// Stops the server and waits for it.
    pub fn stop(self) {
        let EmulatorHost { emulator, runtime } = self;
        runtime.block_on(emulator.shutdown());
    }
}

/// What one piece of client work measured: its output, the wall time, the CPU time of the
/// client's and the emulator's threads, and the emulator's counters.
pub struct Measured<T> {
    pub output: T,
    pub wall: Duration,
    pub client_cpu: Duration,
    pub emulator_cpu: Duration,
    pub stats: EmulatorStats,
}

impl EmulatorHost {
    /// Runs `work` for the row `id` on `runtime` (spawned, so the whole client runs on the
    /// runtime's measured worker threads), the emulator's counters reset first; samples the
    /// row's timeline when `REGINV_BENCH_TIMELINE` asks for it.
    pub fn measure<T, F>(&self, id: &str, runtime: &Runtime, work: F) -> Result<Measured<T>, String>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        self.emulator.reset_stats();
        let (client_before, emulator_before) = (threads_cpu(CLIENT), threads_cpu(EMULATOR));
        let started = Instant::now();
        let output = timeline::sampled(
            id,
            timeline::wanted(id),
            &self.emulator,
            timeline::bucket(),
            || runtime.block_on(runtime.spawn(work)),
        )
        .map_err(|e| format!("{id}: the client task failed: {e}"))?;
        let wall = started.elapsed();
        Ok(Measured {
            output,
            wall,
            client_cpu: threads_cpu(CLIENT).saturating_sub(client_before),
            emulator_cpu: threads_cpu(EMULATOR).saturating_sub(emulator_before),
            stats: self.emulator.stats(),
        })
    }

    /// `inventory.collect()` for the row `id`, [measured](Self::measure) on a client runtime
    /// of its own, which is gone when this returns.
    pub fn collect(
        &self,
        id: &str,
        inventory: Inventory,
    ) -> Result<Measured<InventoryReport>, String> {
        let runtime = client_runtime()?;
        self.measure(id, &runtime, async move { inventory.collect().await })
    }
}
