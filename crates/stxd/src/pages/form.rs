//! Stage two for the pages: a page's query read into its typed form, every field
//! checked before anything is applied, so a form is applied whole or not at all. Pure:
//! tested from string literals below.
//!
//! A field may be left out (a person typing a URL); what is left out keeps its value.
//! A field the form does not have, or a value it cannot take, is a [`FieldError`]
//! whose text the page shows.

use std::net::Ipv4Addr;

use stx_protocol::reply::{parse_int, parse_real};
use stx_protocol::request::{RawParam, RawValue};
use stx_protocol::{ExposureDuration, FanMode, FilterName, FilterSlot, FrameType, ObsDateTime};

/// Why one field of a submitted form was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// The field's name as sent.
    pub(crate) field: String,
    /// What it must be, in words a person acts on.
    pub(crate) reason: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// A form read, or every reason it was not.
pub(crate) type Read<T> = Result<T, Vec<FieldError>>;

/// `FrameSize` on `setup.html`: the readout window, centred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameSize {
    /// `0`: the window another program set, left as it is.
    Custom,
    /// `1`: the whole sensor.
    Full,
    /// `2`: half the width and half the height.
    Half,
    /// `3`: a quarter of the width and of the height.
    Quarter,
}

impl FrameSize {
    /// Every choice, in code order.
    pub(crate) const ALL: [FrameSize; 4] =
        [FrameSize::Custom, FrameSize::Full, FrameSize::Half, FrameSize::Quarter];

    /// The form's value.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    /// The fraction of each side of the sensor read; `None` for [`Custom`](Self::Custom).
    pub(crate) fn divisor(self) -> Option<u32> {
        match self {
            FrameSize::Custom => None,
            FrameSize::Full => Some(1),
            FrameSize::Half => Some(2),
            FrameSize::Quarter => Some(4),
        }
    }
}

/// `Fan` on `setup.html`: 1 auto, 2 manual, 3 off (the API's `FanState` numbers differ).
pub(crate) fn fan_code(mode: FanMode) -> u8 {
    match mode {
        FanMode::Auto => 1,
        FanMode::Manual => 2,
        FanMode::Off => 3,
    }
}

/// The fields of `CameraSetup`; `None` leaves a value as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SetupForm {
    /// `Bin`: 1, 2 or 3, on both axes; 0 keeps a binning another program set.
    pub(crate) bin: Option<u16>,
    /// `CoolerState`.
    pub(crate) cooler_on: Option<bool>,
    /// `CCDTemperatureSetpoint` in °C.
    pub(crate) setpoint_c: Option<f64>,
    /// `Fan`.
    pub(crate) fan: Option<FanMode>,
    /// `FanSetpoint`, percent, rounded to the API's whole percent.
    pub(crate) fan_percent: Option<u8>,
    /// `FrameSize`.
    pub(crate) frame_size: Option<FrameSize>,
}

/// `Contrast` on `exposure.html`. The preview is always auto-stretched; the choice is
/// kept and shown, as a camera's display setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Contrast {
    /// `0`.
    Auto,
    /// `1`.
    Manual,
}

/// The fields of `Exposure`; `None` takes the value last used.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ExposureFields {
    /// `ExposureTime`: 0 up to the API's longest; below the API's shortest it is the
    /// shortest (a driver sends 0 for a bias).
    pub(crate) duration: Option<ExposureDuration>,
    /// `ImageType`.
    pub(crate) image_type: Option<FrameType>,
    /// `Contrast`.
    pub(crate) contrast: Option<Contrast>,
    /// `DateTime`: `Some(None)` for an empty field (then the server's clock is used).
    pub(crate) date_time: Option<Option<ObsDateTime>>,
}

/// What a GET of `exposure.html` asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ExposureForm {
    /// No fields: show the page.
    Show,
    /// `?Abort`.
    Abort,
    /// Any field: start an exposure.
    Start(ExposureFields),
}

/// The fields of `FilterNames`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FilterForm {
    /// `Filter1`…`Filter8`, as sent.
    pub(crate) names: Vec<(FilterSlot, FilterName)>,
    /// `Filter`: the position to move to (`0` initialises the wheel).
    pub(crate) position: Option<FilterSlot>,
}

/// The fields of `EthernetParams`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NetworkForm {
    /// `DHCP`.
    pub(crate) dhcp: Option<bool>,
    /// `IPAddress`.
    pub(crate) address: Option<Ipv4Addr>,
    /// `SubnetMask`.
    pub(crate) mask: Option<Ipv4Addr>,
    /// `Gateway`.
    pub(crate) gateway: Option<Ipv4Addr>,
}

/// The names of `CameraSetup`'s fields, in form order.
pub(crate) const SETUP_FIELDS: [&str; 6] =
    ["Bin", "CoolerState", "CCDTemperatureSetpoint", "Fan", "FanSetpoint", "FrameSize"];
/// The names of `Exposure`'s fields, in form order.
pub(crate) const EXPOSURE_FIELDS: [&str; 4] = ["ExposureTime", "ImageType", "Contrast", "DateTime"];
/// The names of `EthernetParams`' fields, in form order.
pub(crate) const NETWORK_FIELDS: [&str; 4] = ["DHCP", "IPAddress", "SubnetMask", "Gateway"];

/// Reads `setup.html`'s query.
pub(crate) fn setup(params: &[RawParam]) -> Read<SetupForm> {
    let mut f = Fields::new(params, &SETUP_FIELDS);
    let form = SetupForm {
        bin: f.get("Bin", |v| choice(v, 0..=3, "1 (full), 2 (2×2), 3 (3×3) or 0 (as set)").map(|n| n as u16)),
        cooler_on: f.get("CoolerState", |v| choice(v, 0..=1, "0 (off) or 1 (on)").map(|n| n == 1)),
        setpoint_c: f.get("CCDTemperatureSetpoint", |v| ranged(v, -100.0, 100.0, "°C")),
        fan: f.get("Fan", |v| {
            let code = choice(v, 1..=3, "1 (auto), 2 (manual) or 3 (off)")?;
            Ok([FanMode::Auto, FanMode::Manual, FanMode::Off][code as usize - 1])
        }),
        fan_percent: f.get("FanSetpoint", |v| ranged(v, 0.0, 100.0, "%").map(|p| p.round() as u8)),
        frame_size: f.get("FrameSize", |v| {
            let code = choice(v, 0..=3, "0 (as set), 1 (full), 2 (half) or 3 (quarter)")?;
            Ok(FrameSize::ALL[code as usize])
        }),
    };
    f.finish(form)
}

/// Reads `exposure.html`'s query.
pub(crate) fn exposure(params: &[RawParam]) -> Read<ExposureForm> {
    if params.iter().any(|p| p.name.eq_ignore_ascii_case("Abort")) {
        return Ok(ExposureForm::Abort);
    }
    if params.is_empty() {
        return Ok(ExposureForm::Show);
    }
    let mut f = Fields::new(params, &EXPOSURE_FIELDS);
    let fields = ExposureFields {
        duration: f.get("ExposureTime", |v| {
            let seconds = ranged(v, 0.0, ExposureDuration::MAX_SECONDS, "seconds")?;
            Ok(ExposureDuration::from_secs(seconds.max(ExposureDuration::MIN_SECONDS)).expect("in range"))
        }),
        image_type: f.get("ImageType", |v| {
            let code = choice(v, 0..=3, "0 (dark), 1 (light), 2 (bias) or 3 (flat)")?;
            Ok(FrameType::from_code(code).expect("0..=3 are frame types"))
        }),
        contrast: f.get("Contrast", |v| {
            Ok(if choice(v, 0..=1, "0 (auto) or 1 (manual)")? == 0 {
                Contrast::Auto
            } else {
                Contrast::Manual
            })
        }),
        date_time: f.get("DateTime", |v| match v.trim() {
            "" => Ok(None),
            text => ObsDateTime::parse_lenient(text)
                .map(Some)
                .ok_or_else(|| "must be a date and time like 2026-11-21T15:36:12.123".to_owned()),
        }),
    };
    f.finish(ExposureForm::Start(fields))
}

/// Reads `filtersetup.html`'s query.
pub(crate) fn filters(params: &[RawParam]) -> Read<FilterForm> {
    let names: Vec<String> = (1..=8).map(|n| format!("Filter{n}")).collect();
    let known: Vec<&str> = names.iter().map(String::as_str).chain(["Filter"]).collect();
    let mut f = Fields::new(params, &known);
    let mut form = FilterForm::default();
    for (i, name) in names.iter().enumerate() {
        let slot = FilterSlot::new(i as i64 + 1).expect("1..=8 are slots");
        let rule = "at most 16 characters, letters, digits and punctuation";
        if let Some(n) = f.get(name, |v| FilterName::new(v.trim()).ok_or_else(|| rule.to_owned())) {
            form.names.push((slot, n));
        }
    }
    form.position = f.get("Filter", |v| {
        let n = choice(v, 0..=i64::from(FilterSlot::MAX), "a position from 0 (initialise) to 8")?;
        Ok(FilterSlot::new(n).expect("in range"))
    });
    f.finish(form)
}

/// Reads `network.html`'s query.
pub(crate) fn network(params: &[RawParam]) -> Read<NetworkForm> {
    let mut f = Fields::new(params, &NETWORK_FIELDS);
    let address =
        |v: &str| v.trim().parse::<Ipv4Addr>().map_err(|_| "must be an address like 192.168.0.2".to_owned());
    let form = NetworkForm {
        dhcp: f.get("DHCP", |v| choice(v, 0..=1, "0 (fixed address) or 1 (DHCP)").map(|n| n == 1)),
        address: f.get("IPAddress", address),
        mask: f.get("SubnetMask", address),
        gateway: f.get("Gateway", address),
    };
    f.finish(form)
}

/// The query's fields, checked one by one; the errors gathered so that all are shown
/// at once.
struct Fields<'a> {
    params: &'a [RawParam],
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    /// The query of a form with fields `known`; any other field is an error.
    fn new(params: &'a [RawParam], known: &[&str]) -> Fields<'a> {
        let errors = params
            .iter()
            .filter(|p| !known.iter().any(|k| k.eq_ignore_ascii_case(&p.name)))
            .map(|p| FieldError { field: p.name.clone(), reason: "this form has no such field".to_owned() })
            .collect();
        Fields { params, errors }
    }

    /// The field's value read by `read` (the last one sent wins, as on the API); `None`
    /// if it was not sent or is bad (then the error is kept).
    fn get<T>(&mut self, name: &str, read: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let param = self.params.iter().rev().find(|p| p.name.eq_ignore_ascii_case(name))?;
        let result = match &param.value {
            RawValue::Text(text) => read(text),
            RawValue::Absent => Err("needs a value".to_owned()),
            RawValue::NotUtf8 => Err("is not text".to_owned()),
        };
        result.map_err(|reason| self.errors.push(FieldError { field: name.to_owned(), reason })).ok()
    }

    fn finish<T>(self, form: T) -> Read<T> {
        if self.errors.is_empty() { Ok(form) } else { Err(self.errors) }
    }
}

/// A whole number in `range` (also `2.0`), or why not.
fn choice(text: &str, range: std::ops::RangeInclusive<i64>, what: &str) -> Result<i64, String> {
    let n = parse_int(text).or_else(|| parse_real(text).filter(|v| v.fract() == 0.0).map(|v| v as i64));
    n.filter(|n| range.contains(n)).ok_or_else(|| format!("must be {what}, not {text:?}"))
}

/// A finite number from `lo` to `hi`, or why not.
fn ranged(text: &str, lo: f64, hi: f64, unit: &str) -> Result<f64, String> {
    match parse_real(text) {
        Some(v) if (lo..=hi).contains(&v) => Ok(v),
        Some(_) => Err(format!("must be from {lo} to {hi} {unit}, not {text}")),
        None => Err(format!("must be a number ({unit}), not {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use stx_protocol::request::RawRequest;

    use super::*;

    /// The form `read` makes of `query`, or its errors, as one line.
    fn check<T: std::fmt::Debug>(read: fn(&[RawParam]) -> Read<T>, query: &str, expect: &str) {
        let params = RawRequest::parse(&format!("/p?{query}")).unwrap().params;
        let got = match read(&params) {
            Ok(form) => format!("{form:?}"),
            Err(errors) => errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        };
        assert_eq!(got, expect, "query {query:?}");
    }

    #[test]
    fn setup_fields() {
        check(
            setup,
            "Bin=2&CoolerState=1&CCDTemperatureSetpoint=-10.5&Fan=2&FanSetpoint=33.4&FrameSize=3",
            "SetupForm { bin: Some(2), cooler_on: Some(true), setpoint_c: Some(-10.5), fan: Some(Manual), \
             fan_percent: Some(33), frame_size: Some(Quarter) }",
        );
        check(
            setup,
            "bin=1.0",
            "SetupForm { bin: Some(1), cooler_on: None, setpoint_c: None, fan: None, fan_percent: None, \
             frame_size: None }",
        );
        check(setup, "Bin=7", r#"Bin: must be 1 (full), 2 (2×2), 3 (3×3) or 0 (as set), not "7""#);
        check(
            setup,
            "Bin=2&CCDTemperatureSetpoint=cold&Colour=red",
            r#"Colour: this form has no such field; CCDTemperatureSetpoint: must be a number (°C), not "cold""#,
        );
        check(setup, "FanSetpoint=101", "FanSetpoint: must be from 0 to 100 %, not 101");
        check(setup, "Fan", "Fan: needs a value");
    }

    #[test]
    fn exposure_fields() {
        check(exposure, "", "Show");
        check(exposure, "Abort", "Abort");
        check(exposure, "ExposureTime=1&Abort", "Abort");
        check(
            exposure,
            "ExposureTime=2.5&ImageType=0&Contrast=1&DateTime=2026-11-21T15:36:",
            "Start(ExposureFields { duration: Some(ExposureDuration(2.5)), image_type: Some(Dark), \
             contrast: Some(Manual), date_time: Some(Some(ObsDateTime { year: 2026, month: 11, day: 21, \
             hour: 15, minute: 36, second: 0, millis: 0 })) })",
        );
        check(
            exposure,
            "ExposureTime=0&DateTime=",
            "Start(ExposureFields { duration: Some(ExposureDuration(0.01)), image_type: None, contrast: None, \
             date_time: Some(None) })",
        );
        check(exposure, "ExposureTime=-1", "ExposureTime: must be from 0 to 86400 seconds, not -1");
        check(
            exposure,
            "ImageType=4&DateTime=yesterday",
            r#"ImageType: must be 0 (dark), 1 (light), 2 (bias) or 3 (flat), not "4"; DateTime: must be a date and time like 2026-11-21T15:36:12.123"#,
        );
    }

    #[test]
    fn filter_fields() {
        check(filters, "Filter=3", "FilterForm { names: [], position: Some(FilterSlot(3)) }");
        check(
            filters,
            "Filter1=L&Filter2=H+alpha&Filter=0",
            r#"FilterForm { names: [(FilterSlot(1), FilterName("L")), (FilterSlot(2), FilterName("H alpha"))], position: Some(FilterSlot(0)) }"#,
        );
        check(filters, "Filter=9", r#"Filter: must be a position from 0 (initialise) to 8, not "9""#);
        check(filters, "Filter9=X", "Filter9: this form has no such field");
        check(
            filters,
            "Filter1=abcdefghijklmnopq",
            "Filter1: at most 16 characters, letters, digits and punctuation",
        );
    }

    #[test]
    fn network_fields() {
        check(
            network,
            "DHCP=0&IPAddress=10.0.1.3&SubnetMask=255.255.255.0&Gateway=10.0.1.1",
            "NetworkForm { dhcp: Some(false), address: Some(10.0.1.3), mask: Some(255.255.255.0), \
             gateway: Some(10.0.1.1) }",
        );
        check(network, "IPAddress=10.0.1", "IPAddress: must be an address like 192.168.0.2");
    }
}
