//! The added latency, delivered to within tens of microseconds.
//!
//! `tokio::time::sleep` wakes on whole milliseconds, rounded up, and its driver parks with a
//! millisecond timeout on top: a configured 20 ms measured 21.5 ms per request on the bench
//! machine (6.25 ms at 5 ms), so every "20 ms network" was 7% slower than it said and every
//! wall/bound the bench reports carried that error. One thread per process keeps the pending
//! deadlines in a heap and waits on a channel with a timeout (a futex wait with nanosecond
//! resolution, subject only to the kernel's timer slack); each waiting request holds a oneshot
//! that the thread fires at its deadline.
//!
//! The deadlines are in real time even under a paused tokio clock. Should the thread be
//! unavailable (it could not be spawned, or is gone), the request falls back to tokio's timer.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// One request waiting for its deadline.
struct Pending {
    at: Instant,
    wake: oneshot::Sender<()>,
}

// Ordered by deadline, the earliest greatest, so the max-heap pops it first.
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.cmp(&self.at)
    }
}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Pending {}

/// The timer thread's inbox, started on the first request with latency.
fn timer() -> Option<&'static mpsc::Sender<Pending>> {
    static TIMER: OnceLock<Option<mpsc::Sender<Pending>>> = OnceLock::new();
    TIMER
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            std::thread::Builder::new()
                .name("reginv-emulator-latency".into())
                .spawn(move || run(&rx))
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Fires every deadline that has come, then waits for the next one or a new request.
fn run(inbox: &mpsc::Receiver<Pending>) {
    let mut pending = BinaryHeap::new();
    loop {
        let now = Instant::now();
        while pending.peek().is_some_and(|p: &Pending| p.at <= now) {
            if let Some(due) = pending.pop() {
                // The request may be gone (its connection closed); nothing to wake then.
                let _ = due.wake.send(());
            }
        }
        let next = match pending.peek() {
            Some(p) => inbox.recv_timeout(p.at.saturating_duration_since(now)),
            None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(request) => pending.push(request),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Waits `latency` from now: never less, and more only by the kernel's timer slack and the
/// time the runtime takes to poll the woken task.
pub(crate) async fn sleep(latency: Duration) {
    let at = Instant::now() + latency;
    let (wake, woken) = oneshot::channel();
    if let Some(inbox) = timer() {
        if inbox.send(Pending { at, wake }).is_ok() && woken.await.is_ok() {
            return;
        }
    }
    // No timer thread: tokio's timer, never early either.
    tokio::time::sleep_until(at.into()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_sleeps_never_wake_early() {
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        // Registered out of order; each must wake at or after its own deadline.
        for ms in [30u64, 5, 20, 0, 10, 5] {
            tasks.spawn(async move {
                let latency = Duration::from_millis(ms);
                let before = Instant::now();
                sleep(latency).await;
                let woke = Instant::now();
                assert!(
                    woke - before >= latency,
                    "{ms} ms woke after {:?}",
                    woke - before
                );
            });
        }
        let mut woken = 0;
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
            woken += 1;
        }
        assert_eq!(woken, 6);
        assert!(Instant::now() - start >= Duration::from_millis(30));
    }

    #[test]
    fn the_heap_pops_the_earliest_deadline_first() {
        let now = Instant::now();
        let mut heap = BinaryHeap::new();
        for ms in [7u64, 1, 4, 1, 9] {
            let (wake, _) = oneshot::channel();
            heap.push(Pending {
                at: now + Duration::from_millis(ms),
                wake,
            });
        }
        let order: Vec<u128> = std::iter::from_fn(|| heap.pop())
            .map(|p| (p.at - now).as_millis())
            .collect();
        assert_eq!(order, [1, 1, 4, 7, 9]);
    }
}
