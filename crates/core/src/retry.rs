//! Retries: exponential backoff with full jitter, bounded in attempts and in total time.
//!
//! [`RetryPolicy::run`] calls an operation until it succeeds, fails with an error that is not
//! retryable, runs out of attempts, or would run past the total time budget. Waits honour a
//! `Retry-After` the vendor sent (capped at [`RetryPolicy::max_backoff`]); otherwise the wait is
//! drawn uniformly from `0..=min(max_backoff, initial_backoff * 2^retry)` ("full jitter").
//! Authentication, permission, not-found and invalid-request errors are never retried (Huawei
//! locks a key after five bad signatures), and a request that is not idempotent is retried only
//! when the vendor said it was throttled (HTTP 429: nothing was done).

use std::future::Future;
use std::time::Duration;

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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
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
        }
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

    /// The wait before retry number `retry` (0-based) after `error`: the vendor's `Retry-After`
    /// capped at `max_backoff` when it sent one, else a full-jitter draw.
    pub fn delay(&self, error: &Error, retry: u32) -> Duration {
        match error.retry_after() {
            Some(after) => after.min(self.max_backoff),
            None => {
                let ceiling = self.backoff_ceiling(retry);
                let nanos = ceiling.as_nanos().min(u64::MAX as u128) as u64;
                Duration::from_nanos(fastrand::u64(0..=nanos))
            }
        }
    }

    /// Runs `operation` (given the 1-based attempt number) until it succeeds or may not be
    /// retried; returns the last error otherwise. `on_retry` is called before each wait with the
    /// error and the wait, so callers can count and log retries.
    pub async fn run<T, F, Fut>(
        &self,
        idempotent: bool,
        mut operation: F,
        mut on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let start = Instant::now();
        let mut attempt = 1u32;
        loop {
            let error = match operation(attempt).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if attempt >= self.max_attempts || !self.should_retry(&error, idempotent) {
                return Err(error);
            }
            let wait = self.delay(&error, attempt - 1);
            if start.elapsed() + wait > self.max_elapsed {
                return Err(error);
            }
            on_retry(&error, wait);
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
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
