//! `/exposure.html`, form `Exposure`: a GET with fields starts an imager exposure (as
//! `ImagerStartExposure` would), `?Abort` aborts it. Fields left out take the values
//! last used from this page, which the page remembers (the API has no such memory).

use std::time::SystemTime;

use stx_camera::Camera;
use stx_protocol::page::Page;
use stx_protocol::reply::real;
use stx_protocol::request::RawParam;
use stx_protocol::{Ccd, CcdState, ExposureDuration, ExposureRequest, FrameType, ObsDateTime};

use super::form::{self, Contrast, ExposureFields, ExposureForm};
use super::html::{Html, a};
use super::layout::{self, Entry, Notice};

/// The exposure form's values last used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Remembered {
    duration: ExposureDuration,
    image_type: FrameType,
    contrast: Contrast,
}

impl Default for Remembered {
    fn default() -> Remembered {
        Remembered {
            duration: ExposureDuration::from_secs(1.0).expect("1 s is a duration"),
            image_type: FrameType::Light,
            contrast: Contrast::Auto,
        }
    }
}

/// Answers `/exposure.html` with `params`.
pub(super) fn answer(camera: &dyn Camera, remembered: &mut Remembered, params: &[RawParam]) -> String {
    let notice = match form::exposure(params) {
        Ok(ExposureForm::Show) => Notice::Nothing,
        Ok(ExposureForm::Abort) => match camera.abort_exposure(Ccd::Imager) {
            Ok(()) => Notice::Done("Exposure aborted.".to_owned()),
            Err(e) => e.into(),
        },
        Ok(ExposureForm::Start(fields)) => start(camera, remembered, &fields),
        Err(errors) => errors.into(),
    };
    render(camera, remembered, &notice)
}

/// The start `fields` ask for, those left out as `remembered`; and what to remember
/// once it started.
pub(super) fn request(fields: &ExposureFields, remembered: &Remembered) -> (ExposureRequest, Remembered) {
    let wanted = Remembered {
        duration: fields.duration.unwrap_or(remembered.duration),
        image_type: fields.image_type.unwrap_or(remembered.image_type),
        contrast: fields.contrast.unwrap_or(remembered.contrast),
    };
    let date_time = fields.date_time.flatten().or_else(now);
    (ExposureRequest { duration: wanted.duration, frame_type: wanted.image_type, date_time }, wanted)
}

fn start(camera: &dyn Camera, remembered: &mut Remembered, fields: &ExposureFields) -> Notice {
    let (request, wanted) = request(fields, remembered);
    match camera.start_exposure(Ccd::Imager, &request) {
        Ok(()) => {
            *remembered = wanted;
            let kind = type_text(wanted.image_type).to_lowercase();
            Notice::Done(format!("Exposure started: {} s, {kind}.", real(wanted.duration.secs())))
        }
        Err(e) => e.into(),
    }
}

/// The server's clock (UTC), for a start whose `DateTime` is empty.
fn now() -> Option<ObsDateTime> {
    ObsDateTime::parse(&chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
}

fn type_text(t: FrameType) -> &'static str {
    match t {
        FrameType::Dark => "Dark",
        FrameType::Light => "Light",
        FrameType::Bias => "Bias",
        FrameType::Flat => "Flat",
    }
}

fn render(camera: &dyn Camera, r: &Remembered, notice: &Notice) -> String {
    let model = super::model(camera);
    let state = camera.state(Ccd::Imager);
    let ready = camera.image_ready(Ccd::Imager).unwrap_or(false);
    let ends = camera.exposure_end(Ccd::Imager).ok().flatten();
    layout::page(Page::Exposure, "Exposure", &model, notice, None, |h: &mut Html| {
        layout::section(h, "Imager", |h| {
            let state_text = match &state {
                Ok(s) => super::index::state_text(*s).to_owned(),
                Err(e) => e.to_string(),
            };
            let mut rows = vec![("State", state_text)];
            if let Some(ends) = ends {
                let left = ends.duration_since(SystemTime::now()).unwrap_or_default().as_secs_f64();
                rows.push(("Time left", format!("{} s", real(left))));
            }
            rows.push(("Image ready", if ready { "Yes" } else { "No" }.to_owned()));
            layout::values(h, &rows);
            if matches!(state, Ok(CcdState::Exposing)) {
                h.el_text("a", &[a("class", "button stop"), a("href", "/exposure.html?Abort")], "Abort");
            }
            if ready {
                h.el("p", &[], |h| {
                    h.el_text("a", &[a("href", Page::ImageFit.path())], "Download Image.FIT");
                    h.text(" · ");
                    h.el_text("a", &[a("href", Page::PreviewJpg.path())], "View Preview.jpg");
                });
            }
        });
        layout::section(h, "Start an exposure", |h| {
            h.el("form", &[a("name", "Exposure"), a("action", Page::Exposure.path())], |h| {
                h.el("table", &[], |h| {
                    layout::row(h, "Exposure time (s)", |h| {
                        layout::text_input(h, "ExposureTime", &real(r.duration.secs()), Entry::Number);
                    });
                    layout::row(h, "Image type", |h| {
                        let choices = [("0", "Dark"), ("1", "Light"), ("2", "Bias"), ("3", "Flat")];
                        layout::radios(h, "ImageType", &choices, &r.image_type.code().to_string());
                    });
                    layout::row(h, "Contrast", |h| {
                        let checked = if r.contrast == Contrast::Auto { "0" } else { "1" };
                        layout::radios(h, "Contrast", &[("0", "Auto"), ("1", "Manual")], checked);
                    });
                    layout::row(h, "Date and time (UTC)", |h| {
                        let now = now().map(ObsDateTime::to_fits).unwrap_or_default();
                        layout::text_input(h, "DateTime", &now, Entry::Long);
                    });
                });
                layout::submit(h, "Start exposure");
            });
            layout::hint(
                h,
                "The date and time go into the FITS header (DATE-OBS); empty means the camera's clock.",
            );
        });
    })
}
