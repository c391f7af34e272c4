//! The setup pages Alpaca clients open in a browser: `/setup` lists the devices, each
//! device's page says what it is, and the filter wheel's sets its focus offsets (the
//! one setting stxd keeps for a device; the camera's own settings are the camera's).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use super::params::{Params, Verb};
use super::reply::bad_request;
use super::store::WHEEL_POSITIONS;
use super::{AlpacaState, DeviceKind};

/// Text made safe to put between HTML tags or in an attribute.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title></head>\
         <body><h1>{0}</h1>\n{body}\n</body></html>\n",
        escape(title)
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// `GET /setup`: the server and its devices.
pub(crate) async fn index(State(state): State<AlpacaState>) -> Response {
    let items: String = state
        .devices()
        .map(|(kind, number, name)| {
            let path = format!("/setup/v1/{}/{number}/setup", kind.path_name());
            format!("<li><a href=\"{path}\">{} {number}: {}</a></li>\n", kind.type_name(), escape(&name))
        })
        .collect();
    page(
        "stxd: ASCOM Alpaca devices",
        &format!(
            "<p>The STX camera served by stxd {}. Its settings are the camera's own; \
             the history of every frame is on stxd's v2 API.</p>\n<ul>\n{items}</ul>",
            env!("CARGO_PKG_VERSION")
        ),
    )
}

/// `GET /setup/v1/{type}/{n}/setup`: one device's page.
pub(crate) async fn device(
    State(state): State<AlpacaState>,
    Path((kind, number)): Path<(String, String)>,
) -> Response {
    let Some((kind, number, name)) = state.find(&kind, &number) else { return bad_request("No such device") };
    let body = match kind {
        DeviceKind::Camera => {
            "<p>Nothing to set up here: binning, subframe and cooler are set by the client \
                               through Alpaca, each camera keeping its own until it exposes.</p>"
                .to_owned()
        }
        DeviceKind::FilterWheel => offsets_form(&state.store.focus_offsets(), ""),
    };
    page(&format!("{} {number}: {name}", kind.type_name()), &body)
}

/// The focus offsets form, with `note` above it.
fn offsets_form(offsets: &[i32], note: &str) -> String {
    let fields: String = offsets
        .iter()
        .enumerate()
        .map(|(i, v)| format!("<label>Position {i} <input name=\"Offset{i}\" value=\"{v}\"></label><br>\n"))
        .collect();
    format!(
        "<p>{note}</p><p>Focus offsets in focuser steps, by wheel position (stxd keeps them; \
         the STX has no place for them).</p>\n<form method=\"post\">\n{fields}<button>Save</button></form>"
    )
}

/// `POST /setup/v1/filterwheel/0/setup`: saves the focus offsets of the form.
pub(crate) async fn save(
    State(state): State<AlpacaState>,
    Path((kind, number)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some((DeviceKind::FilterWheel, ..)) = state.find(&kind, &number) else {
        return bad_request("Only the filter wheel has settings to save");
    };
    let form = match Params::parse(Verb::Put, &String::from_utf8_lossy(&body)) {
        Ok(form) => form,
        Err(e) => return bad_request(&e.to_string()),
    };
    const NAMES: [&str; WHEEL_POSITIONS] =
        ["Offset0", "Offset1", "Offset2", "Offset3", "Offset4", "Offset5", "Offset6", "Offset7"];
    let mut offsets = [0; WHEEL_POSITIONS];
    for (offset, name) in offsets.iter_mut().zip(NAMES) {
        match form.int(name).ok().and_then(|v| i32::try_from(v).ok()) {
            Some(v) => *offset = v,
            None => return bad_request(&format!("{name} must be a whole number of focuser steps")),
        }
    }
    let note = match tokio::task::spawn_blocking({
        let store = state.store.clone();
        move || store.set_focus_offsets(offsets)
    })
    .await
    {
        Ok(Ok(())) => "Saved.".to_owned(),
        Ok(Err(e)) => format!("Not saved: {}", escape(&e.to_string())),
        Err(e) => format!("Not saved: {}", escape(&e.to_string())),
    };
    page("FilterWheel 0: focus offsets", &offsets_form(&state.store.focus_offsets(), &note))
}
