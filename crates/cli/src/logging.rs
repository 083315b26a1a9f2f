//! Logs on stderr: without `-v`, the libraries' warnings in reginv's own form
//! (`reginv: warning: <message>`); with `-v` (or `RUST_LOG`), tracing lines filtered by
//! verbosity. Either way every control character is escaped: a log line may quote a server.

use std::fmt;
use std::io::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::escape;

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

/// Installs the log subscriber: nothing but warnings without `-v` (as `reginv: warning: …`
/// lines); our crates at `info` with `-v`, `debug` with `-vv`; everything at `trace` with
/// `-vvv`. `RUST_LOG` overrides.
pub fn init(verbose: u8) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|spec| !spec.trim().is_empty());
    let plain = verbose == 0 && from_env.is_none();
    let filter = EnvFilter::new(from_env.unwrap_or_else(|| default_filter(verbose)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(EscapingStderr)
        .with_ansi(false)
        .with_target(true);
    let _ = if plain {
        builder.event_format(WarningLine).try_init()
    } else {
        builder.try_init()
    };
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

/// Formats an event as `reginv: warning: <message> (key=value, …)` (`reginv: error: …` for an
/// error), on one line.
struct WarningLine;

impl<S, N> FormatEvent<S, N> for WarningLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        writeln!(
            writer,
            "{}",
            warning_line(*event.metadata().level(), &fields)
        )
    }
}

/// The one line a warning-level event becomes.
fn warning_line(level: Level, fields: &Fields) -> String {
    let label = if level == Level::ERROR {
        "error"
    } else {
        "warning"
    };
    let mut line = format!("reginv: {label}: {}", fields.message);
    if !fields.others.is_empty() {
        line.push_str(&format!(" ({})", fields.others.join(", ")));
    }
    line
}

/// An event's message and its other fields as `key=value`.
#[derive(Default)]
struct Fields {
    message: String,
    others: Vec<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.others.push(format!("{}={value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.others.push(format!("{}={value:?}", field.name()));
        }
    }
}

/// stderr, with every control character but the line break escaped.
struct EscapingStderr;

impl<'a> MakeWriter<'a> for EscapingStderr {
    type Writer = EscapingWriter<io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        EscapingWriter(io::stderr())
    }
}

/// A writer that escapes control characters (but keeps line breaks) on their way through.
struct EscapingWriter<W: Write>(W);

impl<W: Write> Write for EscapingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let escaped: Vec<String> = text
            .split('\n')
            .map(|line| escape::terminal(line).into_owned())
            .collect();
        self.0.write_all(escaped.join("\n").as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
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

    #[test]
    fn a_warning_is_one_reginv_line() {
        let fields = Fields {
            message: "unreadable Content-Range".into(),
            others: vec!["value=\"0-0/x\"".into()],
        };
        assert_eq!(
            warning_line(Level::WARN, &fields),
            "reginv: warning: unreadable Content-Range (value=\"0-0/x\")"
        );
        assert!(warning_line(Level::ERROR, &fields).starts_with("reginv: error: "));
    }

    #[test]
    fn the_writer_escapes_control_characters_but_keeps_line_breaks() {
        let mut out = EscapingWriter(Vec::new());
        out.write_all(b"a\x1b[31mb\x07\nnext\n").unwrap();
        assert_eq!(
            String::from_utf8(out.0).unwrap(),
            "a\\x1b[31mb\\x07\nnext\n"
        );
    }
}
