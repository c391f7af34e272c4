//! Stage two of reading a request: a [`RawRequest`] becomes a typed [`Command`] whose
//! values are in the spec's ranges, or the rejection the camera answers with.
//!
//! Range checks that depend on the camera (binning limits, sensor size, busy states)
//! are not made here; everything the spec fixes is.

use crate::reply::parse_real as real;
use crate::request::{RawParam, RawRequest, last_param};
use crate::{
    AoPosition, Ccd, ExposureDuration, ExposureRequest, FilterKey, FilterName, FilterSlot, FitsChange,
    FitsKey, FrameType, ObsDateTime, Pulse, PulseDuration, PulseRequest, Relay, SET_ORDER, SettingChange,
    SettingKey, SettingsUpdate, StxError,
};

/// A call of the STX API with its parameters read and checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `…GetSettings.cgi`: the keys to answer, in request order (at least one).
    GetSettings {
        /// The CCD called.
        ccd: Ccd,
        /// The keys to answer.
        keys: Vec<SettingKey>,
    },
    /// `…SetSettings.cgi`.
    SetSettings {
        /// The CCD called.
        ccd: Ccd,
        /// The changes, in spec order.
        update: SettingsUpdate,
    },
    /// `…State.cgi` (and `CurrentCCDState.cgi` for the imager).
    State(Ccd),
    /// `…ImageReady.cgi`.
    ImageReady(Ccd),
    /// `…Data.bin`.
    DataBin(Ccd),
    /// `Imager.FIT`, `Guider.FIT`, `ExtGuider.FIT`.
    DataFits(Ccd),
    /// `…StartExposure.cgi`.
    StartExposure {
        /// The CCD called.
        ccd: Ccd,
        /// What to expose.
        request: ExposureRequest,
    },
    /// `…AbortExposure.cgi`.
    AbortExposure(Ccd),
    /// `FilterState.cgi`.
    FilterState,
    /// `GetFilterSetting.cgi`: keys in request order (at least one).
    GetFilterSettings(Vec<FilterKey>),
    /// `ChangeFilter.cgi`.
    ChangeFilter(FilterSlot),
    /// `SetFilterName.cgi`: the valid names sent, last one per slot winning.
    SetFilterNames(Vec<(FilterSlot, FilterName)>),
    /// `PulseGuide.cgi`.
    PulseGuide(PulseRequest),
    /// `IsPulseGuiding.cgi`.
    IsPulseGuiding,
    /// `PulseGuideGetTimeRemaining.cgi`: relays in request order (at least one).
    PulseGuideTimeRemaining(Vec<Relay>),
    /// `AOGuide.cgi`.
    AoGuide {
        /// `XPosition`.
        x: AoPosition,
        /// `YPosition`.
        y: AoPosition,
    },
    /// `AOStatus.cgi`.
    AoStatus,
    /// `GetFITSSetting.cgi`: keys in request order (at least one).
    GetFitsSettings(Vec<FitsKey>),
    /// `SetFITSSetting.cgi`: the valid changes, in request order.
    SetFitsSettings(Vec<FitsChange>),
    /// `Description.cgi`.
    Description,
    /// `VersionNumbers.cgi`.
    VersionNumbers,
}

/// Why a request gets no 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The path names no call: 404.
    NotFound,
    /// A camera error: 400 with its code.
    Stx(StxError),
}

impl From<StxError> for Rejection {
    fn from(e: StxError) -> Self {
        Rejection::Stx(e)
    }
}

/// The calls every CCD has, by the suffix after the CCD's prefix.
#[derive(Clone, Copy)]
enum CcdCall {
    GetSettings,
    SetSettings,
    State,
    ImageReady,
    DataBin,
    DataFits,
    StartExposure,
    AbortExposure,
}

const CCD_CALLS: [(&str, CcdCall); 8] = [
    ("GetSettings.cgi", CcdCall::GetSettings),
    ("SetSettings.cgi", CcdCall::SetSettings),
    ("State.cgi", CcdCall::State),
    ("ImageReady.cgi", CcdCall::ImageReady),
    ("Data.bin", CcdCall::DataBin),
    (".FIT", CcdCall::DataFits),
    ("StartExposure.cgi", CcdCall::StartExposure),
    ("AbortExposure.cgi", CcdCall::AbortExposure),
];

impl Command {
    /// Reads a request. Paths and names match in any case; unknown parameters are
    /// ignored, as the spec says.
    pub fn parse(raw: &RawRequest) -> Result<Command, Rejection> {
        let name = strip_prefix_ignore_case(&raw.resource, "/api/").ok_or(Rejection::NotFound)?;
        let p = &raw.params[..];
        for ccd in Ccd::ALL {
            let Some(suffix) = strip_prefix_ignore_case(name, ccd.prefix()) else { continue };
            if let Some((_, call)) = CCD_CALLS.iter().find(|(s, _)| s.eq_ignore_ascii_case(suffix)) {
                return ccd_command(ccd, *call, p);
            }
        }
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        Ok(if is("CurrentCCDState.cgi") {
            Command::State(Ccd::Imager)
        } else if is("FilterState.cgi") {
            Command::FilterState
        } else if is("GetFilterSetting.cgi") {
            Command::GetFilterSettings(query_keys(p, FilterKey::parse)?)
        } else if is("ChangeFilter.cgi") {
            Command::ChangeFilter(required(p, "NewPosition", |v| int(v).and_then(FilterSlot::new))?)
        } else if is("SetFilterName.cgi") {
            Command::SetFilterNames(filter_names(p))
        } else if is("PulseGuide.cgi") {
            Command::PulseGuide(pulse_request(p)?)
        } else if is("IsPulseGuiding.cgi") {
            Command::IsPulseGuiding
        } else if is("PulseGuideGetTimeRemaining.cgi") {
            Command::PulseGuideTimeRemaining(query_keys(p, Relay::parse)?)
        } else if is("AOGuide.cgi") {
            let position = |v: &str| real(v).and_then(AoPosition::new);
            let (x, y) = (last_param(p, "XPosition"), last_param(p, "YPosition"));
            let (Some(x), Some(y)) = (x, y) else { return Err(StxError::ParameterMissing.into()) };
            let x = x.text().and_then(position).ok_or(StxError::BadParameter)?;
            let y = y.text().and_then(position).ok_or(StxError::BadParameter)?;
            Command::AoGuide { x, y }
        } else if is("AOStatus.cgi") {
            Command::AoStatus
        } else if is("GetFITSSetting.cgi") {
            Command::GetFitsSettings(query_keys(p, FitsKey::parse)?)
        } else if is("SetFITSSetting.cgi") {
            Command::SetFitsSettings(fits_changes(p))
        } else if is("Description.cgi") {
            Command::Description
        } else if is("VersionNumbers.cgi") {
            Command::VersionNumbers
        } else {
            return Err(Rejection::NotFound);
        })
    }
}

fn ccd_command(ccd: Ccd, call: CcdCall, p: &[RawParam]) -> Result<Command, Rejection> {
    Ok(match call {
        CcdCall::GetSettings => {
            Command::GetSettings { ccd, keys: query_keys(p, |n| SettingKey::for_get(n, ccd))? }
        }
        CcdCall::SetSettings => Command::SetSettings { ccd, update: settings_update(ccd, p) },
        CcdCall::State => Command::State(ccd),
        CcdCall::ImageReady => Command::ImageReady(ccd),
        CcdCall::DataBin => Command::DataBin(ccd),
        CcdCall::DataFits => Command::DataFits(ccd),
        CcdCall::StartExposure => Command::StartExposure { ccd, request: exposure_request(p)? },
        CcdCall::AbortExposure => Command::AbortExposure(ccd),
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// A required parameter: missing → `0x8000100a`, unreadable → `0x80001009`.
fn required<T>(params: &[RawParam], name: &str, read: impl Fn(&str) -> Option<T>) -> Result<T, StxError> {
    let value = last_param(params, name).ok_or(StxError::ParameterMissing)?;
    value.text().and_then(read).ok_or(StxError::BadParameter)
}

/// The keys of a query call, each occurrence in order; none known → `0x80001000`.
/// A `=value` on a query key is ignored.
fn query_keys<K>(params: &[RawParam], parse: impl Fn(&str) -> Option<K>) -> Result<Vec<K>, StxError> {
    let keys: Vec<K> = params.iter().filter_map(|p| parse(&p.name)).collect();
    if keys.is_empty() { Err(StxError::NoValidParameter) } else { Ok(keys) }
}

/// A whole number, also when printed as a real with no fraction (`2.0`).
fn int(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>()
        .ok()
        .or_else(|| real(text).filter(|v| v.fract() == 0.0 && v.abs() < 1e15).map(|v| v as i64))
}

fn settings_update(ccd: Ccd, params: &[RawParam]) -> SettingsUpdate {
    let changes = SET_ORDER
        .into_iter()
        .filter(|key| key.writable_on(ccd))
        .filter_map(|key| {
            let value = last_param(params, key.name())?;
            Some(SettingChange { key, value: value.text().and_then(real) })
        })
        .collect();
    SettingsUpdate { changes }
}

fn exposure_request(params: &[RawParam]) -> Result<ExposureRequest, StxError> {
    if last_param(params, "Duration").is_none() || last_param(params, "FrameType").is_none() {
        return Err(StxError::ParameterMissing);
    }
    let duration = required(params, "Duration", |v| real(v).and_then(ExposureDuration::from_secs))?;
    let frame_type = required(params, "FrameType", |v| int(v).and_then(FrameType::from_code))?;
    let date_time = match last_param(params, "DateTime") {
        None => None,
        Some(v) => Some(v.text().and_then(ObsDateTime::parse).ok_or(StxError::BadParameter)?),
    };
    Ok(ExposureRequest { duration, frame_type, date_time })
}

fn pulse_request(params: &[RawParam]) -> Result<PulseRequest, StxError> {
    let axis = |dir: &str, dur: &str, axis: &str| -> Result<Option<Pulse>, StxError> {
        match (last_param(params, dir), last_param(params, dur)) {
            (None, None) => Ok(None),
            (Some(d), Some(t)) => {
                let relay = d
                    .text()
                    .and_then(int)
                    .and_then(|code| Relay::on_axis(axis, code))
                    .ok_or(StxError::BadParameter)?;
                let duration = t.text().and_then(real).and_then(PulseDuration::from_secs);
                Ok(Some(Pulse { relay, duration: duration.ok_or(StxError::BadParameter)? }))
            }
            _ => Err(StxError::ParameterMissing),
        }
    };
    let x = last_param(params, "DirectionX").is_some() || last_param(params, "DurationX").is_some();
    let y = last_param(params, "DirectionY").is_some() || last_param(params, "DurationY").is_some();
    // A half pair anywhere, or no pair at all, is a missing parameter before any value
    // is judged.
    let half = |a: &str, b: &str| last_param(params, a).is_some() != last_param(params, b).is_some();
    if (!x && !y) || half("DirectionX", "DurationX") || half("DirectionY", "DurationY") {
        return Err(StxError::ParameterMissing);
    }
    let x = axis("DirectionX", "DurationX", "X")?;
    let y = axis("DirectionY", "DurationY", "Y")?;
    Ok(PulseRequest { x, y })
}

fn filter_names(params: &[RawParam]) -> Vec<(FilterSlot, FilterName)> {
    let mut names: Vec<(FilterSlot, FilterName)> = Vec::new();
    for p in params {
        let Some(FilterKey::Name(slot)) = FilterKey::parse(&p.name) else { continue };
        let Some(name) = p.value.text().and_then(FilterName::new) else { continue };
        names.retain(|(s, _)| *s != slot);
        names.push((slot, name));
    }
    names
}

fn fits_changes(params: &[RawParam]) -> Vec<FitsChange> {
    params.iter().filter_map(|p| FitsChange::parse(FitsKey::parse(&p.name)?, p.value.text()?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `target`; the whole command (its `Debug` form), `404` or the camera's
    /// error code must be `expect`.
    fn check(target: &str, expect: &str) {
        let raw = RawRequest::parse(target).expect("a valid target");
        let got = match Command::parse(&raw) {
            Ok(c) => format!("{c:?}"),
            Err(Rejection::NotFound) => "404".to_owned(),
            Err(Rejection::Stx(e)) => e.code_text(),
        };
        assert_eq!(got, expect, "{target}");
    }

    #[test]
    fn paths() {
        check("/api/ImagerState.cgi", "State(Imager)");
        check("/api/imagerstate.cgi", "State(Imager)");
        check("/API/EXTGUIDERSTATE.CGI", "State(ExtGuider)");
        check("/api/CurrentCCDState.cgi", "State(Imager)");
        check("/api/Guider.FIT", "DataFits(Guider)");
        check("/api/ExtGuiderData.bin", "DataBin(ExtGuider)");
        check("/api/FilterState.cgi&0.84", "FilterState");
        check("/api/Nope.cgi", "404");
        check("/ImagerState.cgi", "404");
        check("/api/ImagerState.cgiX", "404");
    }

    #[test]
    fn get_calls_answer_known_keys_in_order() {
        check(
            "/api/ImagerGetSettings.cgi?MaxADU&Bogus&MaxBinX",
            "GetSettings { ccd: Imager, keys: [MaxADU, MaxBinX] }",
        );
        check("/api/ImagerGetSettings.cgi?maxadu=7", "GetSettings { ccd: Imager, keys: [MaxADU] }");
        check(
            "/api/ImagerGetSettings.cgi?CCDTemperature&0.84",
            "GetSettings { ccd: Imager, keys: [CCDTemperature] }",
        );
        check("/api/ImagerGetSettings.cgi", "0x80001000");
        check("/api/ExtGuiderGetSettings.cgi?CoolerPower", "0x80001000");
        check(
            "/api/GuiderGetSettings.cgi?CoolerPower&CCDTemperatureSetpoint",
            "GetSettings { ccd: Guider, keys: [CoolerPower] }",
        );
        check(
            "/api/GetFilterSetting.cgi?Filter1&Filter8Name&Filter9Name",
            "GetFilterSettings([Name(FilterSlot(1)), Name(FilterSlot(8))])",
        );
        check("/api/PulseGuideGetTimeRemaining.cgi?XPlus&YMinus", "PulseGuideTimeRemaining([XPlus, YMinus])");
        check("/api/GetFITSSetting.cgi?ObjectName&FL", "GetFitsSettings([ObjectName, FL])");
        check("/api/GetFITSSetting.cgi?Nothing", "0x80001000");
    }

    #[test]
    fn set_calls_keep_spec_order_and_last_value() {
        check(
            "/api/ImagerSetSettings.cgi?NumX=10&BinX=2&BinX=3",
            "SetSettings { ccd: Imager, update: SettingsUpdate { changes: [SettingChange { key: BinX, value: Some(3.0) }, SettingChange { key: NumX, value: Some(10.0) }] } }",
        );
        check(
            "/api/ImagerSetSettings.cgi?BinX=abc",
            "SetSettings { ccd: Imager, update: SettingsUpdate { changes: [SettingChange { key: BinX, value: None }] } }",
        );
        check(
            "/api/GuiderSetSettings.cgi?CoolerState=1",
            "SetSettings { ccd: Guider, update: SettingsUpdate { changes: [] } }",
        );
    }

    #[test]
    fn start_exposure_rules() {
        check("/api/ImagerStartExposure.cgi?Duration=1E-05", "0x8000100a");
        check("/api/ImagerStartExposure.cgi?FrameType=1", "0x8000100a");
        check("/api/ImagerStartExposure.cgi?Duration=1E-05&FrameType=1", "0x80001009");
        check("/api/ImagerStartExposure.cgi?Duration=10&FrameType=4", "0x80001009");
        check("/api/ImagerStartExposure.cgi?Duration=10&FrameType", "0x80001009");
        check("/api/ImagerStartExposure.cgi?Duration=10&FrameType=1&DateTime=bad", "0x80001009");
        check(
            "/api/ImagerStartExposure.cgi?Duration=0.5&FrameType=1.0",
            "StartExposure { ccd: Imager, request: ExposureRequest { duration: ExposureDuration(0.5), frame_type: Light, date_time: None } }",
        );
        check(
            "/api/GuiderStartExposure.cgi?Duration=11.7&FrameType=0&DateTime=2011-03-24T21.05.07.123",
            "StartExposure { ccd: Guider, request: ExposureRequest { duration: ExposureDuration(11.7), frame_type: Dark, date_time: Some(ObsDateTime { year: 2011, month: 3, day: 24, hour: 21, minute: 5, second: 7, millis: 123 }) } }",
        );
    }

    #[test]
    fn pulse_guide_pairs() {
        check("/api/PulseGuide.cgi", "0x8000100a");
        check("/api/PulseGuide.cgi?DirectionX=0", "0x8000100a");
        check("/api/PulseGuide.cgi?DirectionX=0&DurationX=1&DurationY=1", "0x8000100a");
        check(
            "/api/PulseGuide.cgi?DirectionY=1&DurationY=10",
            "PulseGuide(PulseRequest { x: None, y: Some(Pulse { relay: YMinus, duration: PulseDuration(10.0) }) })",
        );
        check("/api/PulseGuide.cgi?DirectionX=2&DurationX=1", "0x80001009");
        check("/api/PulseGuide.cgi?DirectionX=0&DurationX=655.36", "0x80001009");
        check("/api/PulseGuide.cgi?DirectionX=0&DurationX=0.005", "0x80001009");
    }

    #[test]
    fn filter_and_ao_and_fits() {
        check("/api/ChangeFilter.cgi", "0x8000100a");
        check("/api/ChangeFilter.cgi?NewPosition=9", "0x80001009");
        check("/api/ChangeFilter.cgi?NewPosition=x", "0x80001009");
        check("/api/ChangeFilter.cgi?NewPosition=0", "ChangeFilter(FilterSlot(0))");
        check(
            "/api/SetFilterName.cgi?Filter1=Luminance&Filter2Name=Red&Filter3=way%20too%20long%20a%20name",
            r#"SetFilterNames([(FilterSlot(1), FilterName("Luminance")), (FilterSlot(2), FilterName("Red"))])"#,
        );
        check("/api/AOGuide.cgi?XPosition=55", "0x8000100a");
        check("/api/AOGuide.cgi?XPosition=55&YPosition=101", "0x80001009");
        check(
            "/api/AOGuide.cgi?XPosition=55&YPosition=42",
            "AoGuide { x: AoPosition(55.0), y: AoPosition(42.0) }",
        );
        check(
            "/api/SetFITSSetting.cgi?ObjectName=M27&FL=abc&Aperture=254",
            r#"SetFitsSettings([ObjectName(FitsText("M27")), Aperture(254.0)])"#,
        );
    }
}
