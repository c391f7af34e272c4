//! `GET /v2/api/equipment/camera/capture?duration=S[&save=true]`: takes a SNAPSHOT with
//! the imager. The frame goes through the pipeline like any other and is recorded as
//! SNAPSHOT (kept whether or not `save` is given: keeping every frame is the history's
//! job).

use axum::extract::{RawQuery, State};
use axum::response::Response;
use stx_camera::ErrorKind;
use stx_protocol::request::RawValue;
use stx_protocol::{Ccd, ExposureDuration, ExposureRequest, FrameType};

use super::envelope::{self, ApiError};
use super::{V2State, blocking, history_query};

pub(crate) async fn capture(
    State(state): State<V2State>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = super::params(query)?;
    let find = |name| stx_protocol::request::last_param(&params, name);
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
        .and_then(stx_protocol::reply::parse_real)
        .and_then(ExposureDuration::from_secs)
        .ok_or_else(bad_duration)?;
    // Read only to be checked. Unlike the other flags, a bare `save` is refused: it must
    // say true or false.
    match find("save") {
        Some(RawValue::Absent) => {
            return Err(ApiError::BadParameter("Invalid save: expected true or false".to_owned()));
        }
        Some(save) => {
            history_query::boolean(save, "save")?;
        }
        None => {}
    }
    let request = ExposureRequest { duration, frame_type: FrameType::Light, date_time: None };
    blocking("capture", move || {
        let camera = state.camera.clone();
        state.pipeline.start_snapshot(|| camera.start_exposure(Ccd::Imager, &request)).map_err(camera_error)
    })
    .await?;
    Ok(envelope::ok("Capture started"))
}

/// A camera that would not start the exposure: its refusal, or that it is not there.
fn camera_error(e: stx_camera::Error) -> ApiError {
    if let ErrorKind::Stx(refusal) = e.kind() {
        return ApiError::CameraRefused(format!("Camera refused the exposure: {refusal}"));
    }
    tracing::warn!("capture: {e}");
    ApiError::CameraUnavailable
}
