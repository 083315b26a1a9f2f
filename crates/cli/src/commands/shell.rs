//! `reginv completions SHELL` and `reginv man`: generated from the command line's definition
//! (clap_complete, clap_mangen), so they always match the binary.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::CliError;

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: Shell) -> Result<i32, CliError> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "reginv", &mut out);
    write_stdout(&out)
}

/// Prints the manual page (roff) on stdout: the top-level page, then one section per
/// subcommand.
pub fn man() -> Result<i32, CliError> {
    let mut out = Vec::new();
    render_man(&mut out).map_err(|e| CliError::write("the manual page", &e))?;
    write_stdout(&out)
}

/// The whole manual: `reginv(1)` with every subcommand's page appended.
fn render_man(out: &mut Vec<u8>) -> io::Result<()> {
    let command = Cli::command();
    clap_mangen::Man::new(command.clone()).render(out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("reginv-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(name.clone())
            .display_name(name)
            .version(env!("CARGO_PKG_VERSION"));
        clap_mangen::Man::new(sub).render(out)?;
    }
    Ok(())
}

fn write_stdout(bytes: &[u8]) -> Result<i32, CliError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::write("stdout", &e))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand's name, `help` aside.
    fn subcommands() -> Vec<String> {
        Cli::command()
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect()
    }

    #[test]
    fn every_completion_script_names_every_subcommand() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "reginv", &mut out);
            let text = String::from_utf8(out).unwrap();
            assert!(!text.is_empty(), "{shell}");
            for name in subcommands() {
                assert!(text.contains(&name), "{shell} completion lacks {name}");
            }
        }
    }

    #[test]
    fn the_manual_has_a_section_per_subcommand() {
        let mut out = Vec::new();
        render_man(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH reginv"),
            "{text:.200}"
        );
        for name in subcommands() {
            assert!(
                text.contains(&format!(".TH reginv-{name} ")),
                "the manual lacks reginv-{name}"
            );
        }
    }
}
