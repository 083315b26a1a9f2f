//! `reginv`: inventory container registries across clouds (NAVER Cloud NCR, Huawei Cloud SWR).
//!
//! See `reginv --help` and the README for the commands, the output formats and the exit status.

mod cli;
mod commands;
mod config_lookup;
mod error;
mod escape;
mod logging;
mod output;
mod progress;
mod signals;

use std::process::ExitCode;

use clap::error::ErrorKind as ClapErrorKind;
use clap::Parser;

use crate::signals::Interrupts;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
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
    // Ctrl-C and SIGTERM drop the running command: a half-written --output file is removed on
    // the way (an NDJSON stream first ends with an interrupted summary line).
    let outcome = runtime.block_on(async {
        let mut interrupts = match Interrupts::install() {
            Ok(interrupts) => interrupts,
            Err(e) => return Err(error::CliError::new(format!("cannot handle signals: {e}"))),
        };
        let run = commands::run(cli, interrupts.clone());
        tokio::pin!(run);
        let signal = tokio::select! {
            biased;
            outcome = &mut run => return outcome,
            signal = interrupts.wait() => signal,
        };
        if interrupts.is_delegated() {
            // The command ends the run itself (an NDJSON stream with its interrupted summary
            // line), as soon as it sees the signal too.
            run.await
        } else {
            Err(error::CliError::interrupted(signal))
        }
    });
    // Do not wait for requests still in flight.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(err) => {
            if err.should_print() {
                eprintln!("reginv: {}", escape::terminal_lines(&err.to_string()));
            }
            ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(1))
        }
    }
}

/// Prints clap's message for a bad command line (or the help / version asked for) and picks
/// the exit status: 0 for help and version, 1 for every usage error (never clap's 2, which
/// reginv uses for "printed but incomplete").
fn usage_error(err: &clap::Error) -> ExitCode {
    let _ = err.print();
    match err.kind() {
        ClapErrorKind::DisplayHelp | ClapErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
