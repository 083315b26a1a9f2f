//! Ctrl-C (SIGINT) and SIGTERM: both end a run the same way.
//!
//! [`Interrupts::install`] registers the handlers at once (so a signal that arrives while the
//! configuration loads is caught too) and broadcasts the first signal to every clone: the NDJSON
//! writer ends its stream with an interrupted summary line, and `main` drops the running command
//! (which removes a half-written `--output` file) and exits with 128 + the signal's number.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

/// A signal that ends the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C.
    Interrupt,
    /// SIGTERM (cron, Kubernetes, CI runners).
    Terminate,
}

impl Signal {
    /// The exit status shells report for a process ended by this signal (128 + its number).
    pub fn exit_code(self) -> i32 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }

    /// Its name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "interrupted (SIGINT)",
            Signal::Terminate => "terminated (SIGTERM)",
        }
    }
}

/// A receiver of the first Ctrl-C or SIGTERM; clone it to wait in several places.
#[derive(Debug, Clone)]
pub struct Interrupts {
    received: watch::Receiver<Option<Signal>>,
    /// Set while the running command ends a run on a signal by itself ([`Interrupts::delegate`]).
    delegated: Arc<AtomicBool>,
}

impl Interrupts {
    /// Registers the handlers now and starts the task that forwards the first signal. Must be
    /// called inside the Tokio runtime.
    pub fn install() -> std::io::Result<Self> {
        let (sender, received) = watch::channel(None);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut interrupt = signal(SignalKind::interrupt())?;
            let mut terminate = signal(SignalKind::terminate())?;
            tokio::spawn(async move {
                let which = tokio::select! {
                    _ = interrupt.recv() => Signal::Interrupt,
                    _ = terminate.recv() => Signal::Terminate,
                };
                let _ = sender.send(Some(which));
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = sender.send(Some(Signal::Interrupt));
            }
        });
        Ok(Interrupts {
            received,
            delegated: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Says that, until the guard is dropped, the running command ends the run by itself on a
    /// signal (the NDJSON writer, which first writes its interrupted summary line): `main` then
    /// waits for the command instead of dropping it. Without it, a signal that reaches `main`
    /// first (the two wake-ups race) would cut the stream short of its last line.
    pub fn delegate(&self) -> Delegated {
        self.delegated.store(true, Ordering::SeqCst);
        Delegated(self.delegated.clone())
    }

    /// Whether the running command handles a signal by itself now.
    pub fn is_delegated(&self) -> bool {
        self.delegated.load(Ordering::SeqCst)
    }

    /// Waits for the first signal (returns at once if it already came).
    pub async fn wait(&mut self) -> Signal {
        loop {
            if let Some(signal) = *self.received.borrow_and_update() {
                return signal;
            }
            if self.received.changed().await.is_err() {
                // The forwarding task is gone: after sending the signal (read it), or without
                // one (then nothing will ever come).
                if let Some(signal) = *self.received.borrow() {
                    return signal;
                }
                std::future::pending::<()>().await;
            }
        }
    }
}

/// While alive, the running command handles signals by itself (see [`Interrupts::delegate`]).
#[derive(Debug)]
pub struct Delegated(Arc<AtomicBool>);

impl Drop for Delegated {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}
