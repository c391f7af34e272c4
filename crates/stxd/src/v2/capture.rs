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
use crate::pipeline::StorageFailing;

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
        state
            .pipeline
            .start_snapshot(|| camera.start_exposure(Ccd::Imager, &request).map_err(Refusal::Camera))
            .map_err(ApiError::from)
    })
    .await?;
    Ok(envelope::ok("Capture started"))
}

/// Why a capture did not start: the pipeline could not keep its frame, or the camera
/// would not start the exposure.
enum Refusal {
    Storage(StorageFailing),
    Camera(stx_camera::Error),
}

impl From<StorageFailing> for Refusal {
    fn from(e: StorageFailing) -> Self {
        Refusal::Storage(e)
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Storage(e) => ApiError::StorageFailing(e.to_string()),
            Refusal::Camera(e) => match e.kind() {
                ErrorKind::Stx(refusal) => {
                    ApiError::CameraRefused(format!("Camera refused the exposure: {refusal}"))
                }
                _ => {
                    tracing::warn!("capture: {e}");
                    ApiError::CameraUnavailable
                }
            },
        }
    }
}
