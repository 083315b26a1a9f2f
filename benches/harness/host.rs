//! The emulator on a runtime of its own, so the client's runtime measures only the client.

use reginv_emulator::{Emulator, Faults, Fixture};
use tokio::runtime::Runtime;

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
