//! What every Alpaca device answers, whatever its type: the connection members, its
//! identity, `DeviceState`, and the action and command members (none here). A device
//! type supplies its own members through [`Device`]; [`answer`] runs a call, refusing
//! the device's own members with 0x407 while it is not connected.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::{Value, json};
use stx_camera::{Camera, ErrorKind, Frame};

use super::params::{ParamError, Params, Verb};
use super::reply::AlpacaError;

/// What a device call gives back.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A getter's value.
    Value(Value),
    /// A method that returns nothing.
    Done,
    /// `ImageArray`: the frame, sent as JSON or ImageBytes as the client asks.
    Image(Arc<Frame>),
}

/// Why a call gave no outcome.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The parameters cannot be read: HTTP 400.
    Param(ParamError),
    /// The device refused: an ASCOM error in the envelope.
    Device(AlpacaError),
}

impl From<ParamError> for Failure {
    fn from(e: ParamError) -> Self {
        Failure::Param(e)
    }
}

impl From<AlpacaError> for Failure {
    fn from(e: AlpacaError) -> Self {
        Failure::Device(e)
    }
}

/// Whether a client connected the device. Alpaca devices are connected and
/// disconnected by their clients; stxd's camera itself is always there.
#[derive(Debug, Default)]
pub(crate) struct Connection(AtomicBool);

impl Connection {
    /// Whether connected.
    pub(crate) fn is_connected(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, connected: bool) {
        self.0.store(connected, Ordering::Relaxed);
    }
}

/// One entry of `DeviceState`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct StateItem {
    /// The property's name.
    #[serde(rename = "Name")]
    pub(crate) name: &'static str,
    /// Its value now.
    #[serde(rename = "Value")]
    pub(crate) value: Value,
}

/// A device type's own members and state.
pub(crate) trait Device {
    /// The device type's own members, each with its verb.
    type Member: Copy + std::fmt::Debug;

    /// `Name`.
    fn name(&self) -> String;
    /// `Description`.
    fn description(&self) -> String;
    /// `InterfaceVersion` (ICameraV4: 4, IFilterWheelV3: 3).
    fn interface_version(&self) -> u32;
    /// The connection flag.
    fn connection(&self) -> &Connection;
    /// Prepares the device as a client connects (reads what it must know of the camera).
    fn on_connect(&self) -> Result<(), AlpacaError>;
    /// The member `method` names for `verb`, if the type has it.
    fn member(verb: Verb, method: &str) -> Option<Self::Member>;
    /// Runs one of the type's own members; only called while connected.
    fn run(&self, member: Self::Member, params: &Params) -> Result<Outcome, Failure>;
    /// The operational properties `DeviceState` lists; a property that cannot be read
    /// now is left out.
    fn state(&self) -> Vec<StateItem>;
}

/// A member every device has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Common {
    /// `GET connected`.
    GetConnected,
    /// `PUT connected`.
    SetConnected,
    /// `GET connecting`: always false, connecting is immediate.
    Connecting,
    /// `PUT connect`.
    Connect,
    /// `PUT disconnect`.
    Disconnect,
    /// `GET description`.
    Description,
    /// `GET driverinfo`.
    DriverInfo,
    /// `GET driverversion`.
    DriverVersion,
    /// `GET interfaceversion`.
    InterfaceVersion,
    /// `GET name`.
    Name,
    /// `GET supportedactions`.
    SupportedActions,
    /// `GET devicestate`.
    DeviceState,
    /// `PUT action`.
    Action,
    /// `PUT commandblind`, `commandbool`, `commandstring`.
    Command(&'static str),
}

impl Common {
    /// The common member `method` names for `verb`.
    fn parse(verb: Verb, method: &str) -> Option<Common> {
        Some(match (verb, method) {
            (Verb::Get, "connected") => Common::GetConnected,
            (Verb::Put, "connected") => Common::SetConnected,
            (Verb::Get, "connecting") => Common::Connecting,
            (Verb::Put, "connect") => Common::Connect,
            (Verb::Put, "disconnect") => Common::Disconnect,
            (Verb::Get, "description") => Common::Description,
            (Verb::Get, "driverinfo") => Common::DriverInfo,
            (Verb::Get, "driverversion") => Common::DriverVersion,
            (Verb::Get, "interfaceversion") => Common::InterfaceVersion,
            (Verb::Get, "name") => Common::Name,
            (Verb::Get, "supportedactions") => Common::SupportedActions,
            (Verb::Get, "devicestate") => Common::DeviceState,
            (Verb::Put, "action") => Common::Action,
            (Verb::Put, "commandblind") => Common::Command("CommandBlind"),
            (Verb::Put, "commandbool") => Common::Command("CommandBool"),
            (Verb::Put, "commandstring") => Common::Command("CommandString"),
            _ => return None,
        })
    }
}

/// A call on a device of type `D`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Call<M> {
    /// A member every device has.
    Common(Common),
    /// One of the type's own.
    Own(M),
}

/// The call `method` names for `verb` on a device of type `D`; `None` if the type has
/// no such member (HTTP 400: paths are lower case, so a wrong case is no member either).
pub(crate) fn parse_call<D: Device>(verb: Verb, method: &str) -> Option<Call<D::Member>> {
    Common::parse(verb, method).map(Call::Common).or_else(|| D::member(verb, method).map(Call::Own))
}

/// `DriverInfo`.
const DRIVER_INFO: &str = concat!(
    "stxd ",
    env!("CARGO_PKG_VERSION"),
    ": the ASCOM Alpaca face of the STX camera server (SBIG STX cameras, real or simulated)"
);

/// Runs `call` on `device`. Blocking: camera calls run here.
pub(crate) fn answer<D: Device>(
    device: &D,
    call: Call<D::Member>,
    params: &Params,
) -> Result<Outcome, Failure> {
    let connection = device.connection();
    let value = |v: Value| Ok(Outcome::Value(v));
    match call {
        Call::Common(common) => match common {
            Common::GetConnected => value(json!(connection.is_connected())),
            Common::SetConnected => {
                set_connected(device, params.flag("Connected")?)?;
                Ok(Outcome::Done)
            }
            Common::Connecting => value(json!(false)),
            Common::Connect => {
                set_connected(device, true)?;
                Ok(Outcome::Done)
            }
            Common::Disconnect => {
                set_connected(device, false)?;
                Ok(Outcome::Done)
            }
            Common::Description => value(json!(device.description())),
            Common::DriverInfo => value(json!(DRIVER_INFO)),
            Common::DriverVersion => value(json!(env!("CARGO_PKG_VERSION"))),
            Common::InterfaceVersion => value(json!(device.interface_version())),
            Common::Name => value(json!(device.name())),
            Common::SupportedActions => value(json!([] as [&str; 0])),
            Common::DeviceState => {
                require(connection)?;
                let mut items = device.state();
                items.push(StateItem {
                    name: "TimeStamp",
                    value: json!(super::camera::utc_text(chrono::Utc::now())),
                });
                value(json!(items))
            }
            Common::Action => {
                params.text("Action")?;
                Err(AlpacaError::ActionNotImplemented.into())
            }
            Common::Command(name) => {
                params.text("Command")?;
                Err(AlpacaError::NotImplemented(name).into())
            }
        },
        Call::Own(member) => {
            require(connection)?;
            device.run(member, params)
        }
    }
}

fn set_connected<D: Device>(device: &D, connected: bool) -> Result<(), AlpacaError> {
    if connected && !device.connection().is_connected() {
        device.on_connect()?;
    }
    device.connection().set(connected);
    Ok(())
}

fn require(connection: &Connection) -> Result<(), AlpacaError> {
    if connection.is_connected() { Ok(()) } else { Err(AlpacaError::NotConnected) }
}

/// A camera that failed or cannot be reached, for calls that only read.
pub(crate) fn driver(e: stx_camera::Error) -> AlpacaError {
    AlpacaError::Driver(e.to_string())
}

/// A camera error of a call that changes something: a refusal with an STX error code is
/// `refusal` (with the camera's text), anything else a driver error.
pub(crate) fn refused(e: stx_camera::Error, refusal: fn(String) -> AlpacaError) -> AlpacaError {
    match e.kind() {
        ErrorKind::Stx(code) => refusal(code.to_string()),
        _ => driver(e),
    }
}

/// The camera's model for a device's description, or a generic name when the camera
/// cannot be asked: a description is display text, and a missing camera shows in
/// every call that needs it.
pub(crate) fn model(camera: &dyn Camera) -> String {
    camera.description().unwrap_or_else(|_| "SBIG STX".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_members_have_one_verb_each() {
        assert_eq!(Common::parse(Verb::Get, "connected"), Some(Common::GetConnected));
        assert_eq!(Common::parse(Verb::Put, "connected"), Some(Common::SetConnected));
        assert_eq!(Common::parse(Verb::Get, "connect"), None);
        assert_eq!(Common::parse(Verb::Put, "name"), None);
        assert_eq!(Common::parse(Verb::Get, "Connected"), None);
    }
}
