//! Adaptive per-source concurrency: how many requests of one source may be in flight, learned
//! from how the source answers (AIMD, as TCP congestion control and the AWS SDKs' adaptive
//! retry mode).
//!
//! A source starts at [`INITIAL_LIMIT`] (or its cap, if lower) and:
//!
//! - **grows** on every success while the latency holds and the source uses at least half its
//!   places: by one per success until the first sign of congestion ("slow start": the limit
//!   doubles each round trip), then by one per round trip (`1 / limit` per success). The
//!   latency holds while its moving average stays within [`LATENCY_TOLERANCE`] times the
//!   lowest moving average seen; above that the limit stays where it is. Requests sent before
//!   the last decrease do not grow it.
//! - **shrinks** to [`DECREASE_FACTOR`] of itself on congestion: responses that said the
//!   source was throttled (HTTP 429 or the vendor's throttling code), HTTP 503, and timeouts.
//!   One signal ends slow start; the limit shrinks once [`SIGNALS_TO_SHRINK`] signals fell
//!   within the last [`WINDOW`] completed requests (so a server that throttles a random 1% of
//!   requests is not mistaken for one that is overloaded), and at most once per round trip (a
//!   request that started before the last decrease says nothing about the new limit).
//!
//! The limit never exceeds the cap (the global `--concurrency`, or `--per-source-concurrency`
//! when given) and never falls below 1. Each change is logged at info level (`reginv -v`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::core::{ErrorKind, HttpStatsSnapshot, Result};

/// The limit a source starts at (its cap when that is lower).
pub(crate) const INITIAL_LIMIT: usize = 8;
/// What the limit is multiplied by on congestion.
pub(crate) const DECREASE_FACTOR: f64 = 0.7;
/// How many congestion signals within the last [`WINDOW`] completions shrink the limit.
pub(crate) const SIGNALS_TO_SHRINK: u32 = 3;
/// How many completed requests the congestion signals are counted over.
pub(crate) const WINDOW: usize = 100;
/// How far the moving average of the latency may rise above its lowest value before the limit
/// stops growing.
pub(crate) const LATENCY_TOLERANCE: f64 = 2.0;
/// The weight of a new latency sample in the moving average.
const LATENCY_WEIGHT: f64 = 0.2;

/// The congestion signals a client counted so far: throttled responses, HTTP 503s and timeouts.
pub(crate) fn congestion_signals(stats: &HttpStatsSnapshot) -> u64 {
    let unavailable = stats.responses_by_status.get(&503).copied().unwrap_or(0);
    stats
        .throttled
        .saturating_add(unavailable)
        .saturating_add(stats.timeouts)
}

/// How a request ended, as far as the limit is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It succeeded.
    Success,
    /// It failed with a sign of congestion (throttled, 503, timeout) the counters may not show.
    Congestion,
    /// It failed otherwise (not found, a dropped connection, a protocol error): neither grows
    /// nor shrinks the limit.
    Failure,
}

impl Outcome {
    /// The outcome of a request's result.
    pub(crate) fn of<T>(result: &Result<T>) -> Outcome {
        match result {
            Ok(_) => Outcome::Success,
            Err(e) if matches!(e.kind(), ErrorKind::RateLimited | ErrorKind::Timeout) => {
                Outcome::Congestion
            }
            Err(e) if e.status() == Some(503) => Outcome::Congestion,
            Err(_) => Outcome::Failure,
        }
    }
}

/// The adaptive limit of one source.
#[derive(Debug)]
pub(crate) struct AdaptiveLimit {
    source: String,
    cap: usize,
    state: Mutex<State>,
    released: Notify,
}

#[derive(Debug)]
struct State {
    /// The limit; fractional so that growth by `1 / limit` adds up.
    limit: f64,
    in_flight: usize,
    slow_start: bool,
    /// The congestion signals already accounted for (a client's running count).
    signals_seen: u64,
    /// Congestion signals per completed request, the last [`WINDOW`] of them.
    window: VecDeque<u32>,
    window_signals: u32,
    last_decrease: Option<Instant>,
    smoothed_latency: Option<f64>,
    lowest_latency: Option<f64>,
    peak: usize,
}

impl State {
    fn current(&self) -> usize {
        (self.limit.floor() as usize).max(1)
    }
}

/// A request's place within the limit; freed when dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    limit: Arc<AdaptiveLimit>,
    started: Instant,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.limit.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        drop(state);
        self.limit.released.notify_one();
    }
}

impl AdaptiveLimit {
    /// A limit for `source` that never exceeds `cap` (at least 1), whose congestion counters
    /// stand at `signals` now.
    pub(crate) fn new(source: impl Into<String>, cap: usize, signals: u64) -> Arc<Self> {
        let cap = cap.max(1);
        let start = INITIAL_LIMIT.min(cap);
        Arc::new(AdaptiveLimit {
            source: source.into(),
            cap,
            state: Mutex::new(State {
                limit: start as f64,
                in_flight: 0,
                slow_start: true,
                signals_seen: signals,
                window: VecDeque::with_capacity(WINDOW),
                window_signals: 0,
                last_decrease: None,
                smoothed_latency: None,
                lowest_latency: None,
                peak: start,
            }),
            released: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cap.
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// The limit now.
    pub(crate) fn current(&self) -> usize {
        self.lock().current()
    }

    /// The highest limit reached so far.
    #[cfg(test)]
    pub(crate) fn peak(&self) -> usize {
        self.lock().peak
    }

    /// Waits for a place within the limit.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            {
                let mut state = self.lock();
                if state.in_flight < state.current() {
                    state.in_flight += 1;
                    return Permit {
                        limit: self.clone(),
                        started: Instant::now(),
                    };
                }
            }
            released.await;
        }
    }

    /// Learns from a request that held `permit` and ended with `outcome`, the client's
    /// congestion counters standing at `signals` afterwards.
    pub(crate) fn record(&self, permit: &Permit, outcome: Outcome, signals: u64) {
        let now = Instant::now();
        let latency = now.duration_since(permit.started);
        let mut state = self.lock();
        let before = state.current();
        let new_signals = signals.saturating_sub(state.signals_seen);
        state.signals_seen = state.signals_seen.max(signals);
        let mut count = u32::try_from(new_signals).unwrap_or(u32::MAX);
        if outcome == Outcome::Congestion && count == 0 {
            count = 1;
        }
        if state.window.len() == WINDOW {
            let oldest = state.window.pop_front().unwrap_or(0);
            state.window_signals = state.window_signals.saturating_sub(oldest);
        }
        state.window.push_back(count);
        state.window_signals = state.window_signals.saturating_add(count);

        let reason;
        if count > 0 {
            state.slow_start = false;
            let fresh = state.last_decrease.is_none_or(|t| permit.started >= t);
            if state.window_signals < SIGNALS_TO_SHRINK || !fresh {
                return;
            }
            state.limit = (state.limit * DECREASE_FACTOR).max(1.0);
            state.last_decrease = Some(now);
            reason = "congestion";
        } else if outcome == Outcome::Success {
            let sample = latency.as_secs_f64();
            let smoothed = match state.smoothed_latency {
                Some(s) => s + LATENCY_WEIGHT * (sample - s),
                None => sample,
            };
            state.smoothed_latency = Some(smoothed);
            let lowest = state.lowest_latency.map_or(smoothed, |l| l.min(smoothed));
            state.lowest_latency = Some(lowest);
            // Queueing at the server, a limit the source does not use (fewer than half its
            // places taken: growing it would only allow a burst later), or a request sent
            // before the last decrease (it says nothing about the new limit).
            let before_decrease = state.last_decrease.is_some_and(|t| permit.started < t);
            if smoothed > lowest * LATENCY_TOLERANCE
                || state.in_flight * 2 < state.current()
                || before_decrease
            {
                return;
            }
            let step = if state.slow_start {
                1.0
            } else {
                1.0 / state.limit
            };
            state.limit = (state.limit + step).min(self.cap as f64);
            reason = "success";
        } else {
            return;
        }
        let after = state.current();
        state.peak = state.peak.max(after);
        let window_signals = state.window_signals;
        let latency_ms = state
            .smoothed_latency
            .map_or(0, |s| Duration::from_secs_f64(s).as_millis() as u64);
        drop(state);
        if after != before {
            tracing::info!(
                source = %self.source,
                from = before,
                to = after,
                cap = self.cap,
                reason,
                recent_signals = window_signals,
                latency_ms,
                "concurrency limit changed"
            );
            if after > before {
                self.released.notify_waiters();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Error;

    /// One request that ends with `outcome` after `latency`, with half the limit's other places
    /// taken (a source that uses its limit).
    async fn complete(
        limit: &Arc<AdaptiveLimit>,
        latency: Duration,
        outcome: Outcome,
        signals: u64,
    ) {
        let mut others = Vec::new();
        for _ in 0..limit.current() / 2 {
            others.push(limit.acquire().await);
        }
        let permit = limit.acquire().await;
        tokio::time::sleep(latency).await;
        limit.record(&permit, outcome, signals);
    }

    #[tokio::test(start_paused = true)]
    async fn starts_modest_and_grows_to_the_cap_while_requests_succeed() {
        let limit = AdaptiveLimit::new("s", 32, 0);
        assert_eq!(limit.current(), INITIAL_LIMIT);
        // Slow start: one more per success.
        for _ in 0..8 {
            complete(&limit, Duration::from_millis(20), Outcome::Success, 0).await;
        }
        assert_eq!(limit.current(), 16);
        for _ in 0..100 {
            complete(&limit, Duration::from_millis(20), Outcome::Success, 0).await;
        }
        assert_eq!(limit.current(), 32, "never past the cap");
        assert_eq!(limit.peak(), 32);
        // A small cap is the start, too.
        assert_eq!(AdaptiveLimit::new("s", 3, 0).current(), 3);
        assert_eq!(AdaptiveLimit::new("s", 0, 0).current(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn shrinks_on_throttling_once_per_round_trip_and_grows_slowly_after() {
        let limit = AdaptiveLimit::new("s", 64, 0);
        for _ in 0..24 {
            complete(&limit, Duration::from_millis(20), Outcome::Success, 0).await;
        }
        assert_eq!(limit.current(), 32);
        // Three requests in flight, then the client counts three 429s.
        let permits = [
            limit.acquire().await,
            limit.acquire().await,
            limit.acquire().await,
        ];
        tokio::time::sleep(Duration::from_millis(20)).await;
        limit.record(&permits[0], Outcome::Success, 1);
        assert_eq!(limit.current(), 32, "one signal ends slow start only");
        limit.record(&permits[1], Outcome::Success, 2);
        assert_eq!(limit.current(), 32);
        limit.record(&permits[2], Outcome::Success, 3);
        assert_eq!(limit.current(), 22, "32 × 0.7");
        // A request that started before the decrease does not shrink it again.
        let old = limit.acquire().await;
        drop(permits);
        let mut early = old;
        early.started -= Duration::from_millis(100);
        limit.record(&early, Outcome::Congestion, 3);
        assert_eq!(limit.current(), 22);
        // One that started after it does.
        complete(&limit, Duration::from_millis(20), Outcome::Congestion, 3).await;
        assert_eq!(limit.current(), 15);
        // Out of slow start: one more per round trip (per `limit` successes), not per success.
        for _ in 0..15 {
            complete(&limit, Duration::from_millis(20), Outcome::Success, 3).await;
        }
        assert_eq!(limit.current(), 16);
        assert_eq!(limit.peak(), 32);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rare_throttled_response_does_not_shrink_the_limit() {
        let limit = AdaptiveLimit::new("s", 64, 10);
        let mut signals = 10;
        for round in 0..300 {
            if round % 100 == 50 {
                signals += 1;
            }
            complete(&limit, Duration::from_millis(20), Outcome::Success, signals).await;
        }
        // Each signal stood alone in its window of 100: the limit only ever grew.
        assert_eq!(limit.peak(), limit.current());
        assert!(limit.current() > INITIAL_LIMIT, "{}", limit.current());
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_while_latency_rises_and_never_falls_below_one() {
        let limit = AdaptiveLimit::new("s", 64, 0);
        complete(&limit, Duration::from_millis(10), Outcome::Success, 0).await;
        let grown = limit.current();
        for _ in 0..20 {
            complete(&limit, Duration::from_millis(200), Outcome::Success, 0).await;
        }
        assert_eq!(limit.current(), grown, "queueing at the server: no growth");
        for _ in 0..50 {
            complete(&limit, Duration::from_millis(10), Outcome::Congestion, 0).await;
        }
        assert_eq!(limit.current(), 1);
        // Failures that are not congestion change nothing.
        complete(&limit, Duration::from_millis(10), Outcome::Failure, 0).await;
        assert_eq!(limit.current(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_the_source_does_not_use_does_not_grow() {
        let limit = AdaptiveLimit::new("s", 64, 0);
        for _ in 0..50 {
            let permit = limit.acquire().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
            limit.record(&permit, Outcome::Success, 0);
        }
        assert_eq!(limit.current(), INITIAL_LIMIT);
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_get_places_as_requests_end_and_as_the_limit_grows() {
        let limit = AdaptiveLimit::new("s", 2, 0);
        let a = limit.acquire().await;
        let b = limit.acquire().await;
        let waiting = tokio::spawn({
            let limit = limit.clone();
            async move { limit.acquire().await.started }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "over the limit");
        drop(a);
        waiting.await.unwrap();
        drop(b);
    }

    #[test]
    fn outcomes_of_results() {
        assert_eq!(Outcome::of(&Ok(())), Outcome::Success);
        let throttled: Result<()> = Err(Error::from_status(429, "slow down"));
        assert_eq!(Outcome::of(&throttled), Outcome::Congestion);
        let unavailable: Result<()> = Err(Error::from_status(503, "busy"));
        assert_eq!(Outcome::of(&unavailable), Outcome::Congestion);
        let missing: Result<()> = Err(Error::from_status(404, "gone"));
        assert_eq!(Outcome::of(&missing), Outcome::Failure);
        let timeout: Result<()> = Err(Error::new(ErrorKind::Timeout, "slow"));
        assert_eq!(Outcome::of(&timeout), Outcome::Congestion);
    }
}
