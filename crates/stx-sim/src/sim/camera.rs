//! [`SimCamera`]: the simulated STX camera behind the [`Camera`] trait.
//!
//! All state sits behind one mutex and is advanced lazily: every call reads the clock
//! once, takes every transition due by then (exposure ends, readouts), and only then
//! does its work. Since every change of settings, filters or guiding happens inside such
//! a call, the circumstances an exposure captures when it ends are exactly those that
//! held at that moment. Rendering happens outside the lock, on the first download.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use stx_protocol::{
    AoPosition, Ccd, CcdSettings, CcdState, ExposureRequest, FanMode, FanStatus, FilterName, FilterSlot,
    FilterWheelStatus, FitsChange, FitsSettings, PulseRequest, RelayStatus, SettingsUpdate, StxError,
};

use super::cooler::Cooler;
use super::exposure::{CcdMachine, Exposure};
use super::faults::DownloadFaults;
use super::filter_wheel::FilterWheel;
use super::flash::{FlashContents, FlashFile};
use super::guiding::Guiding;
use super::lazy_frame::LazyFrame;
use super::{Faults, SimError};
use crate::preset::ModelPreset;
use crate::render::RenderJob;
use crate::{Camera, Clock, Error, ErrorKind, FinishedFrame, Frame, FrameMeta, SimTime, Versions};
use stx_camera::{PixelPoint, PixelSize};

/// What a simulated camera is made of.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The camera model.
    pub preset: ModelPreset,
    /// Fixes the sky, the sensor's hot pixels, the mount's errors and every noise draw:
    /// the same seed and the same requests at the same times give the same bytes.
    pub seed: u64,
    /// Where the camera keeps its flash (filter names, FITS settings); `None` keeps
    /// them in memory only, for a camera that forgets at exit.
    pub data_dir: Option<PathBuf>,
    /// The one clock all the camera's behaviour reads.
    pub clock: Arc<dyn Clock>,
}

/// The simulated STX camera. Cheap to share: clone the `Arc` it sits in, or take a
/// [`Faults`] handle to misbehave on demand.
#[derive(Debug)]
pub struct SimCamera {
    inner: Arc<Inner>,
}

/// What the camera and its [`Faults`] handle share.
#[derive(Debug)]
pub(super) struct Inner {
    clock: Arc<dyn Clock>,
    preset: ModelPreset,
    seed: u64,
    flash: Option<FlashFile>,
    state: Mutex<State>,
    /// Faults the server applies to its answers; outside the state, as it reads them on
    /// every request.
    pub(super) download_faults: DownloadFaults,
}

/// Everything that changes.
#[derive(Debug)]
pub(super) struct State {
    /// Imager, guider, external guider, in [`Ccd::ALL`] order.
    ccds: [CcdMachine; 3],
    pub(super) cooler: Cooler,
    pub(super) wheel: FilterWheel,
    guiding: Guiding,
    fits: FitsSettings,
    fan: FanStatus,
    overscan: bool,
    /// Faults: whose next exposure ends in the error state, in [`Ccd::ALL`] order.
    pub(super) fail_next: [bool; 3],
    /// Exposures started so far (each one's number picks its noise stream).
    exposures_started: u64,
    /// Frames finished and not yet taken by [`Camera::take_finished`], oldest first.
    finished: VecDeque<FinishedFrame>,
}

/// Imager frames not yet taken by [`Camera::take_finished`] beyond which the imager
/// refuses to start another exposure (busy): an imager frame is never dropped, so a
/// camera whose frames come faster than its caller stores them (the simulator at a fast
/// time scale) waits for the caller instead. A real camera cannot outrun the pipeline;
/// four frames cover a pipeline that is briefly slow (a disk flush) without the camera
/// ever reporting busy. Guide frames, which nobody keeps, are not held back: only the
/// newest of these many per guide CCD wait to be taken.
pub const PENDING_FRAMES_MAX: usize = 4;

impl SimCamera {
    /// A camera as it powers up: idle, cooler off, wheel at slot 0, with the filter
    /// names and FITS settings its flash holds (the defaults if it holds none).
    pub fn new(config: SimConfig) -> Result<SimCamera, SimError> {
        let SimConfig { preset, seed, data_dir, clock } = config;
        let flash = data_dir
            .map(|dir| FlashFile::open(&dir).map_err(|source| SimError::DataDir { path: dir, source }))
            .transpose()?;
        let stored = flash.as_ref().map(FlashFile::load).unwrap_or_default();
        let machine = |ccd| {
            let sensor = preset.sensor(ccd);
            CcdMachine::new(sensor.info(), sensor.readout_pixels_per_s)
        };
        let state = State {
            ccds: Ccd::ALL.map(machine),
            cooler: Cooler::new(&preset.cooler),
            wheel: FilterWheel::new(preset.filter_wheel.as_ref(), stored.filter_names),
            guiding: Guiding::new(&preset.mount, preset.ao.as_ref(), seed),
            fits: stored.fits,
            // Chosen: the camera runs its fan automatically, at full power, and reads no
            // overscan, until told otherwise (the spec does not list these settings).
            fan: FanStatus { mode: FanMode::Auto, power_percent: 100 },
            overscan: false,
            fail_next: [false; 3],
            exposures_started: 0,
            finished: VecDeque::new(),
        };
        let inner = Inner {
            clock,
            preset,
            seed,
            flash,
            state: Mutex::new(state),
            download_faults: DownloadFaults::default(),
        };
        Ok(SimCamera { inner: Arc::new(inner) })
    }

    /// A handle to make this camera misbehave on purpose.
    pub fn faults(&self) -> Faults {
        Faults::new(Arc::clone(&self.inner))
    }

    /// The camera's model preset.
    pub fn preset(&self) -> &ModelPreset {
        &self.inner.preset
    }
}

impl Inner {
    /// The state, advanced to the clock's reading now, and that reading.
    pub(super) fn lock_at_now(&self) -> (MutexGuard<'_, State>, SimTime) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Read the clock under the lock, so calls see time in the order they ran.
        let now = self.clock.now();
        state.advance(now, &self.preset, self.seed);
        (state, now)
    }

    /// Changes what the flash keeps: the change is written to the flash first and put
    /// in force only once it is stored, so a change the camera could not store (a full
    /// disk) is refused and has no effect. The write happens outside the state's lock,
    /// so a slow disk holds up only other flash changes; the writer's turn, held
    /// throughout, keeps two changes from losing one another.
    fn change_flash(&self, change: impl FnOnce(&mut FlashContents)) -> Result<(), Error> {
        let current = |state: &State| FlashContents {
            filter_names: state.wheel.names().clone(),
            fits: state.fits.clone(),
        };
        let Some(file) = &self.flash else {
            let mut state = self.lock_at_now().0;
            let mut contents = current(&state);
            change(&mut contents);
            state.put_in_force(contents);
            return Ok(());
        };
        let writer = file.writer();
        let mut contents = current(&self.lock_at_now().0);
        change(&mut contents);
        writer.save(&contents).map_err(|e| {
            Error::new(ErrorKind::Unavailable(format!(
                "cannot write the camera's flash {}: {e}",
                file.path().display()
            )))
        })?;
        self.lock_at_now().0.put_in_force(contents);
        Ok(())
    }
}

/// Frames of `ccd` finished and not yet taken.
fn pending(finished: &VecDeque<FinishedFrame>, ccd: Ccd) -> usize {
    finished.iter().filter(|f| f.ccd() == ccd).count()
}

impl State {
    /// Puts stored flash contents in force.
    fn put_in_force(&mut self, contents: FlashContents) {
        self.wheel.set_names(contents.filter_names);
        self.fits = contents.fits;
    }

    /// Takes every exposure transition due by `now`.
    fn advance(&mut self, now: SimTime, preset: &ModelPreset, seed: u64) {
        let State { ccds, cooler, wheel, guiding, fits, finished, .. } = self;
        let around = Surroundings { preset, seed, cooler, wheel, guiding, fits };
        for (machine, ccd) in ccds.iter_mut().zip(Ccd::ALL) {
            if let Some((number, frame)) = machine.advance(now, |exposure| around.capture(ccd, exposure)) {
                if ccd != Ccd::Imager && pending(finished, ccd) >= PENDING_FRAMES_MAX {
                    let oldest = finished.iter().position(|f| f.ccd() == ccd);
                    oldest.and_then(|i| finished.remove(i));
                }
                finished.push_back(FinishedFrame::new(ccd, number, move || frame.get()));
            }
        }
    }

    fn ccd(&self, ccd: Ccd) -> &CcdMachine {
        &self.ccds[ccd.index()]
    }

    fn ccd_mut(&mut self, ccd: Ccd) -> &mut CcdMachine {
        &mut self.ccds[ccd.index()]
    }

    /// What `ccd`'s get-settings call reads at `now`.
    fn settings(&self, ccd: Ccd, now: SimTime, preset: &ModelPreset) -> CcdSettings {
        let (binning, frame) = self.ccd(ccd).geometry();
        let imager = ccd == Ccd::Imager;
        CcdSettings {
            sensor: preset.sensor(ccd).info(),
            binning,
            frame,
            ambient_c: self.cooler.ambient_c(now),
            // The API's rule: the guider reads the imager's cooler; the external head
            // has none.
            cooler: (ccd != Ccd::ExtGuider).then(|| self.cooler.status(now)),
            fan: imager.then_some(self.fan),
            overscan: imager.then_some(self.overscan),
        }
    }
}

/// What an exposure's frame depends on besides the exposure itself.
struct Surroundings<'a> {
    preset: &'a ModelPreset,
    seed: u64,
    cooler: &'a Cooler,
    wheel: &'a FilterWheel,
    guiding: &'a Guiding,
    fits: &'a FitsSettings,
}

impl Surroundings<'_> {
    /// Records, at the moment `exposure` ends, everything its frame depends on.
    fn capture(&self, ccd: Ccd, exposure: &Exposure) -> LazyFrame {
        let end = exposure.ends();
        let sensor = self.preset.sensor(ccd);
        let ccd_temp_c =
            if sensor.cooled { self.cooler.temperature_c(end) } else { self.cooler.ambient_c(end) };
        let filter = self.wheel.in_beam();
        let request = &exposure.request;
        let job = RenderJob {
            seed: self.seed,
            exposure_number: exposure.number,
            ccd,
            sensor: sensor.clone(),
            sky: self.preset.sky.clone(),
            focal_length_mm: self.fits.focal_length_mm,
            aperture_mm: self.fits.aperture_mm,
            frame: exposure.frame,
            binning: exposure.binning,
            duration_s: request.duration.secs(),
            shutter_open: request.frame_type.shutter_open(),
            filter: filter.map(|(_, optics)| optics.clone()),
            ccd_temp_c,
            // The external guide head does not look through the AO element.
            pointing_arcsec: self.guiding.track(exposure.started, end, ccd != Ccd::ExtGuider),
        };
        let meta = FrameMeta {
            ccd,
            frame_type: request.frame_type,
            duration: Duration::from_secs_f64(request.duration.secs()),
            date_obs: request.date_obs(),
            binning: exposure.binning,
            origin: PixelPoint { x: exposure.frame.start_x, y: exposure.frame.start_y },
            pixel_size: PixelSize { x_um: sensor.pixel_size_x_um, y_um: sensor.pixel_size_y_um },
            ccd_temp_c,
            setpoint_c: if sensor.cooled { self.cooler.regulating_setpoint_c() } else { None },
            electrons_per_adu: sensor.gain_e_per_adu,
            filter: filter.map(|(name, _)| name.clone()),
            instrument: self.preset.description.clone(),
            fits: self.fits.clone(),
        };
        LazyFrame::new(job, meta)
    }
}

impl Camera for SimCamera {
    fn settings(&self, ccd: Ccd) -> Result<CcdSettings, Error> {
        let (state, now) = self.inner.lock_at_now();
        Ok(state.settings(ccd, now, &self.inner.preset))
    }

    fn set_settings(&self, ccd: Ccd, update: &SettingsUpdate) -> Result<(), Error> {
        let (mut state, now) = self.inner.lock_at_now();
        let mut settings = state.settings(ccd, now, &self.inner.preset);
        // Applied to a copy, then kept: values before a bad one stay applied, as on the
        // camera.
        let applied = update.apply_to(&mut settings);
        state.ccd_mut(ccd).set_geometry(settings.binning, settings.frame);
        // Only the imager's call sets the shared cooler, fan and overscan.
        if ccd == Ccd::Imager {
            if let Some(cooler) = settings.cooler {
                state.cooler.set(now, cooler.on, cooler.setpoint_c);
            }
            state.fan = settings.fan.unwrap_or(state.fan);
            state.overscan = settings.overscan.unwrap_or(state.overscan);
        }
        Ok(applied?)
    }

    fn state(&self, ccd: Ccd) -> Result<CcdState, Error> {
        Ok(self.inner.lock_at_now().0.ccd(ccd).state())
    }

    fn exposure_end(&self, ccd: Ccd) -> Result<Option<SystemTime>, Error> {
        let (state, now) = self.inner.lock_at_now();
        let left = state.ccd(ccd).exposure_ends().map(|ends| ends.since(now).max(0.0));
        Ok(left.map(|seconds| {
            SystemTime::now() + Duration::from_secs_f64(self.inner.clock.real_seconds(seconds))
        }))
    }

    fn image_ready(&self, ccd: Ccd) -> Result<bool, Error> {
        Ok(self.inner.lock_at_now().0.ccd(ccd).ready_frame().is_some())
    }

    fn start_exposure(&self, ccd: Ccd, request: &ExposureRequest) -> Result<(), Error> {
        let (mut state, now) = self.inner.lock_at_now();
        let i = ccd.index();
        let (number, fails) = (state.exposures_started, state.fail_next[i]);
        if ccd == Ccd::Imager && pending(&state.finished, ccd) >= PENDING_FRAMES_MAX {
            return Err(StxError::Busy.into());
        }
        state.ccds[i].start(now, *request, number, fails)?;
        state.exposures_started += 1;
        state.fail_next[i] = false;
        Ok(())
    }

    fn abort_exposure(&self, ccd: Ccd) -> Result<(), Error> {
        Ok(self.inner.lock_at_now().0.ccd_mut(ccd).abort()?)
    }

    fn frame(&self, ccd: Ccd) -> Result<Option<Arc<Frame>>, Error> {
        let ready = self.inner.lock_at_now().0.ccd(ccd).ready_frame().cloned();
        // The lock is released here: rendering may take a while.
        Ok(ready.map(|frame| frame.get()))
    }

    fn filter_wheel(&self) -> Result<FilterWheelStatus, Error> {
        let (state, now) = self.inner.lock_at_now();
        Ok(state.wheel.status(now))
    }

    fn change_filter(&self, slot: FilterSlot) -> Result<(), Error> {
        let (mut state, now) = self.inner.lock_at_now();
        Ok(state.wheel.change(now, slot)?)
    }

    fn set_filter_names(&self, names: &[(FilterSlot, FilterName)]) -> Result<(), Error> {
        self.inner.change_flash(|flash| {
            for (slot, name) in names {
                if let Some(i) = slot.filter_index() {
                    flash.filter_names[i] = name.clone();
                }
            }
        })
    }

    fn pulse_guide(&self, request: &PulseRequest) -> Result<(), Error> {
        let (mut state, now) = self.inner.lock_at_now();
        for pulse in request.pulses() {
            state.guiding.pulse(now, pulse.relay, pulse.duration.secs());
        }
        Ok(())
    }

    fn relays(&self) -> Result<RelayStatus, Error> {
        let (state, now) = self.inner.lock_at_now();
        Ok(state.guiding.relays(now))
    }

    /// A camera without AO accepts the move and stays idle: clients that always send
    /// AO commands keep working, and nothing in the image moves.
    fn ao_guide(&self, x: AoPosition, y: AoPosition) -> Result<(), Error> {
        let (mut state, now) = self.inner.lock_at_now();
        if self.inner.preset.ao.is_some() {
            state.guiding.ao_move(now, x, y);
        }
        Ok(())
    }

    fn ao_moving(&self) -> Result<bool, Error> {
        let (state, now) = self.inner.lock_at_now();
        Ok(self.inner.preset.ao.is_some() && state.guiding.ao_moving(now))
    }

    fn fits_settings(&self) -> Result<FitsSettings, Error> {
        Ok(self.inner.lock_at_now().0.fits.clone())
    }

    fn set_fits_settings(&self, changes: &[FitsChange]) -> Result<(), Error> {
        self.inner.change_flash(|flash| changes.iter().for_each(|c| c.apply_to(&mut flash.fits)))
    }

    fn description(&self) -> Result<String, Error> {
        Ok(self.inner.preset.description.clone())
    }

    fn versions(&self) -> Result<Versions, Error> {
        let v = &self.inner.preset.versions;
        Ok(Versions {
            firmware: env!("CARGO_PKG_VERSION").to_owned(),
            gate_array: v.gate_array.clone(),
            imaging_rop: v.imaging_rop.clone(),
            tracker_rop: v.tracker_rop.clone(),
            // The revision of the spec this camera speaks.
            http_api: "1.00.1".to_owned(),
        })
    }

    fn take_finished(&self) -> Result<Vec<FinishedFrame>, Error> {
        let (mut state, _) = self.inner.lock_at_now();
        Ok(state.finished.drain(..).collect())
    }
}
