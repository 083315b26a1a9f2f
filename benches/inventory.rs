//! `cargo bench --bench inventory`: the performance harness of issue 7.
//!
//! Prints one markdown table to stdout, every figure measured in this run against the
//! emulator (see `benches/harness/mod.rs` and BENCHMARKS.md); progress goes to stderr.
//! `REGINV_BENCH_SCALE=0.1` shrinks the sizes, `REGINV_BENCH_ROWS=ncr-full,memory` picks rows,
//! `REGINV_BENCH_LOG=reginv=info` prints the library's logs.

mod harness;

use std::process::ExitCode;

fn main() -> ExitCode {
    // The library's logs on stderr, for diagnosis: `REGINV_BENCH_LOG=reginv=info`.
    if let Ok(filter) = std::env::var("REGINV_BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    // `cargo bench` passes `--bench`; a filter argument is not supported (use REGINV_BENCH_ROWS).
    let settings = match harness::Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match harness::run(&settings) {
        Ok(report) => print!("{}", report.markdown()),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    match harness::store::run(&settings) {
        Ok(Some(figures)) => print!("{}", figures.markdown()),
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: the snapshot store rows: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
