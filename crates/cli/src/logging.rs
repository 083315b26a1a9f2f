//! `-v` logs: tracing to stderr, filtered by verbosity (or by `RUST_LOG` when set).

use tracing_subscriber::EnvFilter;

/// The crates whose logs `-v` and `-vv` turn on.
const OUR_CRATES: [&str; 7] = [
    "reginv",
    "reginv_core",
    "reginv_ncp",
    "reginv_huawei",
    "reginv_oci",
    "reginv_emulator",
    "reginv_cli",
];

/// Installs the log subscriber: nothing but warnings without `-v`; our crates at `info` with
/// `-v`, `debug` with `-vv`; everything at `trace` with `-vvv`. `RUST_LOG` overrides.
pub fn init(verbose: u8) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(default_filter(verbose)),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(true)
        .try_init();
}

/// The filter for `-v` repeated `verbose` times.
fn default_filter(verbose: u8) -> String {
    let level = match verbose {
        0 => return "warn".to_string(),
        1 => "info",
        2 => "debug",
        _ => return "trace".to_string(),
    };
    let mut spec = String::from("warn");
    for krate in OUR_CRATES {
        spec.push_str(&format!(",{krate}={level}"));
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_levels() {
        assert_eq!(default_filter(0), "warn");
        assert!(default_filter(1).contains("reginv_ncp=info"));
        assert!(default_filter(2).contains("reginv_core=debug"));
        assert_eq!(default_filter(3), "trace");
    }
}
