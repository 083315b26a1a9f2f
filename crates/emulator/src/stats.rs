//! Live counters of what the emulator served.

use std::collections::BTreeMap;

use serde::Serialize;

/// A snapshot of the emulator's counters (see [`crate::Emulator::stats`]).
///
/// `by_route` maps a route template (`"GET /ncr/api/v2/repositories/{registry}"`,
/// `"GET /v2/manage/repos"`, …) to counts per HTTP status; status `0` counts requests whose
/// connection was dropped without a response. Requests that match no route are counted under
/// `"{METHOD} (unmatched)"`. The sum over `by_route` equals `requests`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EmulatorStats {
    /// Every request received (whatever its outcome).
    pub requests: u64,
    /// Requests by route template and status (`0` = dropped).
    pub by_route: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Requests being handled right now.
    pub in_flight: u64,
    /// The most requests ever handled at once.
    pub peak_in_flight: u64,
    /// Connections closed without a response (injected).
    pub dropped: u64,
    /// 200 responses whose body was cut short (injected).
    pub truncated: u64,
    /// Injected 429s (random throttling, not the rate limit).
    pub throttled: u64,
    /// 429s from the per-credential rate limit.
    pub rate_limited: u64,
    /// Injected 500 / 502 / 503 responses.
    pub server_errors: u64,
    /// Requests rejected with 401.
    pub auth_failures: u64,
    /// All injected random faults: `dropped + truncated + throttled + server_errors`.
    pub faults_injected: u64,
}

impl EmulatorStats {
    /// How many requests to `route` ended with `status`.
    pub fn count(&self, route: &str, status: u16) -> u64 {
        self.by_route
            .get(route)
            .and_then(|m| m.get(&status))
            .copied()
            .unwrap_or(0)
    }

    /// How many requests `route` received, whatever the status.
    pub fn route_total(&self, route: &str) -> u64 {
        self.by_route.get(route).map_or(0, |m| m.values().sum())
    }

    /// How many requests ended with `status`, over all routes.
    pub fn status_total(&self, status: u16) -> u64 {
        self.by_route.values().filter_map(|m| m.get(&status)).sum()
    }

    pub(crate) fn record(&mut self, route: &str, status: u16) {
        self.requests += 1;
        *self
            .by_route
            .entry(route.to_string())
            .or_default()
            .entry(status)
            .or_insert(0) += 1;
        if status == 401 {
            self.auth_failures += 1;
        }
    }
}
