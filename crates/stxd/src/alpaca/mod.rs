//! The ASCOM Alpaca face on `--alpaca-listen`: Cameras 0, 1 and 2 (the STX's imager,
//! internal guide CCD and external guider) and FilterWheel 0, onto the same [`Camera`]
//! the STX front and the pipeline use, so every frame an Alpaca client takes is kept in
//! the history like any other. The facts it follows are `docs/alpaca.md`'s.
//!
//! One request: [`params`] reads the query or form (case rules), [`device`] finds the
//! member and runs it on the blocking pool ([`camera`], [`filter_wheel`]), [`reply`]
//! writes the envelope, [`image`] the image forms. [`management`] and [`setup`] answer
//! the rest, [`discovery`] the UDP discovery requests; [`store`] keeps the UniqueIDs and focus offsets.
//!
//! [`Camera`]: stx_camera::Camera

mod camera;
mod device;
mod discovery;
mod filter_wheel;
mod image;
mod management;
mod params;
mod reply;
mod setup;
mod store;

use std::path::Path as FsPath;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use stx_protocol::Ccd;
use tokio::net::TcpListener;
use tokio::sync::watch;

use camera::CameraDevice;
use device::{Device, Failure, Outcome};
use filter_wheel::FilterWheelDevice;
use params::{Params, Verb};
use reply::{Transactions, bad_request};
use store::AlpacaStore;

pub(crate) use discovery::Discovery;

/// The kinds of device served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceKind {
    /// ICameraV4.
    Camera,
    /// IFilterWheelV3.
    FilterWheel,
}

impl DeviceKind {
    /// The type as the management API names it.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            DeviceKind::Camera => "Camera",
            DeviceKind::FilterWheel => "FilterWheel",
        }
    }

    /// The type as device paths name it (lower case).
    pub(crate) fn path_name(self) -> &'static str {
        match self {
            DeviceKind::Camera => "camera",
            DeviceKind::FilterWheel => "filterwheel",
        }
    }

    /// The device's key in the store (`Camera/0`).
    pub(crate) fn key(kind: DeviceKind, number: usize) -> String {
        format!("{}/{number}", kind.type_name())
    }
}

/// What the Alpaca handlers share.
#[derive(Clone, Debug)]
pub(crate) struct AlpacaState {
    /// Cameras 0, 1, 2: the CCDs in [`Ccd::ALL`] order.
    cameras: Arc<[Arc<CameraDevice>]>,
    wheel: Arc<FilterWheelDevice>,
    store: Arc<AlpacaStore>,
    transactions: Arc<Transactions>,
}

impl AlpacaState {
    /// The devices onto `camera`, their persisted state in `data_dir` (UniqueIDs made
    /// now for devices that have none).
    pub(crate) fn new(
        camera: Arc<dyn stx_camera::Camera>,
        data_dir: &FsPath,
    ) -> std::io::Result<AlpacaState> {
        let cameras: Arc<[Arc<CameraDevice>]> =
            Ccd::ALL.iter().map(|ccd| Arc::new(CameraDevice::new(*ccd, camera.clone()))).collect();
        let mut keys: Vec<String> =
            (0..cameras.len()).map(|n| DeviceKind::key(DeviceKind::Camera, n)).collect();
        keys.push(DeviceKind::key(DeviceKind::FilterWheel, 0));
        let store = Arc::new(AlpacaStore::open(data_dir, &keys)?);
        let wheel = Arc::new(FilterWheelDevice::new(camera, store.clone()));
        Ok(AlpacaState { cameras, wheel, store, transactions: Arc::default() })
    }

    /// Every device: kind, number, name.
    fn devices(&self) -> impl Iterator<Item = (DeviceKind, usize, String)> + '_ {
        let cameras = self.cameras.iter().enumerate().map(|(n, c)| (DeviceKind::Camera, n, c.name()));
        cameras.chain(std::iter::once((DeviceKind::FilterWheel, 0, self.wheel.name())))
    }

    /// The device a path names by type and number (lower case, a plain number).
    fn find(&self, kind: &str, number: &str) -> Option<(DeviceKind, usize, String)> {
        self.devices().find(|(k, n, _)| k.path_name() == kind && n.to_string() == number)
    }
}

/// The Alpaca routes.
pub(crate) fn router(state: AlpacaState) -> Router {
    Router::new()
        .route("/api/v1/{device_type}/{device_number}/{method}", get(device_get).put(device_put))
        .route("/management/apiversions", get(management::api_versions))
        .route("/management/v1/description", get(management::description))
        .route("/management/v1/configureddevices", get(management::configured_devices))
        .route("/setup", get(setup::index))
        .route("/setup/v1/{device_type}/{device_number}/setup", get(setup::device).post(setup::save))
        .fallback(|| async {
            bad_request("No such Alpaca path (paths are lower case: /api/v1/camera/0/binx)")
        })
        .method_not_allowed_fallback(|| async { bad_request("Alpaca device calls are GET or PUT") })
        .with_state(state)
}

async fn device_get(
    State(state): State<AlpacaState>,
    Path(path): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let accept = request.headers().get(header::ACCEPT).cloned();
    device_call(state, Verb::Get, path, &query.unwrap_or_default(), accept).await
}

async fn device_put(
    State(state): State<AlpacaState>,
    Path(path): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    device_call(state, Verb::Put, path, &String::from_utf8_lossy(&body), None).await
}

/// One device call: find the device and member, run it, answer.
async fn device_call(
    state: AlpacaState,
    verb: Verb,
    (kind, number, method): (String, String, String),
    parameters: &str,
    accept: Option<axum::http::HeaderValue>,
) -> Response {
    let params = match Params::parse(verb, parameters) {
        Ok(params) => params,
        Err(e) => return bad_request(&e.to_string()),
    };
    let Some((kind, number, _)) = state.find(&kind, &number) else {
        return bad_request(&format!(
            "No device {kind}/{number} (types are camera and filterwheel, lower case)"
        ));
    };
    let ids = state.transactions.next(params.client_transaction_id());
    let outcome = match kind {
        DeviceKind::Camera => run(state.cameras[number].clone(), verb, &method, params).await,
        DeviceKind::FilterWheel => run(state.wheel.clone(), verb, &method, params).await,
    };
    match outcome {
        Ok(Outcome::Value(value)) => reply::value(value, ids),
        Ok(Outcome::Done) => reply::done(ids),
        Ok(Outcome::Image(frame)) if image::wants_image_bytes(accept.as_ref()) => {
            image::image_bytes(frame, ids)
        }
        Ok(Outcome::Image(frame)) => image::image_json(frame, ids),
        Err(Failure::Param(e)) => bad_request(&e.to_string()),
        Err(Failure::Device(e)) => reply::error(&e, ids),
    }
}

/// Runs `method` on `device` on the blocking pool (camera calls may wait on a real
/// camera or render a frame).
async fn run<D>(device: Arc<D>, verb: Verb, method: &str, params: Params) -> Result<Outcome, Failure>
where
    D: Device + Send + Sync + 'static,
    D::Member: Send,
{
    let Some(call) = device::parse_call::<D>(verb, method) else {
        return Err(Failure::Param(params::ParamError::UnknownMember(method.to_owned())));
    };
    tokio::task::spawn_blocking(move || device::answer(device.as_ref(), call, &params)).await.unwrap_or_else(
        |e| {
            tracing::error!("alpaca call panicked: {e}");
            Err(Failure::Device(reply::AlpacaError::Driver("Internal error".to_owned())))
        },
    )
}

/// Serves Alpaca on `listener` until `shutdown` turns true, then lets the requests under
/// way finish (for a bounded time), with the same connection limits and `Host` check
/// as the other ports.
pub(crate) async fn serve(
    listener: TcpListener,
    state: AlpacaState,
    limits: crate::connections::Limits,
    hosts: Arc<crate::host_check::AllowedHosts>,
    shutdown: watch::Receiver<bool>,
) {
    let router = crate::host_check::guard(router(state), hosts, || {
        (
            StatusCode::FORBIDDEN,
            "Host not allowed: start stxd with --allowed-host NAME to reach it by that name",
        )
            .into_response()
    });
    /// A request hyper would not read gets a 400 with its reason, as Alpaca's are.
    fn error_reply(error: crate::hyper_errors::HyperError) -> Bytes {
        let text = error.reason();
        Bytes::from(format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
            text.len()
        ))
    }
    crate::connections::serve_router("Alpaca", listener, router, limits, shutdown, error_reply).await;
}
