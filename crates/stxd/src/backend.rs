//! What stands behind the STX front: the simulated camera (with its fault controls) or
//! a real camera through the proxy.

use std::sync::Arc;
use std::time::Duration;

use stx_camera::Camera;
use stx_protocol::page::PageRequest;
use stx_protocol::reply::Reply;
use stx_sim::sim::{Faults, SimCamera};

use crate::front::FitsDownloads;
use crate::pages::Pages;
use crate::proxy::Proxy;

/// The camera the server fronts.
#[derive(Debug)]
pub struct Backend {
    /// The camera, as the pipeline and the v2 API use it.
    pub camera: Arc<dyn Camera>,
    kind: Kind,
    /// The simulated camera's `.FIT` downloads, shared between clients.
    fits_downloads: FitsDownloads,
    /// The simulated camera's web pages.
    pages: Pages,
}

#[derive(Debug)]
enum Kind {
    Simulated(Arc<SimCamera>),
    Proxied(Proxy),
}

impl Backend {
    /// The simulated camera.
    pub fn simulated(sim: Arc<SimCamera>) -> Backend {
        Backend {
            camera: sim.clone(),
            kind: Kind::Simulated(sim),
            fits_downloads: FitsDownloads::default(),
            pages: Pages::default(),
        }
    }

    /// A real camera behind the proxy.
    pub fn proxied(proxy: Proxy) -> Backend {
        Backend {
            camera: proxy.camera(),
            kind: Kind::Proxied(proxy),
            fits_downloads: FitsDownloads::default(),
            pages: Pages::default(),
        }
    }

    /// How often the pipeline asks an idle camera for finished frames. The simulated
    /// camera costs nothing to ask (and its state advances on each ask): every 100 ms.
    /// A real camera answers about 20 commands a second in all: every 500 ms, so a
    /// frame is noticed within half a second and the budget stays for the clients.
    pub fn drain_interval(&self) -> Duration {
        match &self.kind {
            Kind::Simulated(_) => Duration::from_millis(100),
            Kind::Proxied(_) => Duration::from_millis(500),
        }
    }

    /// Answers one request target of the STX port: the API or a web page. Blocking.
    /// A real camera answers both itself (through the proxy, paced like the API).
    pub fn answer(&self, target: &str) -> Reply {
        match &self.kind {
            Kind::Simulated(sim) => match PageRequest::parse(target) {
                Some(Ok(request)) => self.pages.answer(sim.as_ref(), &self.fits_downloads, &request),
                Some(Err(e)) => Reply::malformed(&e.to_string()),
                None => crate::front::answer_target(sim.as_ref(), &self.fits_downloads, target),
            },
            Kind::Proxied(proxy) => proxy.answer(target),
        }
    }

    /// The simulated camera's fault controls, if the camera is simulated.
    pub fn faults(&self) -> Option<Faults> {
        match &self.kind {
            Kind::Simulated(sim) => Some(sim.faults()),
            Kind::Proxied(_) => None,
        }
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
