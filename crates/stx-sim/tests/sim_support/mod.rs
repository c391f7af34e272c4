//! What the simulated camera's tests share: a camera on a manual clock, and short ways
//! to drive it and check it.

#![allow(dead_code)] // Each test file uses its own part of this.

use std::path::Path;
use std::sync::Arc;

use stx_camera::Camera;
use stx_protocol::{
    Ccd, CcdState, ExposureDuration, ExposureRequest, FrameType, SettingChange, SettingKey, SettingsUpdate,
    StxError,
};
use stx_sim::preset::ModelPreset;
use stx_sim::{ManualClock, SimCamera, SimConfig};

/// A simulated STX-16803 and the clock it runs on.
pub(crate) struct Rig {
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) camera: SimCamera,
}

/// A camera that keeps its flash in memory only.
pub(crate) fn rig() -> Rig {
    build(ModelPreset::resolve("stx-16803").unwrap(), None)
}

/// A camera that keeps its flash in `dir`.
pub(crate) fn rig_in(dir: &Path) -> Rig {
    build(ModelPreset::resolve("stx-16803").unwrap(), Some(dir))
}

/// A camera of `preset`, flash in memory only.
pub(crate) fn rig_of(preset: ModelPreset) -> Rig {
    build(preset, None)
}

fn build(preset: ModelPreset, dir: Option<&Path>) -> Rig {
    let clock = Arc::new(ManualClock::new());
    let config = SimConfig { preset, seed: 7, data_dir: dir.map(Path::to_path_buf), clock: clock.clone() };
    Rig { clock, camera: SimCamera::new(config).unwrap() }
}

impl Rig {
    /// Moves the clock on.
    pub(crate) fn advance(&self, seconds: f64) {
        self.clock.advance(seconds);
    }

    /// Starts an exposure of `seconds` of `frame_type`, with no DateTime.
    pub(crate) fn start(&self, ccd: Ccd, seconds: f64, frame_type: FrameType) -> Result<(), StxError> {
        let request = ExposureRequest {
            duration: ExposureDuration::from_secs(seconds).unwrap(),
            frame_type,
            date_time: None,
        };
        self.camera.start_exposure(ccd, &request).map_err(stx)
    }

    /// Applies `key=value` pairs as a set-settings call would (in spec order).
    pub(crate) fn set(&self, ccd: Ccd, pairs: &[(SettingKey, f64)]) -> Result<(), StxError> {
        let mut changes: Vec<SettingChange> =
            pairs.iter().map(|&(key, value)| SettingChange { key, value: Some(value) }).collect();
        let order = |k: SettingKey| stx_protocol::SET_ORDER.iter().position(|&o| o == k);
        changes.sort_by_key(|c| order(c.key));
        self.camera.set_settings(ccd, &SettingsUpdate { changes }).map_err(stx)
    }

    /// Asserts `ccd`'s state and ImageReady, naming the moment when it fails.
    #[track_caller]
    pub(crate) fn check(&self, ccd: Ccd, state: CcdState, ready: bool) {
        use stx_sim::Clock;
        let now = self.clock.now();
        assert_eq!(self.camera.state(ccd).unwrap(), state, "{ccd} state at {now}");
        assert_eq!(self.camera.image_ready(ccd).unwrap(), ready, "{ccd} ImageReady at {now}");
    }
}

/// The API error inside a camera error.
pub(crate) fn stx(e: stx_camera::Error) -> StxError {
    match e.kind() {
        stx_camera::ErrorKind::Stx(e) => *e,
        other => panic!("expected an API error, got {other}"),
    }
}
