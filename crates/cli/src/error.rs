//! The error a command ends with: a message for `reginv: <message>` and an exit status.

use std::fmt;
use std::io;

use crate::signals::Signal;

/// Why a command stopped. Printed as `reginv: <message>` on stderr; the process exits with
/// [`CliError::exit_code`]. Messages never contain a secret: they are built from reginv errors
/// (which never carry one) and from file names.
#[derive(Debug)]
pub struct CliError {
    message: String,
    exit_code: i32,
    quiet: bool,
}

impl CliError {
    /// A failure that lists nothing: exit status 1.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: 1,
            quiet: false,
        }
    }

    /// A failure to write the output (`what` names the destination). A closed pipe (the reader,
    /// say `head`, has seen enough) ends the run quietly.
    pub fn write(what: &str, err: &io::Error) -> Self {
        let mut error = CliError::new(format!("cannot write {what}: {err}"));
        error.quiet = err.kind() == io::ErrorKind::BrokenPipe;
        error
    }

    /// The run was ended by `signal`: exit status 130 (Ctrl-C) or 143 (SIGTERM), as shells
    /// report them.
    pub fn interrupted(signal: Signal) -> Self {
        CliError {
            message: signal.name().to_string(),
            exit_code: signal.exit_code(),
            quiet: false,
        }
    }

    /// Whether the message is worth printing (not for a closed pipe).
    pub fn should_print(&self) -> bool {
        !self.quiet
    }

    /// The exit status to end with.
    pub fn exit_code(&self) -> i32 {
        self.exit_code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<reginv::Error> for CliError {
    fn from(err: reginv::Error) -> Self {
        CliError::new(err.to_string())
    }
}
