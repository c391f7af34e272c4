//! The one clock all camera behaviour reads. People run on a scaled clock; tests drive a
//! manual clock, so no test sleeps through an exposure.

use std::fmt;
use std::sync::Mutex;
use std::time::Instant;

/// A moment on the camera's clock: seconds since the clock started.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct SimTime(f64);

impl SimTime {
    /// The clock's start.
    pub const ZERO: SimTime = SimTime(0.0);

    /// The moment `seconds` after the start.
    pub fn from_secs(seconds: f64) -> SimTime {
        SimTime(seconds)
    }

    /// Seconds since the start.
    pub fn secs(self) -> f64 {
        self.0
    }

    /// The moment `seconds` later.
    pub fn plus(self, seconds: f64) -> SimTime {
        SimTime(self.0 + seconds)
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> f64 {
        self.0 - earlier.0
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={:.3}s", self.0)
    }
}

/// A source of [`SimTime`].
pub trait Clock: Send + Sync + fmt::Debug {
    /// The time now.
    fn now(&self) -> SimTime;

    /// How many real seconds `seconds` of this clock's time take, to say when something
    /// due on this clock happens on the wall. One to one unless the clock is scaled (a
    /// manual clock has no real rate: its reading is shown as if it ran in real time).
    fn real_seconds(&self, seconds: f64) -> f64 {
        seconds
    }
}

/// Real time multiplied by a scale: with scale 60, a 60 s exposure takes one second.
#[derive(Debug)]
pub struct ScaledClock {
    start: Instant,
    scale: f64,
}

impl ScaledClock {
    /// A clock starting now, running `scale` simulated seconds per real second.
    pub fn new(scale: f64) -> ScaledClock {
        assert!(scale.is_finite() && scale > 0.0, "time scale must be a positive number");
        ScaledClock { start: Instant::now(), scale }
    }

    /// The scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> SimTime {
        SimTime(self.start.elapsed().as_secs_f64() * self.scale)
    }

    fn real_seconds(&self, seconds: f64) -> f64 {
        seconds / self.scale
    }
}

/// A clock that moves only when told to.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<f64>,
}

impl ManualClock {
    /// A clock at [`SimTime::ZERO`].
    pub fn new() -> ManualClock {
        ManualClock::default()
    }

    /// Moves the clock `seconds` forward.
    pub fn advance(&self, seconds: f64) {
        assert!(seconds >= 0.0, "a clock does not run backwards");
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) += seconds;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SimTime {
        SimTime(*self.now.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
