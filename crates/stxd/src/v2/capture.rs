//! `GET /v2/api/equipment/camera/capture?duration=S[&save=true]`: takes a SNAPSHOT with
//! the imager. The frame goes through the pipeline like any other and is recorded as
//! SNAPSHOT (kept whether or not `save` is given: keeping every frame is the history's
//! job).

use axum::extract::{RawQuery, State};
use axum::response::Response;
use stx_protocol::{Ccd, ExposureDuration, ExposureRequest, FrameType};

use super::V2State;
use super::envelope::{self, ApiError};

pub(crate) async fn capture(
    State(state): State<V2State>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = super::params(query);
    let find = |name: &str| params.iter().rev().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| &p.value);
    let bad_duration = || {
        ApiError::BadParameter(format!(
            "Invalid duration: expected seconds from {} to {}",
            ExposureDuration::MIN_SECONDS,
            ExposureDuration::MAX_SECONDS
        ))
    };
    let duration = find("duration")
        .ok_or_else(bad_duration)?
        .text()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .and_then(ExposureDuration::from_secs)
        .ok_or_else(bad_duration)?;
    if let Some(save) = find("save") {
        let ok = save
            .text()
            .is_some_and(|t| ["true", "false", "1", "0"].iter().any(|v| t.eq_ignore_ascii_case(v)));
        if !ok {
            return Err(ApiError::BadParameter("Invalid save: expected true or false".to_owned()));
        }
    }
    let request = ExposureRequest { duration, frame_type: FrameType::Light, date_time: None };
    let started = tokio::task::spawn_blocking(move || {
        let camera = state.camera.clone();
        state.pipeline.start_snapshot(|| camera.start_exposure(Ccd::Imager, &request))
    })
    .await
    .map_err(|_| ApiError::Internal)?;
    match started {
        Ok(()) => Ok(envelope::ok("Capture started")),
        Err(e) => Err(ApiError::BadParameter(format!("Camera refused the exposure: {e}"))),
    }
}
