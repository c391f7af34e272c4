//! Proxy mode (`--camera URL`): a real STX camera behind stxd. Every STX call, and
//! every request for the camera's own web pages, is forwarded through one paced client, so however hard local clients poll, the camera
//! sees at most one command per 50 ms; its replies and errors pass through unchanged.
//!
//! An exposure started or aborted through the camera's own `exposure.html` is noted
//! like one through the API (a start only once the camera reports it exposing: the page
//! answers 200 either way), so its frame is recorded and a kept `Imager.FIT` forgotten.
//!
//! Two calls are served here instead:
//! - `ImagerData.bin`: from the frame the pipeline already downloaded (each finished
//!   imager frame is fetched from the camera once);
//! - `Imager.FIT`: fetched from the camera on first request (its header carries the FITS
//!   settings as they are then) and kept until the next exposure or FITS settings change.

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use stx_camera::Camera;
use stx_client::{Answer, RemoteCamera};
use stx_protocol::Ccd;
use stx_protocol::command::Command;
use stx_protocol::page::PageRequest;
use stx_protocol::reply::{ContentType, Reply, Status};
use stx_protocol::request::RawRequest;

use crate::pages::ExposureAsk;

/// The camera behind the proxy, and what the proxy keeps of it.
#[derive(Debug)]
pub struct Proxy {
    remote: Arc<RemoteCamera>,
    /// The imager's `.FIT` download, for the frame and FITS settings it was made with.
    fits: Mutex<Option<Bytes>>,
}

impl Proxy {
    /// A proxy in front of `remote`.
    pub fn new(remote: Arc<RemoteCamera>) -> Proxy {
        Proxy { remote, fits: Mutex::new(None) }
    }

    /// The camera, as the pipeline sees it.
    pub fn camera(&self) -> Arc<dyn Camera> {
        self.remote.clone()
    }

    /// Answers one STX request target. Blocking (it waits its turn at the camera).
    pub fn answer(&self, target: &str) -> Reply {
        let command = RawRequest::parse(target).ok().and_then(|raw| Command::parse(&raw).ok());
        match &command {
            Some(Command::DataBin(Ccd::Imager)) => return self.imager_bin(),
            Some(Command::DataFits(Ccd::Imager)) => {
                if let Some(bytes) = self.fits.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                    return Reply::binary(bytes);
                }
            }
            _ => {}
        }
        let answer = match self.remote.client().forward(target) {
            Ok(answer) => answer,
            Err(e) => return Reply::malformed(&format!("Camera unreachable: {e}")),
        };
        let ok = answer.status == 200;
        let reply = passed_through(answer);
        match command {
            Some(Command::StartExposure { ccd, request }) if ok => {
                self.remote.note_started(ccd, request);
                if ccd == Ccd::Imager {
                    self.forget_fits();
                }
            }
            Some(Command::AbortExposure(ccd)) if ok => self.remote.note_aborted(ccd),
            Some(Command::SetFitsSettings(_)) if ok => self.forget_fits(),
            Some(Command::DataFits(Ccd::Imager)) if ok && !reply.body.is_empty() => {
                *self.fits.lock().unwrap_or_else(|e| e.into_inner()) = Some(reply.body.clone());
            }
            _ => {}
        }
        let page = PageRequest::parse(target).and_then(Result::ok);
        match page.as_ref().and_then(crate::pages::exposure_ask) {
            // The page answers 200 whether or not it started one: ask the camera.
            Some(ExposureAsk::Start(request))
                if ok && self.remote.state(Ccd::Imager).is_ok_and(|s| s.is_busy()) =>
            {
                self.remote.note_started(Ccd::Imager, request);
                self.forget_fits();
            }
            Some(ExposureAsk::Abort) if ok => self.remote.note_aborted(Ccd::Imager),
            _ => {}
        }
        reply
    }

    fn imager_bin(&self) -> Reply {
        match self.remote.frame(Ccd::Imager) {
            Ok(Some(frame)) => Reply::binary(frame.le_bytes()),
            Ok(None) => Reply::binary(Vec::new()),
            Err(e) => Reply::malformed(&format!("Camera unreachable: {e}")),
        }
    }

    fn forget_fits(&self) {
        *self.fits.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The camera's answer as our reply: same status, content type and body bytes.
fn passed_through(answer: Answer) -> Reply {
    let status = match answer.status {
        200 => Status::Ok,
        404 => Status::NotFound,
        _ => Status::BadRequest,
    };
    let content_type =
        answer.content_type.as_deref().and_then(ContentType::from_header).unwrap_or(ContentType::Text);
    Reply { status, content_type, body: answer.body.into() }
}
