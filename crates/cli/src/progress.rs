//! Progress bars on stderr (indicatif): one per source, counting its repositories against the
//! total its first listing pages announced, with the tags so far and an ETA.
//!
//! Shown only when stderr is a terminal (and logs are off): pipelines and CI logs get nothing on
//! stderr but warnings, which are printed above the bars while they are drawn.
//!
//! What each bar shows is worked out by [`ProgressState`], without a terminal: from the events
//! and the facade's live counters ([`reginv::InventoryProgress`]). [`Progress`] only hands that
//! to indicatif.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use reginv::{Inventory, InventoryEvent, InventoryProgress, SourceProgress, SourceStatus};

/// How often a bar redraws on its own (the spinner, the ETA) while no event arrives.
const TICK: Duration = Duration::from_millis(120);

/// What one bar shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarState {
    /// Its label: a source's name, or `sources`.
    pub label: String,
    /// What the bar counts (`repositories`, `sources`).
    pub unit: &'static str,
    /// How many are done.
    pub position: u64,
    /// Out of how many, when known (never below `position`).
    pub length: Option<u64>,
    /// What follows the counts (`12 tags · 1 error`).
    pub message: String,
    /// How it ended, once it has.
    pub finished: Option<SourceStatus>,
}

impl BarState {
    /// A source's bar from the facade's counters: repositories done against the announced
    /// total, tags and errors so far.
    pub fn of_source(progress: &SourceProgress, finished: Option<SourceStatus>) -> BarState {
        let mut parts = Vec::new();
        if progress.repositories != progress.repositories_done {
            // The filters dropped some of what was listed.
            parts.push(format!("{} matched", progress.repositories));
        }
        parts.push(count(progress.tags, "tag", "tags"));
        if progress.errors > 0 {
            parts.push(count(progress.errors, "error", "errors"));
        }
        BarState {
            label: progress.name.clone(),
            unit: "repositories",
            position: progress.repositories_done,
            length: progress
                .repositories_announced
                .map(|total| total.max(progress.repositories_done)),
            message: parts.join(" · "),
            finished,
        }
    }
}

/// `repository` for `repositories`, `source` for `sources`.
fn singular(unit: &str) -> &str {
    match unit {
        "repositories" => "repository",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What every bar shows, one bar per selected source: the facade's counters for that source,
/// and how it ended once its summary arrived.
#[derive(Debug)]
pub struct ProgressState {
    handle: InventoryProgress,
    names: Vec<String>,
    ended: Vec<Option<SourceStatus>>,
}

impl ProgressState {
    /// A bar per source `names` (in this order) of `handle`.
    pub fn per_source(handle: InventoryProgress, names: Vec<String>) -> ProgressState {
        let ended = vec![None; names.len()];
        ProgressState {
            handle,
            names,
            ended,
        }
    }

    /// How many bars.
    pub fn bars(&self) -> usize {
        self.names.len()
    }

    /// Takes in one event; the bar it changed, if any.
    pub fn observe(&mut self, event: &InventoryEvent) -> Option<usize> {
        let source = match event {
            InventoryEvent::Repository(repo) => &repo.source,
            InventoryEvent::Registry(registry) => &registry.source,
            InventoryEvent::Failure(failure) => &failure.source,
            InventoryEvent::SourceFinished(summary) => &summary.name,
        };
        let index = self.names.iter().position(|name| name == source)?;
        if let InventoryEvent::SourceFinished(summary) = event {
            self.ended[index] = Some(summary.status);
        }
        Some(index)
    }

    /// What bar `index` shows now.
    pub fn bar(&self, index: usize) -> BarState {
        let name = self.names.get(index).map_or("", String::as_str);
        let mut progress = self.handle.source(name).unwrap_or_default();
        if progress.name.is_empty() {
            progress.name = name.to_string();
        }
        BarState::of_source(&progress, self.ended.get(index).copied().flatten())
    }
}

/// Which indicatif style a bar has now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// Counting towards a known total, with an ETA.
    Bar,
    /// Counting, total unknown.
    Spinner,
    /// Ended.
    Done,
}

impl Look {
    fn of(state: &BarState) -> Look {
        match (state.finished, state.length) {
            (Some(_), _) => Look::Done,
            (None, Some(_)) => Look::Bar,
            (None, None) => Look::Spinner,
        }
    }

    fn style(self, unit: &str) -> ProgressStyle {
        let template = match self {
            Look::Bar => {
                format!("{{prefix}} [{{bar:24}}] {{pos}}/{{len}} {unit} · {{msg}} · ETA {{eta}}")
            }
            Look::Spinner => format!("{{prefix}} {{spinner}} {{pos}} {unit} · {{msg}}"),
            Look::Done => "{prefix} {msg}".to_string(),
        };
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
    }
}

/// The bars on the terminal.
#[derive(Debug)]
struct View {
    multi: MultiProgress,
    bars: Vec<(ProgressBar, Option<Look>)>,
}

impl View {
    fn new(state: &ProgressState) -> View {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let labels: Vec<String> = (0..state.bars())
            .map(|i| crate::escape::terminal(&state.bar(i).label).into_owned())
            .collect();
        let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let bars = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let first = state.bar(i);
                let look = Look::of(&first);
                // Styled before it is added: nothing is drawn in the default style.
                let bar = ProgressBar::no_length()
                    .with_style(look.style(first.unit))
                    .with_prefix(format!("{label:<width$}"))
                    .with_message(first.message);
                let bar = multi.add(bar);
                bar.enable_steady_tick(TICK);
                (bar, Some(look))
            })
            .collect();
        let mut view = View { multi, bars };
        for i in 0..state.bars() {
            view.show(i, &state.bar(i));
        }
        view
    }

    fn show(&mut self, index: usize, state: &BarState) {
        let Some((bar, look)) = self.bars.get_mut(index) else {
            return;
        };
        let now = Look::of(state);
        if *look != Some(now) {
            bar.set_style(now.style(state.unit));
            *look = Some(now);
        }
        if let Some(length) = state.length {
            bar.set_length(length);
        }
        bar.set_position(state.position);
        match state.finished {
            Some(status) => {
                let unit = if state.position == 1 {
                    singular(state.unit)
                } else {
                    state.unit
                };
                bar.set_message(format!(
                    "{status}: {} {unit} · {}",
                    state.position, state.message
                ));
                bar.disable_steady_tick();
                bar.tick();
            }
            None => bar.set_message(state.message.clone()),
        }
    }

    /// Takes the bars off the terminal, at once.
    fn clear(self) {
        let _ = self.multi.clear();
        self.multi.set_draw_target(ProgressDrawTarget::hidden());
        for (bar, _) in &self.bars {
            bar.finish_and_clear();
        }
    }
}

/// The progress display of a run: bars when `enabled`, nothing otherwise; warnings either way.
#[derive(Debug)]
pub struct Progress {
    state: ProgressState,
    view: Option<View>,
}

impl Progress {
    /// One bar per source `inventory` selects, drawn only if `enabled`.
    pub fn for_inventory(enabled: bool, inventory: &Inventory) -> Self {
        let names = inventory
            .selected_sources()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        Progress::with_state(
            enabled,
            ProgressState::per_source(inventory.progress(), names),
        )
    }

    fn with_state(enabled: bool, state: ProgressState) -> Self {
        let view = enabled.then(|| View::new(&state));
        Progress { state, view }
    }

    /// Whether progress bars belong on stderr: it is a terminal and logs are not printed there.
    pub fn wanted(verbose: u8) -> bool {
        verbose == 0 && io::stderr().is_terminal()
    }

    /// Takes in one event and redraws the bar it changed.
    pub fn observe(&mut self, event: &InventoryEvent) {
        if let Some(index) = self.state.observe(event) {
            if let Some(view) = &mut self.view {
                view.show(index, &self.state.bar(index));
            }
        }
    }

    /// Prints `reginv: <message>` on stderr (always: warnings are the one thing stderr gets),
    /// above the bars, control characters escaped (a message may quote a server).
    pub fn warn(&mut self, message: &str) {
        let line = format!("reginv: {}", crate::escape::terminal(message));
        match &self.view {
            Some(view) => view.multi.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Takes the bars off, leaving stderr clean for what follows.
    pub fn finish(&mut self) {
        if let Some(view) = self.view.take() {
            view.clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reginv::{Config, Environment, ProviderConfig, Repository, SourceSummary};

    fn source_progress(name: &str) -> SourceProgress {
        let mut progress = SourceProgress::default();
        progress.name = name.into();
        progress
    }

    #[test]
    fn a_source_bar_counts_done_repositories_against_the_announced_total() {
        let mut p = source_progress("ncp-kr");
        let waiting = BarState::of_source(&p, None);
        assert_eq!((waiting.position, waiting.length), (0, None));
        assert_eq!(waiting.message, "0 tags");

        p.repositories_announced = Some(40);
        p.repositories_listed = 20;
        p.repositories_done = 12;
        p.repositories = 12;
        p.tags = 1;
        let state = BarState::of_source(&p, None);
        assert_eq!((state.position, state.length), (12, Some(40)));
        assert_eq!(state.message, "1 tag");
        assert_eq!(Look::of(&state), Look::Bar);

        // Some dropped by the filters, a failure, and a listing that brought more than it said.
        p.repositories_done = 45;
        p.repositories = 30;
        p.tags = 7;
        p.errors = 2;
        let state = BarState::of_source(&p, Some(SourceStatus::Partial));
        assert_eq!((state.position, state.length), (45, Some(45)));
        assert_eq!(state.message, "30 matched · 7 tags · 2 errors");
        assert_eq!(Look::of(&state), Look::Done);
        assert_eq!(state.label, "ncp-kr");
        assert_eq!(state.unit, "repositories");
    }

    fn inventory() -> Inventory {
        let mut config = Config::default();
        config.providers = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                ProviderConfig::new(name, "ncp")
                    .with("region", "kr")
                    .with("endpoint", "http://127.0.0.1:1")
                    .with("access_key", "AK")
                    .with("secret_key", "SK")
            })
            .collect();
        Inventory::from_config_in(&config, &Environment::from_vars([("HOME", "/nonexistent")]))
            .unwrap()
    }

    #[test]
    fn events_go_to_their_sources_bar_and_a_finished_source_says_how_it_ended() {
        let inventory = inventory();
        let source = |name: &str| {
            inventory
                .providers()
                .iter()
                .map(|p| p.source().clone())
                .find(|s| s.name == name)
                .unwrap()
        };
        // Sources a and c are selected; b is not.
        let names = vec!["a".to_string(), "c".to_string()];
        let mut state = ProgressState::per_source(inventory.progress(), names);
        assert_eq!(state.bars(), 2);
        assert_eq!(state.bar(1).label, "c");

        let repo = Repository::new(&source("c"), "reg", "app");
        let event = InventoryEvent::Repository(Box::new(repo));
        assert_eq!(state.observe(&event), Some(1));
        let other = Repository::new(&source("b"), "reg", "app");
        assert_eq!(
            state.observe(&InventoryEvent::Repository(Box::new(other))),
            None
        );
        assert_eq!(state.bar(0).finished, None);

        let mut summary = SourceSummary::new(&source("a"));
        summary.status = SourceStatus::Failed;
        assert_eq!(
            state.observe(&InventoryEvent::SourceFinished(summary)),
            Some(0)
        );
        assert_eq!(state.bar(0).finished, Some(SourceStatus::Failed));
        assert_eq!(state.bar(1).finished, None);
    }

    #[test]
    fn without_a_terminal_nothing_is_drawn() {
        let progress = Progress::for_inventory(false, &inventory());
        assert!(progress.view.is_none());
        assert_eq!(progress.state.bars(), 3);
    }
}
