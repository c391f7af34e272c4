//! Every imaging frame that finishes readout, whichever client started it: measured,
//! written as a FITS file, recorded in the history, then announced. Off the request
//! path: the STX API answers while a frame is measured, and each frame is measured once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Local;
use stx_analysis::{Analysis, Options};
use stx_camera::{Camera, FinishedFrame, Frame};
use stx_history::{History, ImageInfo, ImageType, NewRecord, StoredImage};
use stx_protocol::{Ccd, FitsSettings};
use tokio::sync::watch;

use crate::v2::EventBus;

/// Why a frame could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The camera did not answer.
    #[error(transparent)]
    Camera(#[from] stx_camera::Error),
    /// The history could not store it.
    #[error(transparent)]
    History(#[from] stx_history::Error),
}

/// The frame pipeline of one camera.
#[derive(Debug)]
pub struct Pipeline {
    camera: Arc<dyn Camera>,
    history: Arc<History>,
    events: Arc<EventBus>,
    /// Tells this run's frames from earlier runs' in the history's frame keys.
    run_id: String,
    /// Held while draining; `true` while the next imager frame is a capture-endpoint
    /// SNAPSHOT.
    drain: Mutex<bool>,
    /// Whether the last ask failed: an outage is logged once, not ten times a second.
    camera_down: AtomicBool,
    /// How long an idle camera is left alone between asks for finished frames.
    drain_interval: Duration,
}

impl Pipeline {
    /// A pipeline from `camera` into `history`, announcing on `events`.
    pub fn new(
        camera: Arc<dyn Camera>,
        history: Arc<History>,
        events: Arc<EventBus>,
        drain_interval: Duration,
    ) -> Pipeline {
        let run_id = Local::now().format("%Y%m%dT%H%M%S%.6f").to_string();
        Pipeline {
            camera,
            history,
            events,
            run_id,
            drain: Mutex::new(false),
            camera_down: AtomicBool::new(false),
            drain_interval,
        }
    }

    /// Drains the camera until `shutdown` turns true, then until nothing is left, so a
    /// frame finished before the stop is kept. After a drain that found frames it drains
    /// again at once (frames may come faster than one a drain interval); only an idle
    /// camera is left alone for the drain interval.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut stopping = false;
        loop {
            let me = self.clone();
            let kept = tokio::task::spawn_blocking(move || me.drain().len()).await.unwrap_or(0);
            if kept > 0 {
                continue;
            }
            if stopping {
                break;
            }
            stopping = tokio::select! {
                _ = tokio::time::sleep(self.drain_interval) => false,
                _ = shutdown.changed() => true,
            };
        }
    }

    /// Takes the camera's finished frames and keeps the imager's. Blocking.
    pub fn drain(&self) -> Vec<StoredImage> {
        let mut snapshot_next = self.drain.lock().unwrap_or_else(|e| e.into_inner());
        self.drain_locked(&mut snapshot_next)
    }

    fn drain_locked(&self, snapshot_next: &mut bool) -> Vec<StoredImage> {
        let finished = match self.camera.take_finished() {
            Ok(finished) => {
                if self.camera_down.swap(false, Ordering::Relaxed) {
                    tracing::info!("camera answers again");
                }
                finished
            }
            Err(e) => {
                if !self.camera_down.swap(true, Ordering::Relaxed) {
                    tracing::warn!("cannot ask the camera for finished frames (retrying): {e}");
                }
                return Vec::new();
            }
        };
        let mut stored = Vec::new();
        for frame in finished.iter().filter(|f| f.ccd() == Ccd::Imager) {
            let snapshot = std::mem::take(snapshot_next);
            match self.keep(frame, snapshot) {
                Ok(s) => stored.push(s),
                Err(e) => tracing::error!(frame = frame.number(), "frame not kept: {e}"),
            }
        }
        stored
    }

    /// Runs `start` (which starts an imager exposure) so that the frame it produces is
    /// recorded as a SNAPSHOT: frames finished before it are kept first, under the same
    /// lock, so none of them takes the mark.
    pub fn start_snapshot<T, E>(&self, start: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let mut snapshot_next = self.drain.lock().unwrap_or_else(|e| e.into_inner());
        self.drain_locked(&mut snapshot_next);
        let started = start()?;
        *snapshot_next = true;
        Ok(started)
    }

    /// Measures, writes and records one frame, then announces it.
    fn keep(&self, finished: &FinishedFrame, snapshot: bool) -> Result<StoredImage, PipelineError> {
        let frame = finished.frame();
        let image_type =
            if snapshot { ImageType::Snapshot } else { ImageType::from(frame.meta().frame_type) };
        let fits_settings = self.camera.fits_settings()?;
        let analysis = measure(&frame, image_type);
        let info = image_info(&frame, &analysis, &fits_settings, image_type);
        let bytes = stx_camera::fits::encode(&frame, &fits_settings);
        let key = format!("{}-{}", self.run_id, finished.number());
        let stored = self.history.store(&bytes, NewRecord { frame_key: key, info })?;
        if !stored.already_stored {
            tracing::info!(
                index = stored.index,
                file = %stored.record.filename,
                stars = stored.record.info.stars,
                hfr = stored.record.info.hfr,
                "frame kept"
            );
            self.events.image_saved(&stored.record);
        }
        Ok(stored)
    }
}

/// Statistics for every frame; stars and HFR for the frames of the sky (the decisions
/// page: LIGHT and SNAPSHOT only).
pub(crate) fn measure(frame: &Frame, image_type: ImageType) -> Analysis {
    let detect_stars = matches!(image_type, ImageType::Light | ImageType::Snapshot);
    // Saturation stays at the analysis default for u16 frames, 65535: every STX
    // model's MaxADU.
    let options = Options { detect_stars, ..Options::default() };
    let pixels = stx_analysis::Frame::new(frame.pixels(), frame.width() as usize, frame.height() as usize)
        .expect("a camera frame holds width × height pixels");
    stx_analysis::analyze(&pixels, &options)
}

/// The history record of a measured frame (the decisions page's conventions: stars -1
/// and HFR NaN when not measured; gain and offset -1, as a CCD has neither setting).
pub(crate) fn image_info(
    frame: &Frame,
    analysis: &Analysis,
    fits: &FitsSettings,
    image_type: ImageType,
) -> ImageInfo {
    let meta = frame.meta();
    let sky = matches!(image_type, ImageType::Light | ImageType::Snapshot);
    ImageInfo {
        exposure_time_s: meta.duration_s,
        image_type,
        filter: meta.filter.clone().unwrap_or_default(),
        rms_text: String::new(),
        temperature_c: Some(meta.ccd_temp_c).filter(|t| !t.is_nan()),
        camera_name: meta.instrument.clone(),
        gain: None,
        offset: None,
        date: Local::now().fixed_offset(),
        telescope_name: fits.telescope.to_string(),
        focal_length_mm: fits.focal_length_mm,
        stdev: analysis.stats.std_dev,
        mean: analysis.stats.mean,
        median: analysis.stats.median,
        stars: sky.then_some(analysis.stars.len() as u64),
        hfr: sky.then_some(analysis.hfr).filter(|h| !h.is_nan()),
        is_bayered: false,
        target_name: fits.object_name.to_string(),
        min: analysis.stats.min as u16,
        max: analysis.stats.max as u16,
        hfr_stdev: sky.then_some(analysis.hfr_std_dev).filter(|s| !s.is_nan()),
    }
}
