//! `/` and `/index.html`: the status page. A table of `valuename`/`value` pairs (what
//! clients read: model, firmware, temperatures, …) and the last frame's preview. It
//! reloads itself every few seconds; a query is ignored.

use stx_camera::Camera;
use stx_protocol::page::Page;
use stx_protocol::reply::real;
use stx_protocol::{Ccd, CcdState, FilterWheelState};

use super::html::{Html, a};
use super::layout::{self, Notice};

/// How often the status page reloads itself.
const REFRESH_S: u32 = 5;

/// The status page.
pub(super) fn render(camera: &dyn Camera) -> String {
    let model = super::model(camera);
    let mut rows: Vec<(&str, String)> = vec![("Model", model.clone())];
    let mut refused = Vec::new();
    match camera.versions() {
        Ok(v) => rows.extend([("Firmware", v.firmware), ("HTTP API", v.http_api)]),
        Err(e) => refused.push(e.to_string()),
    }
    let state = camera.state(Ccd::Imager);
    let ready = camera.image_ready(Ccd::Imager).unwrap_or(false);
    match state {
        Ok(s) => rows.push(("Imager", state_text(s).to_owned())),
        Err(ref e) => refused.push(e.to_string()),
    }
    rows.push(("Image ready", if ready { "Yes" } else { "No" }.to_owned()));
    match camera.settings(Ccd::Imager) {
        Ok(s) => {
            if let Some(c) = s.cooler {
                rows.push(("CCD temperature", format!("{} °C", real(c.temperature_c))));
                rows.push(("Setpoint", format!("{} °C", real(c.setpoint_c))));
                rows.push(("Cooler", if c.on { "On" } else { "Off" }.to_owned()));
                rows.push(("Cooler power", format!("{} %", real(c.power_percent))));
            }
            rows.push(("Ambient", format!("{} °C", real(s.ambient_c))));
            if let Some(fan) = s.fan {
                rows.push(("Fan", format!("{} ({} %)", super::setup::fan_text(fan.mode), fan.power_percent)));
            }
            rows.push(("Binning", format!("{}×{}", s.binning.x, s.binning.y)));
            let f = s.frame;
            rows.push(("Frame", format!("{}×{} at {},{}", f.num_x, f.num_y, f.start_x, f.start_y)));
        }
        Err(e) => refused.push(e.to_string()),
    }
    match camera.filter_wheel() {
        Ok(w) => {
            rows.push(("Filter wheel", wheel_text(w.state).to_owned()));
            rows.push(("Filter", super::filters::slot_text(&w, w.current)));
        }
        Err(e) => rows.push(("Filter wheel", e.to_string())),
    }
    let notice = if refused.is_empty() { Notice::Nothing } else { Notice::Refused(refused) };
    layout::page(Page::Index, "Status", &model, &notice, Some(REFRESH_S), |h: &mut Html| {
        h.el("div", &[a("class", "columns")], |h| {
            layout::section(h, "Camera", |h| layout::values(h, &rows));
            layout::section(h, "Last image", |h| {
                if ready {
                    h.el("a", &[a("href", Page::ImageFit.path())], |h| {
                        h.img(&[
                            a("class", "preview"),
                            a("src", Page::PreviewJpg.path()),
                            a("alt", "The last image"),
                        ]);
                    });
                    layout::hint(h, "Tap the image for the FITS file.");
                } else {
                    layout::hint(h, "No image yet: start one on the Exposure page.");
                }
            });
        });
    })
}

/// The imager's state in words.
pub(super) fn state_text(state: CcdState) -> &'static str {
    match state {
        CcdState::Idle => "Idle",
        CcdState::Exposing => "Exposing",
        CcdState::ReadingOut => "Reading out",
        CcdState::Error => "Error",
    }
}

fn wheel_text(state: FilterWheelState) -> &'static str {
    match state {
        FilterWheelState::Idle => "Idle",
        FilterWheelState::Moving => "Moving",
        FilterWheelState::Error => "Error",
    }
}
