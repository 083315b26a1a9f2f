//! `reginv`: inventory container registries across clouds (NAVER Cloud NCR, Huawei Cloud SWR).
//!
//! See `reginv --help` and the README for the commands, the output formats and the exit status.

mod cli;
mod commands;
mod config_lookup;
mod error;
mod logging;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("reginv: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // Ctrl-C drops the running command: a half-written --output file is removed on the way.
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = commands::run(cli) => outcome,
            _ = tokio::signal::ctrl_c() => Err(error::CliError::interrupted()),
        }
    });
    match outcome {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(err) => {
            if err.should_print() {
                eprintln!("reginv: {err}");
            }
            ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(1))
        }
    }
}
