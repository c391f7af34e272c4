//! Every imaging frame that finishes readout, whichever client started it: measured,
//! written as a FITS file, recorded in the history, then announced. Off the request
//! path: the STX API answers while a frame is measured, and each frame is measured once.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Local;
use stx_analysis::{Analysis, Options};
use stx_camera::{Camera, FinishedFrame, Frame};
use stx_history::{History, ImageInfo, ImageRecord, ImageType, NewRecord, StoredImage};
use stx_protocol::Ccd;
use tokio::sync::watch;

/// What the pipeline tells the world, typed: whoever announces it (the v2 API's event
/// bus) decides its wire form.
#[derive(Clone, Debug, PartialEq)]
pub enum PipelineEvent {
    /// A frame was recorded for the first time.
    FrameKept(Box<ImageRecord>),
    /// Finished frames cannot be stored (the error, with the OS's): they are held in
    /// memory and retried.
    StorageFailed(String),
    /// Held frames are stored again; none was lost.
    StorageResumed,
}

/// Where the pipeline's events go.
pub trait EventSink: Send + Sync + fmt::Debug {
    /// Takes one event; must not block for long (the pipeline waits).
    fn send(&self, event: PipelineEvent);
}

/// What the next imager frame the camera finishes is recorded as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum NextFrame {
    /// As its exposure's frame type says.
    #[default]
    AsExposed,
    /// A SNAPSHOT: the capture endpoint started it.
    Snapshot,
}

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

/// Frames kept in memory while the disk refuses them (full, unwritable): past this many
/// the pipeline takes no more frames from the camera, whose imager then reports busy,
/// so no frame is lost and memory stays bounded (each held frame is its FITS file, up
/// to 32 MiB).
pub const HELD_FRAMES_MAX: usize = 4;

/// How often held frames are retried: a full disk is not hammered ten times a second.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// Whether finished frames are being stored, for the API and the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageStatus {
    /// Frames measured and encoded but not stored yet, held in memory and retried.
    pub held_frames: usize,
    /// Why the oldest held frame could not be stored, with the OS error; `None` while
    /// every frame is stored.
    pub error: Option<String>,
}

/// Why a capture is refused: frames already finished cannot be stored.
#[derive(Debug, thiserror::Error)]
#[error("frames cannot be stored ({held} held in memory): {error}")]
pub struct StorageFailing {
    /// Frames held.
    pub held: usize,
    /// The last store error.
    pub error: String,
}

/// A frame ready to store: its FITS bytes and record.
#[derive(Debug)]
struct Ready {
    number: u64,
    bytes: Vec<u8>,
    record: NewRecord,
}

/// The frame pipeline of one camera.
#[derive(Debug)]
pub struct Pipeline {
    camera: Arc<dyn Camera>,
    history: Arc<History>,
    events: Arc<dyn EventSink>,
    /// Tells this run's frames from earlier runs' in the history's frame keys.
    run_id: String,
    /// What the next imager frame is. Drains take turns on this lock: the capture
    /// endpoint drains, starts and sets the mark under it, so no drain in between can
    /// give the mark to an older frame.
    next_frame: Mutex<NextFrame>,
    /// Whether the last ask failed: an outage is logged once, not ten times a second.
    camera_down: AtomicBool,
    /// How long an idle camera is left alone between asks for finished frames.
    drain_interval: Duration,
    /// Frames the disk refused, oldest first, and why the last attempt failed.
    /// Taken only while draining (under `next_frame`), so a slow store holds up no reader of
    /// `status`.
    held: Mutex<VecDeque<Ready>>,
    /// What `held` holds and why, as last published.
    status: Mutex<StorageStatus>,
}

impl Pipeline {
    /// A pipeline from `camera` into `history`, announcing on `events`.
    pub fn new(
        camera: Arc<dyn Camera>,
        history: Arc<History>,
        events: Arc<dyn EventSink>,
        drain_interval: Duration,
    ) -> Pipeline {
        let run_id = Local::now().format("%Y%m%dT%H%M%S%.6f").to_string();
        Pipeline {
            camera,
            history,
            events,
            run_id,
            next_frame: Mutex::new(NextFrame::AsExposed),
            camera_down: AtomicBool::new(false),
            drain_interval,
            held: Mutex::default(),
            status: Mutex::default(),
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
                let status = self.storage_status();
                if let Some(error) = status.error {
                    tracing::error!(
                        "stopping with {} frames that could not be stored; they are lost: {error}",
                        status.held_frames
                    );
                }
                break;
            }
            let pause =
                if self.storage_status().held_frames > 0 { RETRY_INTERVAL } else { self.drain_interval };
            stopping = tokio::select! {
                _ = tokio::time::sleep(pause) => false,
                _ = shutdown.changed() => true,
            };
        }
    }

    /// Takes the camera's finished frames and keeps the imager's. Blocking.
    pub fn drain(&self) -> Vec<StoredImage> {
        let mut next_frame = self.next_frame.lock().unwrap_or_else(|e| e.into_inner());
        self.drain_locked(&mut next_frame)
    }

    /// Whether finished frames are being stored.
    pub fn storage_status(&self) -> StorageStatus {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn drain_locked(&self, next_frame: &mut NextFrame) -> Vec<StoredImage> {
        let mut stored = self.store_held();
        if self.storage_status().held_frames >= HELD_FRAMES_MAX {
            // Back-pressure: the frames stay in the camera, which stops taking exposures.
            return stored;
        }
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
        for frame in finished.iter().filter(|f| f.ccd() == Ccd::Imager) {
            match self.prepare(frame, std::mem::take(next_frame)) {
                Ok(ready) => {
                    self.held.lock().unwrap_or_else(|e| e.into_inner()).push_back(ready);
                    stored.extend(self.store_held());
                }
                Err(e) => tracing::error!(frame = frame.number(), "frame not kept: {}", chain(&e)),
            }
        }
        stored
    }

    /// Stores the held frames, oldest first, until one fails; announces each stored
    /// one, and says loudly (log and event) when storing fails and when it works again.
    fn store_held(&self) -> Vec<StoredImage> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let failing = self.storage_status().error.is_some();
        let mut stored = Vec::new();
        while let Some(ready) = held.front() {
            match self.history.store(&ready.bytes, ready.record.clone()) {
                Ok(s) => {
                    held.pop_front();
                    if !s.already_stored {
                        tracing::info!(
                            index = s.index,
                            file = %s.record.filename,
                            stars = s.record.info.stars,
                            hfr = s.record.info.hfr,
                            "frame kept"
                        );
                        self.events.send(PipelineEvent::FrameKept(Box::new(s.record.clone())));
                    }
                    stored.push(s);
                }
                Err(e) => {
                    let error = chain(&e);
                    if !failing {
                        tracing::error!(
                            frame = ready.number,
                            "cannot store frames, holding them in memory (at most {HELD_FRAMES_MAX}, then the camera reports busy) and retrying: {error}"
                        );
                        self.events.send(PipelineEvent::StorageFailed(error.clone()));
                    }
                    self.publish(StorageStatus { held_frames: held.len(), error: Some(error) });
                    return stored;
                }
            }
        }
        self.publish(StorageStatus::default());
        if failing {
            tracing::info!("frames are stored again; none was lost");
            self.events.send(PipelineEvent::StorageResumed);
        }
        stored
    }

    fn publish(&self, status: StorageStatus) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
    }

    /// Runs `start` (which starts an imager exposure) so that the frame it produces is
    /// recorded as a SNAPSHOT: frames finished before it are kept first, under the same
    /// lock, so none of them takes the mark.
    /// While frames cannot be stored, no capture starts (its frame could not be kept).
    pub fn start_snapshot<T, E: From<StorageFailing>>(
        &self,
        start: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let mut next_frame = self.next_frame.lock().unwrap_or_else(|e| e.into_inner());
        self.drain_locked(&mut next_frame);
        if let StorageStatus { held_frames, error: Some(error) } = self.storage_status() {
            return Err(StorageFailing { held: held_frames, error }.into());
        }
        let started = start()?;
        *next_frame = NextFrame::Snapshot;
        Ok(started)
    }

    /// Measures one frame and encodes its FITS file and record.
    fn prepare(&self, finished: &FinishedFrame, kind: NextFrame) -> Result<Ready, PipelineError> {
        let frame = finished.frame();
        let image_type = match kind {
            NextFrame::Snapshot => ImageType::Snapshot,
            NextFrame::AsExposed => ImageType::from(frame.meta().frame_type),
        };
        let analysis = measure(&frame, image_type);
        let info = image_info(&frame, &analysis, image_type);
        // The header settings as they were when the exposure ended.
        let bytes = stx_camera::fits::encode(&frame, &frame.meta().fits);
        let key = format!("{}-{}", self.run_id, finished.number());
        Ok(Ready { number: finished.number(), bytes, record: NewRecord { frame_key: key, info } })
    }
}

/// An error and its causes, one line: the OS error under an I/O failure is what a
/// person needs ("No space left on device").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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

/// The history record of a measured frame (the decisions page's conventions: no stars
/// or HFR when not measured; no gain or offset, as a CCD has neither setting), with the
/// FITS settings the frame captured when its exposure ended.
pub(crate) fn image_info(frame: &Frame, analysis: &Analysis, image_type: ImageType) -> ImageInfo {
    let meta = frame.meta();
    let fits = &meta.fits;
    let sky = matches!(image_type, ImageType::Light | ImageType::Snapshot);
    ImageInfo {
        exposure_time_s: meta.duration.as_secs_f64(),
        image_type,
        filter: meta.filter.as_ref().map_or_else(String::new, |f| f.to_string()),
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
