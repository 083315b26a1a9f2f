//! Injected faults: latency, throttling, server errors, dropped connections, truncated bodies,
//! a per-credential rate limit and lying totals, all deterministic for a seed.
//!
//! Every request that passed authentication has a *key*: method, raw path and query, and the
//! credential (access key, or `token`). The decision for the n-th request with a key is a pure
//! function of `(seed, key, n)`, so a client that sends the same requests sees the same faults
//! in every run, however requests to *different* keys interleave. After
//! [`Faults::max_consecutive_faults`] faults in a row for one key, the next request with that key
//! is served normally (and the run of faults starts again from zero), so a client that retries
//! at least that many times always gets through.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Which faults to inject, and how often. Rates are probabilities per request in `0.0..=1.0`;
/// they are tried in the order throttle, server error, drop, truncate, so their sum should stay
/// at or below 1.
///
/// ```
/// use std::time::Duration;
/// use reginv_emulator::Faults;
///
/// let faults = Faults { seed: 7, throttle_rate: 0.1, latency: Duration::from_millis(5), ..Faults::none() };
/// assert_eq!(faults.max_consecutive_faults, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// Seed of every fault decision.
    pub seed: u64,
    /// Added to every response (before it is sent, after the request was read).
    pub latency: Duration,
    /// Up to this much more latency, drawn per request (deterministically).
    pub latency_jitter: Duration,
    /// Probability of a 429 in the vendor's throttling shape, with `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` value, in seconds, of every 429 (injected or from the rate limit).
    pub retry_after_secs: u64,
    /// Probability of a 500, 502 or 503 in the vendor's error shape.
    pub server_error_rate: f64,
    /// Probability of closing the connection without any response.
    pub drop_rate: f64,
    /// Probability of a 200 whose JSON body is cut short (the `Content-Length` matches the cut
    /// body, so the client receives a complete HTTP response that does not decode).
    pub truncate_rate: f64,
    /// After this many injected faults in a row for one request key the request is served
    /// (`0` turns the random faults off altogether).
    pub max_consecutive_faults: u32,
    /// Requests per second allowed per credential, as an API gateway's token bucket: each
    /// credential's bucket holds `rate_limit_burst` tokens (full at its first request), a request
    /// takes one, and tokens come back at this rate. A request finding the bucket empty gets the
    /// vendor's 429 with `Retry-After: retry_after_secs`. Not subject to `max_consecutive_faults`.
    pub rate_limit_per_second: Option<u32>,
    /// The size of each credential's bucket: how many requests may arrive at once before the
    /// rate applies (default: one second's worth, the rate itself; at least 1).
    pub rate_limit_burst: Option<u32>,
    /// Added to every announced total (NCR `count`, SWR `Content-Range` total and `total_range`),
    /// clamped at 0, to emulate a server that lies; the items served are unchanged.
    pub total_skew: i64,
}

impl Faults {
    /// No faults: no latency, no errors, honest totals (the default).
    pub fn none() -> Faults {
        Faults {
            seed: 0,
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            throttle_rate: 0.0,
            retry_after_secs: 0,
            server_error_rate: 0.0,
            drop_rate: 0.0,
            truncate_rate: 0.0,
            max_consecutive_faults: 3,
            rate_limit_per_second: None,
            rate_limit_burst: None,
            total_skew: 0,
        }
    }

    /// `rate` spread evenly over throttling, server errors, drops and truncation (a quarter each).
    pub fn with_fault_rate(self, rate: f64) -> Faults {
        let each = rate.clamp(0.0, 1.0) / 4.0;
        Faults {
            throttle_rate: each,
            server_error_rate: each,
            drop_rate: each,
            truncate_rate: each,
            ..self
        }
    }
}

impl Default for Faults {
    fn default() -> Self {
        Faults::none()
    }
}

/// A fault chosen for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Throttle,
    ServerError(u16),
    Drop,
    Truncate,
}

#[derive(Debug, Default)]
struct KeyState {
    attempts: u64,
    consecutive: u32,
}

/// A credential's token bucket: the tokens left when it was last looked at.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The mutable side of fault injection: per-key counters and per-credential token buckets.
#[derive(Debug)]
pub(crate) struct FaultState {
    pub(crate) faults: Faults,
    keys: HashMap<String, KeyState>,
    buckets: HashMap<String, Bucket>,
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> Self {
        FaultState {
            faults,
            keys: HashMap::new(),
            buckets: HashMap::new(),
        }
    }

    /// Replaces the configuration and forgets all counters and buckets.
    pub(crate) fn reset(&mut self, faults: Faults) {
        self.faults = faults;
        self.keys.clear();
        self.buckets.clear();
    }

    /// The latency to add to a request with `key` (drawn before the fault decision).
    pub(crate) fn latency(&self, key: &str) -> Duration {
        let f = &self.faults;
        if f.latency_jitter.is_zero() {
            return f.latency;
        }
        let attempts = self.keys.get(key).map_or(0, |k| k.attempts);
        let u = unit(mix(f.seed ^ 0x6c61_7465_6e63_7921, key, attempts));
        f.latency + f.latency_jitter.mul_f64(u)
    }

    /// Whether `credential`'s bucket is empty (otherwise this request takes a token).
    pub(crate) fn over_rate_limit(&mut self, credential: &str) -> bool {
        self.over_rate_limit_at(credential, Instant::now())
    }

    fn over_rate_limit_at(&mut self, credential: &str, now: Instant) -> bool {
        let Some(per_second) = self.faults.rate_limit_per_second else {
            return false;
        };
        let rate = f64::from(per_second);
        let capacity = f64::from(self.faults.rate_limit_burst.unwrap_or(per_second).max(1));
        let bucket = self
            .buckets
            .entry(credential.to_string())
            .or_insert(Bucket {
                tokens: capacity,
                at: now,
            });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            false
        } else {
            true
        }
    }

    /// The fault for this request with `key`, if any.
    pub(crate) fn decide(&mut self, key: &str) -> Option<Fault> {
        let f = &self.faults;
        let (seed, max) = (f.seed, f.max_consecutive_faults);
        let rates = [
            f.throttle_rate,
            f.server_error_rate,
            f.drop_rate,
            f.truncate_rate,
        ];
        let state = self.keys.entry(key.to_string()).or_default();
        let attempt = state.attempts;
        state.attempts += 1;
        if state.consecutive >= max {
            state.consecutive = 0;
            return None;
        }
        let roll = unit(mix(seed, key, attempt));
        let mut edge = 0.0;
        let mut chosen = None;
        for (i, rate) in rates.iter().enumerate() {
            edge += rate.max(0.0);
            if roll < edge {
                chosen = Some(i);
                break;
            }
        }
        let fault = match chosen {
            Some(0) => Fault::Throttle,
            Some(1) => {
                let statuses = [500, 502, 503];
                let pick = mix(seed ^ 0x5e5e, key, attempt) % 3;
                Fault::ServerError(statuses[pick as usize])
            }
            Some(2) => Fault::Drop,
            Some(_) => Fault::Truncate,
            None => {
                state.consecutive = 0;
                return None;
            }
        };
        state.consecutive += 1;
        Some(fault)
    }

    /// A chosen fault could not be applied (a truncation of a non-2xx reply): the request was
    /// served normally, so the run of faults for `key` ends.
    pub(crate) fn not_applied(&mut self, key: &str) {
        if let Some(state) = self.keys.get_mut(key) {
            state.consecutive = 0;
        }
    }
}

/// A 64-bit hash of `(seed, key, n)` (FNV-1a, then a SplitMix64 finaliser).
pub(crate) fn mix(seed: u64, key: &str, n: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in key.bytes().chain(n.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h = h.wrapping_add(seed.rotate_left(17));
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A hash mapped to `0.0..1.0`.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(faults: Faults, key: &str, n: usize) -> Vec<Option<Fault>> {
        let mut state = FaultState::new(faults);
        (0..n).map(|_| state.decide(key)).collect()
    }

    #[test]
    fn decisions_are_deterministic_per_seed() {
        let f = Faults {
            seed: 11,
            ..Faults::none().with_fault_rate(0.5)
        };
        let a = run(f.clone(), "GET /x", 200);
        assert_eq!(a, run(f.clone(), "GET /x", 200));
        assert_ne!(
            a,
            run(
                Faults {
                    seed: 12,
                    ..f.clone()
                },
                "GET /x",
                200
            )
        );
        let kinds: Vec<Fault> = a.iter().flatten().copied().collect();
        assert!(kinds.contains(&Fault::Throttle));
        assert!(kinds.contains(&Fault::Drop));
        assert!(kinds.contains(&Fault::Truncate));
        assert!(kinds.iter().any(|k| matches!(k, Fault::ServerError(_))));
    }

    #[test]
    fn consecutive_faults_are_capped() {
        let f = Faults {
            throttle_rate: 1.0,
            max_consecutive_faults: 2,
            ..Faults::none()
        };
        let seq = run(f, "k", 6);
        assert_eq!(
            seq,
            vec![
                Some(Fault::Throttle),
                Some(Fault::Throttle),
                None,
                Some(Fault::Throttle),
                Some(Fault::Throttle),
                None
            ]
        );
        let off = Faults {
            throttle_rate: 1.0,
            max_consecutive_faults: 0,
            ..Faults::none()
        };
        assert!(run(off, "k", 5).iter().all(Option::is_none));
    }

    #[test]
    fn rates_are_roughly_honoured() {
        let f = Faults {
            seed: 3,
            server_error_rate: 0.2,
            max_consecutive_faults: u32::MAX,
            ..Faults::none()
        };
        let mut state = FaultState::new(f);
        let hits = (0..10_000)
            .filter(|i| state.decide(&format!("GET /r{i}")).is_some())
            .count();
        assert!((1_700..2_300).contains(&hits), "{hits}");
    }

    #[test]
    fn rate_limit_is_a_token_bucket_per_credential() {
        let mut state = FaultState::new(Faults {
            rate_limit_per_second: Some(2),
            rate_limit_burst: Some(3),
            ..Faults::none()
        });
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // A full bucket of 3, then empty.
        let burst: Vec<bool> = (0..4)
            .map(|_| state.over_rate_limit_at("a", at(0)))
            .collect();
        assert_eq!(burst, [false, false, false, true]);
        // Another credential has its own bucket.
        assert!(!state.over_rate_limit_at("b", at(0)));
        // Two tokens a second: one after half a second, not two.
        assert!(!state.over_rate_limit_at("a", at(500)));
        assert!(state.over_rate_limit_at("a", at(500)));
        assert!(state.over_rate_limit_at("a", at(700)));
        assert!(!state.over_rate_limit_at("a", at(1_000)));
        // A long pause refills to the burst, no more.
        let later: Vec<bool> = (0..4)
            .map(|_| state.over_rate_limit_at("a", at(60_000)))
            .collect();
        assert_eq!(later, [false, false, false, true]);
        // The default burst is the rate; no limit without a rate.
        let mut state = FaultState::new(Faults {
            rate_limit_per_second: Some(2),
            ..Faults::none()
        });
        let seq: Vec<bool> = (0..3)
            .map(|_| state.over_rate_limit_at("a", at(0)))
            .collect();
        assert_eq!(seq, [false, false, true]);
        let mut off = FaultState::new(Faults::none());
        assert!((0..100).all(|_| !off.over_rate_limit_at("a", at(0))));
        // A reset empties the buckets' history.
        state.reset(Faults {
            rate_limit_per_second: Some(2),
            ..Faults::none()
        });
        assert!(!state.over_rate_limit_at("a", at(0)));
    }
}
