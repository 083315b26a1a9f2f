//! `reginv demo`: the real inventory against the built-in emulator and its sample accounts.
//!
//! The emulator serves both vendor APIs on 127.0.0.1; the sources are configured exactly as a
//! user's would be (one per NCR region of the sample, one for SWR), with the emulator's endpoints
//! and credentials, so signing, paging and merging all run for real over HTTP.

use std::io::IsTerminal;

use reginv::Config;
use reginv_emulator::{Emulator, Fixture};

use crate::cli::DemoArgs;
use crate::error::CliError;
use crate::signals::Interrupts;

/// Starts the emulator, lists it, writes the output, stops the emulator.
pub async fn run(args: DemoArgs, verbose: u8, interrupts: Interrupts) -> Result<i32, CliError> {
    let emulator = Emulator::builder()
        .fixture(Fixture::sample())
        .start()
        .await
        .map_err(|e| CliError::new(format!("cannot start the built-in emulator: {e}")))?;
    tracing::info!(url = %emulator.base_url(), "built-in emulator listening");
    if std::io::stderr().is_terminal() {
        eprintln!(
            "reginv: demo: a real inventory of the built-in emulator's sample accounts at {} \
             (no credentials, no network)",
            emulator.base_url()
        );
    }
    let result = match super::build(demo_config(&emulator), &args.selection) {
        // Only an explicit --store: $REGINV_STORE names the user's real store, which must not
        // receive the emulator's sample company.
        Ok(inventory) => {
            let store = (args.store.store.clone(), args.store.incremental);
            super::list(
                inventory,
                &args.selection,
                &args.output,
                store,
                verbose,
                interrupts,
            )
            .await
        }
        Err(e) => Err(e),
    };
    emulator.shutdown().await;
    result
}

/// One `ncp` source per NCR region of the emulator's fixture (`ncp-kr`, `ncp-sgn`, …) and one
/// `huawei` source for its SWR account (`swr-<region>`), all pointing at the emulator.
fn demo_config(emulator: &Emulator) -> Config {
    Config::new(emulator.source_entries(), "reginv demo")
}
