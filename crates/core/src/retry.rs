//! Retries: exponential backoff with full jitter, bounded in attempts, in total time and by a
//! shared retry budget.
//!
//! [`RetryPolicy::run`] calls an operation until it succeeds, fails with an error that is not
//! retryable, runs out of attempts, or would run past the total time budget. The wait is drawn
//! uniformly from `min_backoff..=min(max_backoff, initial_backoff * 2^retry)` ("full jitter"
//! above a floor), or is the vendor's `Retry-After` when that is longer (capped at
//! [`RetryPolicy::max_backoff`]): `Retry-After: 0` does not make every throttled request come
//! back at once, nor the same request come back as fast on every retry.
//!
//! [`RetryPolicy::run_budgeted`] also draws every retry from a [`RetryBudget`] shared by all the
//! requests of a source (the AWS SDKs' retry quota): a retry costs tokens, a success refills
//! them, so a server that fails most requests gets each one once, not once per attempt.
//! Authentication, permission, not-found and invalid-request errors are never retried (Huawei
//! locks a key after five bad signatures), and a request that is not idempotent is retried only
//! when the vendor said it was throttled (HTTP 429: nothing was done).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry). Default 5.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry. Default 200 ms.
    pub initial_backoff: Duration,
    /// The largest single wait, `Retry-After` included. Default 10 s.
    pub max_backoff: Duration,
    /// The most time all attempts and waits together may take; no retry starts whose wait
    /// would end past it. Default 60 s.
    pub max_elapsed: Duration,
    /// The shortest wait before a retry, even after `Retry-After: 0`. Default 50 ms (never more
    /// than `initial_backoff`).
    pub min_backoff: Duration,
    /// The tokens of a source's [`RetryBudget`] (see [`RetryPolicy::run_budgeted`]); `None`:
    /// retries are not budgeted. Default 500 (100 retries in a row without a success).
    pub retry_budget: Option<u32>,
}

/// The default [`RetryPolicy::min_backoff`].
const DEFAULT_MIN_BACKOFF: Duration = Duration::from_millis(50);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
            min_backoff: DEFAULT_MIN_BACKOFF,
            retry_budget: Some(RetryBudget::DEFAULT_CAPACITY),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// A policy with the given attempts and backoff bounds.
    pub fn new(
        max_attempts: u32,
        initial_backoff: Duration,
        max_backoff: Duration,
        max_elapsed: Duration,
    ) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            initial_backoff,
            max_backoff,
            max_elapsed,
            min_backoff: DEFAULT_MIN_BACKOFF.min(initial_backoff),
            retry_budget: Some(RetryBudget::DEFAULT_CAPACITY),
        }
    }

    /// Sets the shortest wait before a retry ([`RetryPolicy::min_backoff`]).
    pub fn with_min_backoff(mut self, min_backoff: Duration) -> Self {
        self.min_backoff = min_backoff;
        self
    }

    /// Sets the tokens of a source's retry budget; `None`: retries are not budgeted.
    pub fn with_retry_budget(mut self, tokens: Option<u32>) -> Self {
        self.retry_budget = tokens;
        self
    }

    /// A fresh, full budget of [`RetryPolicy::retry_budget`] tokens, when retries are budgeted.
    pub fn new_budget(&self) -> Option<RetryBudget> {
        self.retry_budget.map(RetryBudget::new)
    }

    /// The ceiling of the jittered wait before retry number `retry` (0-based).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// Whether `error` may be retried for a request that is (or is not) idempotent.
    pub fn should_retry(&self, error: &Error, idempotent: bool) -> bool {
        if !error.is_retryable() {
            return false;
        }
        idempotent || error.kind() == ErrorKind::RateLimited
    }

    /// The wait before retry number `retry` (0-based) after `error`: a draw from
    /// `min_backoff..=` the exponential ceiling, or the vendor's `Retry-After` when that is
    /// longer (so `Retry-After: 0` still backs off, further on each retry); capped at
    /// `max_backoff`.
    pub fn delay(&self, error: &Error, retry: u32) -> Duration {
        let floor = self.min_backoff.min(self.max_backoff);
        let backoff = jittered(floor, self.backoff_ceiling(retry).max(floor));
        let wait = match error.retry_after() {
            Some(after) => after.max(backoff),
            None => backoff,
        };
        wait.min(self.max_backoff)
    }

    /// Runs `operation` (given the 1-based attempt number) until it succeeds or may not be
    /// retried; returns the last error otherwise. `on_retry` is called before each wait with the
    /// error and the wait, so callers can count and log retries.
    pub async fn run<T, F, Fut>(
        &self,
        idempotent: bool,
        operation: F,
        on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.run_budgeted(idempotent, None, operation, on_retry)
            .await
    }

    /// [`run`](RetryPolicy::run), each retry paid from `budget` (when given): a retry costs
    /// [`RetryBudget::RETRY_COST`] tokens ([`RetryBudget::TIMEOUT_COST`] after a timeout); a
    /// success gives back what its own retries cost, or [`RetryBudget::SUCCESS_REFILL`] when it
    /// needed none. When the budget cannot pay, the last error is returned, saying so.
    pub async fn run_budgeted<T, F, Fut>(
        &self,
        idempotent: bool,
        budget: Option<&RetryBudget>,
        mut operation: F,
        mut on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let start = Instant::now();
        let mut attempt = 1u32;
        let mut spent = 0u32;
        loop {
            let error = match operation(attempt).await {
                Ok(value) => {
                    if let Some(budget) = budget {
                        budget.refill(if spent > 0 {
                            spent
                        } else {
                            RetryBudget::SUCCESS_REFILL
                        });
                    }
                    return Ok(value);
                }
                Err(error) => error,
            };
            if attempt >= self.max_attempts || !self.should_retry(&error, idempotent) {
                return Err(error);
            }
            let wait = self.delay(&error, attempt - 1);
            if start.elapsed() + wait > self.max_elapsed {
                return Err(error);
            }
            if let Some(budget) = budget {
                let cost = if error.kind() == ErrorKind::Timeout {
                    RetryBudget::TIMEOUT_COST
                } else {
                    RetryBudget::RETRY_COST
                };
                if !budget.try_spend(cost) {
                    return Err(error.with_note(
                        "not retried: the source's retry budget is spent (too many of its \
                         recent requests failed; it refills as requests succeed)",
                    ));
                }
                spent = spent.saturating_add(cost);
            }
            on_retry(&error, wait);
            let hook = RETRY_WAIT.try_with(Arc::clone).ok();
            if let Some(hook) = &hook {
                hook.pause(&error, wait);
            }
            tokio::time::sleep(wait).await;
            if let Some(hook) = &hook {
                hook.resume().await;
            }
            attempt += 1;
        }
    }
}

/// What a caller that limits requests in flight gives up while one of its requests waits to
/// be retried, and takes back before the next attempt: a request sleeping out a `Retry-After`
/// should not hold a place other requests could use. Installed for a future with
/// [`with_retry_wait_hook`]; [`RetryPolicy::run`] calls it around every wait.
pub trait RetryWaitHook: Send + Sync {
    /// The attempt failed with `error` and the request starts waiting `wait` before the next:
    /// learn from the failure, and give back what the request holds (or keep it, for a short
    /// wait).
    fn pause(&self, error: &Error, wait: Duration);
    /// The wait is over: take it back (waiting for it) before the next attempt.
    fn resume(&self) -> BoxFuture<'_, ()>;
}

tokio::task_local! {
    static RETRY_WAIT: Arc<dyn RetryWaitHook>;
}

/// Runs `future` with `hook` called around every retry wait of the requests it sends.
pub async fn with_retry_wait_hook<F: Future>(hook: Arc<dyn RetryWaitHook>, future: F) -> F::Output {
    RETRY_WAIT.scope(hook, future).await
}

/// A draw from `low..=high` (`low` when `high` is below it).
fn jittered(low: Duration, high: Duration) -> Duration {
    let clamp = |d: Duration| d.as_nanos().min(u64::MAX as u128) as u64;
    let (low, high) = (clamp(low), clamp(high));
    Duration::from_nanos(fastrand::u64(low..=high.max(low)))
}

/// The retries a source may still make: a token bucket shared by all its requests, as the AWS
/// SDKs' retry quota. A retry takes [`RETRY_COST`](Self::RETRY_COST) tokens
/// ([`TIMEOUT_COST`](Self::TIMEOUT_COST) after a timeout); a request that succeeded gives back
/// what its retries took, or [`SUCCESS_REFILL`](Self::SUCCESS_REFILL) when it took none, up
/// to the capacity. A healthy source never runs short; one that fails most requests runs dry
/// after a few dozen retries, and then each request is sent once.
#[derive(Debug)]
pub struct RetryBudget {
    capacity: u32,
    tokens: std::sync::Mutex<u32>,
}

impl RetryBudget {
    /// The default capacity: 100 retries in a row without a success.
    pub const DEFAULT_CAPACITY: u32 = 500;
    /// What a retry costs.
    pub const RETRY_COST: u32 = 5;
    /// What a retry after a timeout costs.
    pub const TIMEOUT_COST: u32 = 10;
    /// What a success without retries gives back.
    pub const SUCCESS_REFILL: u32 = 1;

    /// A full budget of `capacity` tokens.
    pub fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            tokens: std::sync::Mutex::new(capacity),
        }
    }

    /// The tokens left.
    pub fn available(&self) -> u32 {
        *self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `cost` tokens if there are that many.
    pub fn try_spend(&self, cost: u32) -> bool {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if *tokens < cost {
            return false;
        }
        *tokens -= cost;
        true
    }

    /// Gives `tokens` back, up to the capacity.
    pub fn refill(&self, tokens: u32) {
        let mut left = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        *left = left.saturating_add(tokens).min(self.capacity);
    }
}

/// Parses a `Retry-After` header value: delay-seconds or an HTTP date (relative to now).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(
            5,
            Duration::from_millis(100),
            Duration::from_secs(2),
            Duration::from_secs(30),
        )
    }

    fn throttled(after: Option<u64>) -> Error {
        Error::from_status(429, "slow down").with_retry_after(after.map(Duration::from_secs))
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured() {
        let start = Instant::now();
        let calls = Cell::new(0);
        let result = policy()
            .run(
                true,
                |_| {
                    calls.set(calls.get() + 1);
                    let n = calls.get();
                    async move {
                        if n == 1 {
                            Err(throttled(Some(1)))
                        } else {
                            Ok(n)
                        }
                    }
                },
                |_, _| {},
            )
            .await;
        assert_eq!(result.unwrap(), 2);
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_capped_at_max_backoff() {
        let start = Instant::now();
        let mut waits = Vec::new();
        let calls = Cell::new(0);
        let result = policy()
            .run(
                true,
                |_| {
                    calls.set(calls.get() + 1);
                    let n = calls.get();
                    async move {
                        if n == 1 {
                            Err(throttled(Some(3600)))
                        } else {
                            Ok(())
                        }
                    }
                },
                |_, wait| waits.push(wait),
            )
            .await;
        assert!(result.is_ok());
        assert_eq!(waits, vec![Duration::from_secs(2)]);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn authentication_errors_are_never_retried() {
        for status in [400, 401, 403, 404] {
            let calls = Cell::new(0);
            let result: Result<()> = policy()
                .run(
                    true,
                    |_| {
                        calls.set(calls.get() + 1);
                        async move { Err(Error::from_status(status, "no")) }
                    },
                    |_, _| {},
                )
                .await;
            assert_eq!(result.unwrap_err().status(), Some(status));
            assert_eq!(calls.get(), 1, "status {status} was retried");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded() {
        let calls = Cell::new(0);
        let result: Result<()> = policy()
            .run(
                true,
                |attempt| {
                    calls.set(calls.get() + 1);
                    assert_eq!(attempt, calls.get());
                    async move { Err(Error::from_status(503, "down")) }
                },
                |_, _| {},
            )
            .await;
        assert_eq!(result.unwrap_err().status(), Some(503));
        assert_eq!(calls.get(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn total_time_is_bounded() {
        let policy = RetryPolicy::new(
            100,
            Duration::from_secs(1),
            Duration::from_secs(4),
            Duration::from_secs(10),
        );
        let start = Instant::now();
        let calls = Cell::new(0);
        let result: Result<()> = policy
            .run(
                true,
                |_| {
                    calls.set(calls.get() + 1);
                    async move { Err(throttled(Some(4))) }
                },
                |_, _| {},
            )
            .await;
        assert!(result.is_err());
        // Waits of 4 s each: 0, 4, 8 -> a fourth wait would end at 12 s > 10 s.
        assert_eq!(calls.get(), 3);
        assert_eq!(start.elapsed(), Duration::from_secs(8));
    }

    #[tokio::test(start_paused = true)]
    async fn non_idempotent_requests_retry_only_throttling() {
        let calls = Cell::new(0);
        let result: Result<()> = policy()
            .run(
                false,
                |_| {
                    calls.set(calls.get() + 1);
                    async move { Err(Error::new(ErrorKind::Timeout, "slow")) }
                },
                |_, _| {},
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls.get(), 1);
        assert!(policy().should_retry(&throttled(None), false));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_zero_or_none_still_waits_a_jittered_minimum() {
        let p = policy();
        assert_eq!(p.min_backoff, Duration::from_millis(50));
        for error in [
            throttled(Some(0)),
            throttled(None),
            Error::from_status(503, "x"),
        ] {
            for retry in 0..4 {
                let wait = p.delay(&error, retry);
                assert!(wait >= Duration::from_millis(50), "{wait:?} after {error}");
            }
        }
        for retry in 0..4 {
            for _ in 0..100 {
                let wait = p.delay(&throttled(Some(0)), retry);
                assert!(wait <= p.backoff_ceiling(retry), "{wait:?}");
            }
        }
        // Over a run: a throttled request comes back after at least the minimum.
        let start = Instant::now();
        let calls = Cell::new(0);
        let result = p
            .run(
                true,
                |_| {
                    calls.set(calls.get() + 1);
                    let n = calls.get();
                    async move {
                        if n == 1 {
                            Err(throttled(Some(0)))
                        } else {
                            Ok(())
                        }
                    }
                },
                |_, _| {},
            )
            .await;
        assert!(result.is_ok());
        assert!(start.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_retry_budget_stops_retries_and_says_so() {
        let budget = RetryBudget::new(12);
        let calls = Cell::new(0);
        let p = policy();
        let failing = || {
            p.run_budgeted(
                true,
                Some(&budget),
                |_| {
                    calls.set(calls.get() + 1);
                    async move { Err::<(), _>(Error::from_status(503, "down")) }
                },
                |_, _| {},
            )
        };
        // 12 tokens pay two retries of 5: three attempts, then the budget is spent.
        let err = failing().await.unwrap_err();
        assert_eq!(calls.get(), 3);
        assert_eq!(err.status(), Some(503));
        assert!(err.to_string().contains("retry budget is spent"), "{err}");
        assert_eq!(budget.available(), 2);
        // The next failing request is sent once.
        calls.set(0);
        assert!(failing().await.is_err());
        assert_eq!(calls.get(), 1);
        // Successes refill: one without retries gives back 1, one after retries what they cost.
        let ok = policy()
            .run_budgeted(true, Some(&budget), |_| async { Ok(()) }, |_, _| {})
            .await;
        assert!(ok.is_ok());
        assert_eq!(budget.available(), 3);
        budget.refill(5);
        let calls = Cell::new(0);
        let retried = policy()
            .run_budgeted(
                true,
                Some(&budget),
                |_| {
                    calls.set(calls.get() + 1);
                    let n = calls.get();
                    async move {
                        if n == 1 {
                            Err(Error::from_status(500, "x"))
                        } else {
                            Ok(())
                        }
                    }
                },
                |_, _| {},
            )
            .await;
        assert!(retried.is_ok());
        assert_eq!(calls.get(), 2);
        assert_eq!(budget.available(), 8, "the retry's 5 tokens came back");
        // Never above the capacity.
        budget.refill(100);
        assert_eq!(budget.available(), 12);
        // A timeout's retry costs more.
        let timeouts = Cell::new(0);
        let _ = policy()
            .run_budgeted(
                true,
                Some(&budget),
                |_| {
                    timeouts.set(timeouts.get() + 1);
                    async move { Err::<(), _>(Error::new(ErrorKind::Timeout, "slow")) }
                },
                |_, _| {},
            )
            .await;
        assert_eq!(timeouts.get(), 2, "one retry of 10 tokens, not two");
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_hook_is_paused_and_resumed_around_every_wait() {
        #[derive(Default)]
        struct Log(std::sync::Mutex<Vec<&'static str>>);
        impl RetryWaitHook for Log {
            fn pause(&self, _: &Error, _: Duration) {
                self.0.lock().unwrap().push("pause");
            }
            fn resume(&self) -> BoxFuture<'_, ()> {
                self.0.lock().unwrap().push("resume");
                Box::pin(async {})
            }
        }
        let log = Arc::new(Log::default());
        let calls = std::sync::atomic::AtomicU32::new(0);
        let result = with_retry_wait_hook(
            log.clone(),
            policy().run(
                true,
                |_| {
                    let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async move {
                        if n < 2 {
                            Err(Error::from_status(503, "busy"))
                        } else {
                            Ok(())
                        }
                    }
                },
                |_, _| {},
            ),
        )
        .await;
        assert!(result.is_ok());
        assert_eq!(
            *log.0.lock().unwrap(),
            vec!["pause", "resume", "pause", "resume"]
        );
    }

    #[test]
    fn jitter_stays_under_the_exponential_ceiling() {
        let p = policy();
        assert_eq!(p.backoff_ceiling(0), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(3), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(10), Duration::from_secs(2));
        assert_eq!(p.backoff_ceiling(40), Duration::from_secs(2));
        let err = Error::from_status(500, "x");
        for retry in 0..8 {
            for _ in 0..200 {
                assert!(p.delay(&err, retry) <= p.backoff_ceiling(retry));
            }
        }
    }

    #[test]
    fn parses_retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        let future = std::time::SystemTime::now() + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(future);
        let parsed = parse_retry_after(&date).unwrap();
        assert!(parsed <= Duration::from_secs(120) && parsed >= Duration::from_secs(118));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
