//! Faults on purpose: a handle that makes the simulated camera misbehave the way real
//! cameras do, so client authors can test their error handling (simulation.md, "Faults
//! on purpose"). The server maps its `/sim/…` paths and command-line flags onto it.
//!
//! Faults inside the camera (exposures, wheel, cooler) change its state at the moment
//! they are set, on the camera's clock. The two the server applies to its answers (delay,
//! dropped download) are plain flags it reads on every request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use stx_protocol::Ccd;

use super::camera::Inner;

/// A handle on a [`SimCamera`](super::SimCamera)'s faults. Clones control the same
/// camera; every fault is off until set.
#[derive(Clone, Debug)]
pub struct Faults {
    inner: Arc<Inner>,
}

/// The faults in force at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultSet {
    /// CCDs whose next exposure will end in the error state.
    pub fail_next_exposure: Vec<Ccd>,
    /// The filter wheel does not show up.
    pub filter_wheel_absent: bool,
    /// The filter wheel does not answer.
    pub filter_wheel_failing: bool,
    /// The cooler runs flat out and cannot reach its setpoint.
    pub cooler_stuck: bool,
    /// How long the server waits before each answer.
    pub answer_delay: Duration,
    /// The next image download is cut off midway.
    pub drop_next_download: bool,
}

/// The faults the server applies to its answers.
#[derive(Debug, Default)]
pub(super) struct DownloadFaults {
    answer_delay: Mutex<Duration>,
    drop_next_download: AtomicBool,
}

impl Faults {
    pub(super) fn new(inner: Arc<Inner>) -> Faults {
        Faults { inner }
    }

    /// The next exposure started on `ccd` ends in state 5 (Error) instead of reading
    /// out: no image, ImageReady 0. One exposure only; a new start or an abort clears
    /// the error state.
    pub fn fail_next_exposure(&self, ccd: Ccd) {
        self.inner.lock_at_now().0.fail_next[ccd.index()] = true;
    }

    /// The filter wheel vanishes (`true`) or returns: while gone, FilterState is 2
    /// (Error), a change answers "not found" and no filter is in the beam.
    pub fn set_filter_wheel_absent(&self, absent: bool) {
        self.inner.lock_at_now().0.wheel.set_absent(absent);
    }

    /// The filter wheel stops answering (`true`) or recovers: while failing, FilterState
    /// is 2 (Error) and a change answers "communication error". The filter stays where
    /// it was.
    pub fn set_filter_wheel_failing(&self, failing: bool) {
        self.inner.lock_at_now().0.wheel.set_failing(failing);
    }

    /// The cooler sticks (`true`) or recovers: while stuck and on, it reads 100 % power
    /// and the CCD settles 5 °C above the setpoint (or at ambient, if that is lower).
    pub fn set_cooler_stuck(&self, stuck: bool) {
        let (mut state, now) = self.inner.lock_at_now();
        state.cooler.set_stuck(now, stuck);
    }

    /// Makes the server wait `delay` before each answer, as a real camera slows under
    /// fast polling. Zero turns it off.
    pub fn set_answer_delay(&self, delay: Duration) {
        *self.inner.download_faults.answer_delay.lock().unwrap_or_else(PoisonError::into_inner) = delay;
    }

    /// How long the server is to wait before each answer.
    pub fn answer_delay(&self) -> Duration {
        *self.inner.download_faults.answer_delay.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms a one-shot fault: the server cuts the next image download off midway.
    pub fn drop_next_download(&self) {
        self.inner.download_faults.drop_next_download.store(true, Ordering::SeqCst);
    }

    /// Whether this download is to be cut off; disarms the fault. The server calls this
    /// once per image download.
    pub fn take_drop_download(&self) -> bool {
        self.inner.download_faults.drop_next_download.swap(false, Ordering::SeqCst)
    }

    /// The faults in force now.
    pub fn active(&self) -> FaultSet {
        let (state, _) = self.inner.lock_at_now();
        FaultSet {
            fail_next_exposure: Ccd::ALL.into_iter().filter(|&ccd| state.fail_next[ccd.index()]).collect(),
            filter_wheel_absent: state.wheel.is_absent(),
            filter_wheel_failing: state.wheel.is_failing(),
            cooler_stuck: state.cooler.is_stuck(),
            answer_delay: self.answer_delay(),
            drop_next_download: self.inner.download_faults.drop_next_download.load(Ordering::SeqCst),
        }
    }

    /// Turns every fault off.
    pub fn clear(&self) {
        {
            let (mut state, now) = self.inner.lock_at_now();
            state.fail_next = [false; 3];
            state.wheel.set_absent(false);
            state.wheel.set_failing(false);
            state.cooler.set_stuck(now, false);
        }
        self.set_answer_delay(Duration::ZERO);
        self.inner.download_faults.drop_next_download.store(false, Ordering::SeqCst);
    }
}
