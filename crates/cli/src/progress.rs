//! The progress line on stderr: sources done, repositories and tags so far, redrawn in place.
//!
//! Shown only when stderr is a terminal (and logs are off): pipelines and CI logs get nothing on
//! stderr but warnings.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use reginv::InventoryEvent;

/// How often the line is redrawn at most (a source finishing always redraws).
const REDRAW_EVERY: Duration = Duration::from_millis(80);

/// Counts events and redraws one status line on stderr.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    sources_total: usize,
    sources_done: usize,
    repositories: u64,
    tags: u64,
    errors: u64,
    last_draw: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// A progress line for `sources_total` sources, drawn only if `enabled`.
    pub fn new(enabled: bool, sources_total: usize) -> Self {
        Progress {
            enabled,
            sources_total,
            sources_done: 0,
            repositories: 0,
            tags: 0,
            errors: 0,
            last_draw: None,
            drawn: false,
        }
    }

    /// Whether a progress line belongs on stderr: it is a terminal and logs are not printed there.
    pub fn wanted(verbose: u8) -> bool {
        verbose == 0 && io::stderr().is_terminal()
    }

    /// Counts one event and redraws if it is time.
    pub fn observe(&mut self, event: &InventoryEvent) {
        let force = match event {
            InventoryEvent::Repository(repo) => {
                self.repositories += 1;
                self.tags += repo.tags.as_ref().map_or(0, |t| t.len() as u64);
                false
            }
            InventoryEvent::Failure(_) => {
                self.errors += 1;
                false
            }
            InventoryEvent::SourceFinished(_) => {
                self.sources_done += 1;
                true
            }
            InventoryEvent::Registry(_) => false,
        };
        self.draw(force);
    }

    /// The current status line.
    pub fn line(&self) -> String {
        let mut line = format!(
            "sources {}/{} · repositories {} · tags {}",
            self.sources_done, self.sources_total, self.repositories, self.tags
        );
        if self.errors > 0 {
            line.push_str(&format!(" · errors {}", self.errors));
        }
        line
    }

    fn draw(&mut self, force: bool) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if !force && self.last_draw.is_some_and(|t| now - t < REDRAW_EVERY) {
            return;
        }
        self.last_draw = Some(now);
        self.drawn = true;
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", self.line());
        let _ = err.flush();
    }

    /// Prints `reginv: <message>` on stderr (always: warnings are the one thing stderr gets),
    /// on its own line, control characters escaped (a message may quote a server), then lets
    /// the progress line be redrawn below it.
    pub fn warn(&mut self, message: &str) {
        let was_drawn = self.drawn;
        self.finish();
        eprintln!("reginv: {}", crate::escape::terminal(message));
        if was_drawn {
            self.draw(true);
        }
    }

    /// Erases the line, leaving stderr clean for what follows.
    pub fn finish(&mut self) {
        if self.drawn {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
