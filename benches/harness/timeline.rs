//! A diagnostic: how many requests the emulator had in flight over a row's wall time, sampled
//! every millisecond, printed to stderr in buckets (and the 429s it answered per bucket, when
//! there were any). Turned on for rows whose id contains
//! `REGINV_BENCH_TIMELINE`, in buckets of `REGINV_BENCH_TIMELINE_MS` (sampling takes the emulator's stats lock, so it stays off for the
//! figures of the table).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reginv_emulator::Emulator;

/// The bucket width: `REGINV_BENCH_TIMELINE_MS` milliseconds (default 50).
pub fn bucket() -> Duration {
    let ms = std::env::var("REGINV_BENCH_TIMELINE_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .unwrap_or(50);
    Duration::from_millis(ms)
}

/// Whether the row `id` is to be sampled.
pub fn wanted(id: &str) -> bool {
    std::env::var("REGINV_BENCH_TIMELINE").is_ok_and(|p| !p.is_empty() && id.contains(p.as_str()))
}

/// Runs `work`, sampling `emulator`'s requests in flight meanwhile when `on`, and prints the
/// mean in flight per `bucket` of wall time.
pub fn sampled<T>(
    id: &str,
    on: bool,
    emulator: &Emulator,
    bucket: Duration,
    work: impl FnOnce() -> T,
) -> T {
    if !on {
        return work();
    }
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let (result, samples) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let stats = emulator.stats();
                let throttled = stats.throttled + stats.rate_limited;
                samples.push((started.elapsed(), stats.in_flight, throttled));
                std::thread::sleep(Duration::from_millis(1));
            }
            samples
        });
        let result = work();
        stop.store(true, Ordering::Relaxed);
        (result, sampler.join().unwrap_or_default())
    });
    let mut line = format!(
        "[bench] {id} timeline, mean requests in flight per {} ms:",
        bucket.as_millis()
    );
    let buckets = samples.last().map_or(0, |(t, _, _)| {
        (t.as_nanos() / bucket.as_nanos().max(1)) as usize + 1
    });
    let mut throttled_line = format!(
        "[bench] {id} timeline, 429s answered per {} ms:",
        bucket.as_millis()
    );
    let mut throttled_before = 0;
    let mut any_throttled = false;
    for b in 0..buckets {
        let in_bucket: Vec<(u64, u64)> = samples
            .iter()
            .filter(|(t, _, _)| (t.as_nanos() / bucket.as_nanos().max(1)) as usize == b)
            .map(|(_, n, throttled)| (*n, *throttled))
            .collect();
        if let Some(&(_, throttled)) = in_bucket.last() {
            let mean =
                in_bucket.iter().map(|(n, _)| n).sum::<u64>() as f64 / in_bucket.len() as f64;
            line.push_str(&format!(" {mean:.0}"));
            let new = throttled.saturating_sub(throttled_before);
            any_throttled |= new > 0;
            throttled_line.push_str(&format!(" {new}"));
            throttled_before = throttled;
        }
    }
    eprintln!("{line}");
    if any_throttled {
        eprintln!("{throttled_line}");
    }
    result
}
