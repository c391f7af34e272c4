//! FilterWheel 0 (IFilterWheelV3) onto the STX's wheel: Alpaca positions 0 to 7 are the
//! STX's slots 1 to 8; the STX's open slot 0 and a wheel in motion read as −1. The
//! names are the camera's; the focus offsets are stxd's ([`AlpacaStore`]).

use std::sync::Arc;

use serde_json::json;
use stx_camera::Camera;
use stx_protocol::{FilterSlot, FilterWheelState, FilterWheelStatus};

use super::device::{Connection, Device, Failure, Outcome, StateItem, driver, model, refused};
use super::params::{Params, Verb};
use super::reply::AlpacaError;
use super::store::{AlpacaStore, WHEEL_POSITIONS};

/// The Alpaca filter wheel.
#[derive(Debug)]
pub(crate) struct FilterWheelDevice {
    camera: Arc<dyn Camera>,
    store: Arc<AlpacaStore>,
    connection: Connection,
}

/// A filter wheel member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Member {
    /// `GET position`.
    Position,
    /// `PUT position`.
    Move,
    /// `GET names`.
    Names,
    /// `GET focusoffsets`.
    FocusOffsets,
}

impl FilterWheelDevice {
    /// The wheel of `camera`, its focus offsets in `store`.
    pub(crate) fn new(camera: Arc<dyn Camera>, store: Arc<AlpacaStore>) -> FilterWheelDevice {
        FilterWheelDevice { camera, store, connection: Connection::default() }
    }

    fn status(&self) -> Result<FilterWheelStatus, AlpacaError> {
        let status = self.camera.filter_wheel().map_err(driver)?;
        if status.state == FilterWheelState::Error {
            return Err(AlpacaError::Driver("The filter wheel failed or is absent".to_owned()));
        }
        Ok(status)
    }

    /// `Position`: −1 while moving and on the open slot.
    fn position(&self) -> Result<i64, AlpacaError> {
        let status = self.status()?;
        let moving = status.state == FilterWheelState::Moving;
        Ok(match status.current.filter_index() {
            Some(i) if !moving => i as i64,
            _ => -1,
        })
    }
}

impl Device for FilterWheelDevice {
    type Member = Member;

    fn name(&self) -> String {
        "STX filter wheel".to_owned()
    }

    fn description(&self) -> String {
        let model = model(self.camera.as_ref());
        format!("The filter wheel of the {model}, through stxd")
    }

    fn interface_version(&self) -> u32 {
        3
    }

    fn connection(&self) -> &Connection {
        &self.connection
    }

    fn on_connect(&self) -> Result<(), AlpacaError> {
        self.status().map(drop)
    }

    fn member(verb: Verb, method: &str) -> Option<Member> {
        match (verb, method) {
            (Verb::Get, "position") => Some(Member::Position),
            (Verb::Put, "position") => Some(Member::Move),
            (Verb::Get, "names") => Some(Member::Names),
            (Verb::Get, "focusoffsets") => Some(Member::FocusOffsets),
            _ => None,
        }
    }

    fn run(&self, member: Member, params: &Params) -> Result<Outcome, Failure> {
        Ok(match member {
            Member::Position => Outcome::Value(json!(self.position()?)),
            Member::Move => {
                let position = params.int("Position")?;
                let slot = usize::try_from(position)
                    .ok()
                    .filter(|p| *p < WHEEL_POSITIONS)
                    .and_then(|p| FilterSlot::new(p as i64 + 1))
                    .ok_or_else(|| {
                        AlpacaError::InvalidValue(format!(
                            "Position {position} is not within 0 to {}",
                            WHEEL_POSITIONS - 1
                        ))
                    })?;
                self.camera.change_filter(slot).map_err(|e| refused(e, AlpacaError::InvalidOperation))?;
                Outcome::Done
            }
            Member::Names => {
                let status = self.status()?;
                // A slot the camera has no name for still needs one for the client's list.
                let names: Vec<String> = status
                    .names
                    .iter()
                    .enumerate()
                    .map(
                        |(i, n)| {
                            if n.as_str().is_empty() { format!("Filter {}", i + 1) } else { n.to_string() }
                        },
                    )
                    .collect();
                Outcome::Value(json!(names))
            }
            Member::FocusOffsets => Outcome::Value(json!(self.store.focus_offsets())),
        })
    }

    fn state(&self) -> Vec<StateItem> {
        self.position().map(|p| StateItem { name: "Position", value: json!(p) }).into_iter().collect()
    }
}
