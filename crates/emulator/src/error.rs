//! The emulator's own errors (starting it, loading fixtures).

use std::path::PathBuf;

/// Why the emulator could not start, or a fixture could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing a fixture file failed.
    #[error("fixture file {path}: {source}")]
    FixtureIo {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A fixture is not valid JSON of the expected shape.
    #[error("fixture is not valid JSON of the expected shape: {0}")]
    FixtureJson(#[from] serde_json::Error),
    /// A fixture is well-formed JSON but inconsistent (duplicate names, unknown region, …).
    #[error("invalid fixture: {0}")]
    InvalidFixture(String),
}
