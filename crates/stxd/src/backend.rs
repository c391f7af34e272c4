//! What stands behind the STX front: the camera, and for the simulated camera its fault
//! controls.

use std::sync::Arc;
use std::time::Duration;

use stx_camera::Camera;
use stx_camera::sim::{Faults, SimCamera};

/// The camera the server fronts.
pub struct Backend {
    /// The camera every STX call goes to.
    pub camera: Arc<dyn Camera>,
    sim: Option<Arc<SimCamera>>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").field("simulated", &self.sim.is_some()).finish()
    }
}

impl Backend {
    /// The simulated camera.
    pub fn simulated(sim: Arc<SimCamera>) -> Backend {
        Backend { camera: sim.clone(), sim: Some(sim) }
    }

    /// The simulated camera's fault controls, if the camera is simulated.
    pub fn faults(&self) -> Option<Faults> {
        self.sim.as_deref().map(SimCamera::faults)
    }

    /// How long to hold each STX answer (the "slow answers" fault).
    pub(crate) fn answer_delay(&self) -> Option<Duration> {
        self.faults().map(|f| f.answer_delay()).filter(|d| !d.is_zero())
    }

    /// Whether to cut this download short (the "dropped mid-download" fault, one-shot).
    pub(crate) fn take_drop_download(&self) -> bool {
        self.faults().is_some_and(|f| f.take_drop_download())
    }
}
