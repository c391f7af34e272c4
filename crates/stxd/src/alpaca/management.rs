//! The management API: which API versions the server speaks, what it is, and which
//! devices it has, each with its UniqueID.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::Serialize;

use super::params::{Params, Verb};
use super::reply::{self, bad_request};
use super::{AlpacaState, DeviceKind};

/// `/management/v1/description`.
#[derive(Serialize)]
struct Description {
    #[serde(rename = "ServerName")]
    server_name: &'static str,
    #[serde(rename = "Manufacturer")]
    manufacturer: &'static str,
    #[serde(rename = "ManufacturerVersion")]
    manufacturer_version: &'static str,
    #[serde(rename = "Location")]
    location: &'static str,
}

/// One entry of `/management/v1/configureddevices`.
#[derive(Serialize)]
struct ConfiguredDevice {
    #[serde(rename = "DeviceName")]
    name: String,
    #[serde(rename = "DeviceType")]
    kind: &'static str,
    #[serde(rename = "DeviceNumber")]
    number: usize,
    #[serde(rename = "UniqueID")]
    unique_id: String,
}

/// Answers a management GET with `value` in the envelope, echoing the client's id.
fn answer<T: Serialize>(state: &AlpacaState, query: Option<String>, value: T) -> Response {
    match Params::parse(Verb::Get, &query.unwrap_or_default()) {
        Ok(params) => reply::value(value, state.transactions.next(params.client_transaction_id())),
        Err(e) => bad_request(&e.to_string()),
    }
}

/// `GET /management/apiversions`: `[1]`.
pub(crate) async fn api_versions(State(state): State<AlpacaState>, RawQuery(query): RawQuery) -> Response {
    answer(&state, query, [1])
}

/// `GET /management/v1/description`.
pub(crate) async fn description(State(state): State<AlpacaState>, RawQuery(query): RawQuery) -> Response {
    let description = Description {
        server_name: "stxd",
        manufacturer: "stxd (SBIG STX camera server)",
        manufacturer_version: env!("CARGO_PKG_VERSION"),
        location: "",
    };
    answer(&state, query, description)
}

/// `GET /management/v1/configureddevices`.
pub(crate) async fn configured_devices(
    State(state): State<AlpacaState>,
    RawQuery(query): RawQuery,
) -> Response {
    let devices: Vec<ConfiguredDevice> = state
        .devices()
        .map(|(kind, number, name)| ConfiguredDevice {
            name,
            kind: kind.type_name(),
            number,
            unique_id: state.store.unique_id(&DeviceKind::key(kind, number)),
        })
        .collect();
    answer(&state, query, devices)
}
