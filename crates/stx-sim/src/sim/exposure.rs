//! One CCD's exposure state machine:
//!
//! ```text
//! Idle ──start──► Exposing ──duration──► ReadingOut ──readout──► Ready (idle, ImageReady 1)
//!                    │  └──(fault)──────► Failed (state 5)
//!                    └──abort──► Idle
//! ```
//!
//! Time moves lazily: the camera calls [`CcdMachine::advance`] with the clock's reading
//! before anything else, and the machine takes every transition that has come due since.
//! No thread ticks it, and a manual clock drives it exactly.

use stx_protocol::{Binning, CcdState, ExposureRequest, SensorInfo, StxError, Subframe};

use super::lazy_frame::LazyFrame;
use crate::SimTime;

/// An exposure under way, with everything fixed when it started.
#[derive(Clone, Debug)]
pub(super) struct Exposure {
    /// What the start call asked for.
    pub(super) request: ExposureRequest,
    /// Which exposure of the camera's life this is.
    pub(super) number: u64,
    /// When it started.
    pub(super) started: SimTime,
    /// The readout window, fixed at the start (later settings apply to the next one).
    pub(super) frame: Subframe,
    /// The binning, fixed at the start.
    pub(super) binning: Binning,
    /// Seconds the readout will take.
    readout_s: f64,
    /// Whether it is to end in the error state (a fault on demand).
    fails: bool,
}

impl Exposure {
    /// When the shutter closes and readout begins.
    pub(super) fn ends(&self) -> SimTime {
        self.started.plus(self.request.duration.secs())
    }
}

#[derive(Clone, Debug)]
enum Phase {
    /// Nothing under way, no image.
    Idle,
    Exposing(Exposure),
    ReadingOut {
        done: SimTime,
        /// The exposure's number.
        number: u64,
        frame: LazyFrame,
    },
    /// Idle with an image ready.
    Ready(LazyFrame),
    /// The last exposure failed.
    Failed,
}

/// One CCD: its readout settings and where its exposure stands.
#[derive(Clone, Debug)]
pub(super) struct CcdMachine {
    sensor: SensorInfo,
    readout_pixels_per_s: f64,
    binning: Binning,
    frame: Subframe,
    phase: Phase,
}

impl CcdMachine {
    /// An idle CCD with the spec's defaults: no binning, the whole sensor.
    pub(super) fn new(sensor: SensorInfo, readout_pixels_per_s: f64) -> CcdMachine {
        CcdMachine {
            sensor,
            readout_pixels_per_s,
            binning: Binning::ONE,
            frame: Subframe { start_x: 0, start_y: 0, num_x: sensor.width, num_y: sensor.height },
            phase: Phase::Idle,
        }
    }

    /// The binning and window the next exposure will use.
    pub(super) fn geometry(&self) -> (Binning, Subframe) {
        (self.binning, self.frame)
    }

    /// Sets the binning and window for the next exposure (one under way keeps its own).
    pub(super) fn set_geometry(&mut self, binning: Binning, frame: Subframe) {
        self.binning = binning;
        self.frame = frame;
    }

    /// Takes every transition due by `now`. When an exposure ends, `capture` records its
    /// circumstances at that moment as a frame to be rendered. Returns the frame and its
    /// exposure number if a readout finished.
    pub(super) fn advance(
        &mut self,
        now: SimTime,
        capture: impl FnOnce(&Exposure) -> LazyFrame,
    ) -> Option<(u64, LazyFrame)> {
        if let Phase::Exposing(exposure) = &self.phase
            && now >= exposure.ends()
        {
            let ends = exposure.ends();
            self.phase = if exposure.fails {
                Phase::Failed
            } else {
                let number = exposure.number;
                Phase::ReadingOut { done: ends.plus(exposure.readout_s), number, frame: capture(exposure) }
            };
        }
        if let Phase::ReadingOut { done, number, frame } = &self.phase
            && now >= *done
        {
            let finished = (*number, frame.clone());
            self.phase = Phase::Ready(frame.clone());
            return Some(finished);
        }
        None
    }

    /// The state the API reports.
    pub(super) fn state(&self) -> CcdState {
        match self.phase {
            Phase::Idle | Phase::Ready(_) => CcdState::Idle,
            Phase::Exposing(_) => CcdState::Exposing,
            Phase::ReadingOut { .. } => CcdState::ReadingOut,
            Phase::Failed => CcdState::Error,
        }
    }

    /// The finished frame, if ImageReady.
    /// When the exposure under way closes its shutter; `None` when not exposing.
    pub(super) fn exposure_ends(&self) -> Option<SimTime> {
        match &self.phase {
            Phase::Exposing(exposure) => Some(exposure.ends()),
            _ => None,
        }
    }

    pub(super) fn ready_frame(&self) -> Option<&LazyFrame> {
        match &self.phase {
            Phase::Ready(frame) => Some(frame),
            _ => None,
        }
    }

    /// Starts exposure `number` at `now`; the previous image is gone from then on. The
    /// window is checked against the sensor here, as the spec says (NumX/NumY are
    /// never changed automatically). `fails`: end in the error state instead.
    pub(super) fn start(
        &mut self,
        now: SimTime,
        request: ExposureRequest,
        number: u64,
        fails: bool,
    ) -> Result<(), StxError> {
        if self.state().is_busy() {
            return Err(StxError::Busy);
        }
        if !self.frame.fits(self.sensor.width, self.sensor.height) {
            return Err(StxError::BadParameter);
        }
        let exposure = Exposure {
            request,
            number,
            started: now,
            frame: self.frame,
            binning: self.binning,
            readout_s: self.readout_s(),
            fails,
        };
        self.phase = Phase::Exposing(exposure);
        Ok(())
    }

    /// Aborts: an exposure stops with no image; a readout cannot be stopped; an idle CCD
    /// ignores it (a ready image stays ready). Aborting clears the error state, so a
    /// client can recover from a failed exposure the way it stops any other.
    pub(super) fn abort(&mut self) -> Result<(), StxError> {
        match self.phase {
            Phase::Exposing(_) | Phase::Failed => self.phase = Phase::Idle,
            Phase::ReadingOut { .. } => return Err(StxError::AbortFailed),
            Phase::Idle | Phase::Ready(_) => {}
        }
        Ok(())
    }

    /// How long reading out the current window takes. On-chip binning sums charge before
    /// the converter, so the time is the binned pixels digitised divided by the preset's
    /// rate. Vertical shifts and the fast dumping of rows and columns outside the window
    /// run two orders of magnitude faster than digitisation and are left out.
    fn readout_s(&self) -> f64 {
        let (w, h) = self.frame.binned_size(self.binning);
        (f64::from(w) * f64::from(h)) / self.readout_pixels_per_s
    }
}
