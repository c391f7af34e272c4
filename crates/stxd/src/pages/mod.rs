//! The camera's own web pages, on the STX port beside `/api/`, for the simulated
//! camera (a real camera's pages pass through the proxy unchanged). What clients rely
//! on is in `docs/stx-web-pages.md`; the page names and the glued query are read by
//! [`stx_protocol::page`].
//!
//! Each page works through the [`Camera`] trait, the same camera state the API sees: a
//! setting made on a page reads back through `/api/` and the other way. A form is read
//! whole ([`form`]) before anything is applied; a form that cannot be applied is
//! answered with the page, the reasons shown and nothing changed (HTTP 200, like the
//! camera's own UI). The HTML is written by [`html`], which cannot leave a tag open.

mod exposure;
mod filters;
mod form;
mod html;
mod index;
mod layout;
mod network;
mod preview_jpg;
mod setup;

use std::sync::Mutex;

use stx_camera::Camera;
use stx_protocol::command::Command;
use stx_protocol::page::{Page, PageRequest};
use stx_protocol::reply::{ContentType, Reply};
use stx_protocol::{Ccd, ExposureRequest};

use crate::front::FitsDownloads;
use layout::Notice;

/// What the pages keep that the camera does not: the values last used in the exposure
/// and network forms, and the last preview made.
#[derive(Debug, Default)]
pub struct Pages {
    memory: Mutex<Memory>,
    previews: preview_jpg::PreviewCache,
}

#[derive(Debug, Default)]
struct Memory {
    exposure: exposure::Remembered,
    network: network::Remembered,
}

impl Pages {
    /// Answers a request for a page of the simulated camera. Blocking (camera calls,
    /// a preview to make).
    pub fn answer(&self, camera: &dyn Camera, downloads: &FitsDownloads, request: &PageRequest) -> Reply {
        let params = &request.query.params;
        let html = match request.page {
            Page::Index => index::render(camera),
            Page::Setup => setup::answer(camera, params),
            Page::Exposure => exposure::answer(camera, &mut self.memory().exposure, params),
            Page::FilterSetup => filters::answer(camera, params),
            Page::Network => network::answer(camera, &mut self.memory().network, params),
            // The very path of the API's download: the same bytes, encoded once.
            Page::ImageFit => {
                return crate::front::answer(camera, downloads, &Command::DataFits(Ccd::Imager));
            }
            Page::PreviewJpg => return self.previews.answer(camera),
        };
        Reply::typed(ContentType::Html, html)
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a request for a real camera's `exposure.html` asks of its imager.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ExposureAsk {
    /// A start with these fields (those left out as this page's defaults).
    Start(ExposureRequest),
    /// `?Abort`.
    Abort,
}

/// What `request` asks of the imager if it is a start or abort on `exposure.html`, read
/// as our own page reads it: the proxy keeps its account of the camera's exposures
/// with it.
pub(crate) fn exposure_ask(request: &PageRequest) -> Option<ExposureAsk> {
    if request.page != Page::Exposure {
        return None;
    }
    match form::exposure(&request.query.params).ok()? {
        form::ExposureForm::Show => None,
        form::ExposureForm::Abort => Some(ExposureAsk::Abort),
        form::ExposureForm::Start(fields) => {
            Some(ExposureAsk::Start(exposure::request(&fields, &Default::default()).0))
        }
    }
}

/// The camera's model for the pages' header; its error text if it cannot be read.
fn model(camera: &dyn Camera) -> String {
    camera.description().unwrap_or_else(|e| e.to_string())
}

/// A page whose camera values cannot be read: the frame, and why.
fn unavailable(here: Page, title: &str, model: &str, error: stx_camera::Error) -> String {
    layout::page(here, title, model, &Notice::from(error), None, |_| {})
}
