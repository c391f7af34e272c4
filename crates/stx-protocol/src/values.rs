//! Validated value types of the API: each constructor enforces the spec's range, so a
//! value that exists is a value the camera accepts.

use std::fmt;

/// What an exposure is for. Bias and Flat differ from Dark and Light only in the FITS
/// header (the spec); Dark and Bias keep the shutter closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// `0`: shutter closed.
    Dark,
    /// `1`: shutter open.
    Light,
    /// `2`: shutter closed; a zero-length read in spirit.
    Bias,
    /// `3`: shutter open, of an evenly lit field.
    Flat,
}

impl FrameType {
    /// The type for the API's `FrameType` number, if it is one.
    pub fn from_code(code: i64) -> Option<FrameType> {
        match code {
            0 => Some(FrameType::Dark),
            1 => Some(FrameType::Light),
            2 => Some(FrameType::Bias),
            3 => Some(FrameType::Flat),
            _ => None,
        }
    }

    /// The API's number for this type.
    pub fn code(self) -> u8 {
        match self {
            FrameType::Dark => 0,
            FrameType::Light => 1,
            FrameType::Bias => 2,
            FrameType::Flat => 3,
        }
    }

    /// Whether light reaches the sensor.
    pub fn shutter_open(self) -> bool {
        matches!(self, FrameType::Light | FrameType::Flat)
    }

    /// The FITS `IMAGETYP` value SBIG software writes.
    pub fn fits_imagetyp(self) -> &'static str {
        match self {
            FrameType::Dark => "Dark Frame",
            FrameType::Light => "Light Frame",
            FrameType::Bias => "Bias Frame",
            FrameType::Flat => "Flat Field",
        }
    }

    /// The type whose [`fits_imagetyp`](Self::fits_imagetyp) is `value`, if any.
    pub fn from_fits_imagetyp(value: &str) -> Option<FrameType> {
        (0..4).filter_map(FrameType::from_code).find(|t| t.fits_imagetyp() == value)
    }
}

/// The state a CCD reports through `…State.cgi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CcdState {
    /// `0`: nothing under way.
    Idle,
    /// `2`: integrating.
    Exposing,
    /// `3`: digitising the frame.
    ReadingOut,
    /// `5`: the last exposure failed.
    Error,
}

impl CcdState {
    /// The API's number for this state.
    pub fn code(self) -> u8 {
        match self {
            CcdState::Idle => 0,
            CcdState::Exposing => 2,
            CcdState::ReadingOut => 3,
            CcdState::Error => 5,
        }
    }

    /// The state for an API number, if it is one.
    pub fn from_code(code: i64) -> Option<CcdState> {
        match code {
            0 => Some(CcdState::Idle),
            2 => Some(CcdState::Exposing),
            3 => Some(CcdState::ReadingOut),
            5 => Some(CcdState::Error),
            _ => None,
        }
    }

    /// Whether a new exposure must be refused (`0x80001008`).
    pub fn is_busy(self) -> bool {
        matches!(self, CcdState::Exposing | CcdState::ReadingOut)
    }
}

/// The state the filter wheel reports through `FilterState.cgi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterWheelState {
    /// `0`: at rest on a slot.
    Idle,
    /// `1`: travelling.
    Moving,
    /// `2`: failed or absent.
    Error,
}

impl FilterWheelState {
    /// The API's number for this state.
    pub fn code(self) -> u8 {
        match self {
            FilterWheelState::Idle => 0,
            FilterWheelState::Moving => 1,
            FilterWheelState::Error => 2,
        }
    }

    /// The state of that number.
    pub fn from_code(code: i64) -> Option<FilterWheelState> {
        [FilterWheelState::Idle, FilterWheelState::Moving, FilterWheelState::Error]
            .into_iter()
            .find(|s| i64::from(s.code()) == code)
    }
}

/// A filter wheel position: 0 is "no filter", 1 to 8 are the filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FilterSlot(u8);

impl FilterSlot {
    /// The highest position of the wheel.
    pub const MAX: u8 = 8;
    /// Position 0: no filter in the beam.
    pub const NONE: FilterSlot = FilterSlot(0);

    /// The slot, if `n` is 0..=8.
    pub fn new(n: i64) -> Option<FilterSlot> {
        (0..=i64::from(Self::MAX)).contains(&n).then_some(FilterSlot(n as u8))
    }

    /// The position number.
    pub fn get(self) -> u8 {
        self.0
    }

    /// Index into an array of the eight filters' data (slot 1 → 0), or `None` for slot 0.
    pub fn filter_index(self) -> Option<usize> {
        (self.0 > 0).then(|| usize::from(self.0 - 1))
    }
}

/// Checks the spec's text rule (ASCII 32..=126, at most `max` characters).
fn printable_ascii(text: &str, max: usize) -> bool {
    text.len() <= max && text.bytes().all(|b| (32..=126).contains(&b))
}

/// A filter's name: at most 16 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FilterName(String);

impl FilterName {
    /// The longest name the camera keeps.
    pub const MAX_LEN: usize = 16;

    /// The name, if it follows the rules.
    pub fn new(text: &str) -> Option<FilterName> {
        printable_ascii(text, Self::MAX_LEN).then(|| FilterName(text.to_owned()))
    }

    /// The camera's name for a filter nobody named.
    pub fn empty() -> FilterName {
        FilterName("Empty".to_owned())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FilterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A FITS text setting: at most 67 printable ASCII characters, which also fit a FITS
/// card once encoded (each `'` written twice), so what is accepted is what is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FitsText(String);

impl FitsText {
    /// The longest text the camera keeps.
    pub const MAX_LEN: usize = 67;

    /// The room for a string value between the quotes of a FITS card (80 columns less
    /// `KEYWORD = '` and the closing quote), which the encoded text must fit.
    pub const MAX_ENCODED_LEN: usize = 68;

    /// The text, if it follows the rules.
    pub fn new(text: &str) -> Option<FitsText> {
        let encoded = text.len() + text.bytes().filter(|&b| b == b'\'').count();
        (printable_ascii(text, Self::MAX_LEN) && encoded <= Self::MAX_ENCODED_LEN)
            .then(|| FitsText(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FitsText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exposure length in seconds: finite, 0.01 to 86 400.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct ExposureDuration(f64);

impl ExposureDuration {
    /// The shortest exposure the spec allows.
    pub const MIN_SECONDS: f64 = 0.01;
    /// The longest we accept: a day. The spec says "0.01 to ???".
    pub const MAX_SECONDS: f64 = 86_400.0;

    /// The duration, if it is in range.
    pub fn from_secs(seconds: f64) -> Option<ExposureDuration> {
        (seconds.is_finite() && (Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&seconds))
            .then_some(ExposureDuration(seconds))
    }

    /// Seconds.
    pub fn secs(self) -> f64 {
        self.0
    }
}

/// The exposure's date and time for the FITS header, as sent in `DateTime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObsDateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    millis: u16,
}

impl ObsDateTime {
    /// The date the spec puts in the header when a start gives none.
    pub const SPEC_DEFAULT: ObsDateTime =
        ObsDateTime { year: 2008, month: 1, day: 1, hour: 0, minute: 0, second: 0, millis: 0 };

    /// Parses `yyyy-mm-ddThh.mm.ss.sss` (the spec), also with `:` between the time
    /// fields, 0 to 6 fraction digits (kept to the millisecond) and a trailing `Z`.
    pub fn parse(text: &str) -> Option<ObsDateTime> {
        let text = text.strip_suffix('Z').unwrap_or(text);
        let (date, time) = text.split_once(['T', 't'])?;
        let mut d = date.split('-');
        let year = fixed_digits(d.next()?, 4)?;
        let month = fixed_digits(d.next()?, 2)?;
        let day = fixed_digits(d.next()?, 2)?;
        if d.next().is_some() {
            return None;
        }
        let b = time.as_bytes();
        if b.len() < 8 || !matches!(b[2], b'.' | b':') || b[5] != b[2] {
            return None;
        }
        let hour = fixed_digits(&time[0..2], 2)?;
        let minute = fixed_digits(&time[3..5], 2)?;
        let second = fixed_digits(&time[6..8], 2)?;
        let millis = match &time[8..] {
            "" => 0,
            frac => {
                let digits = frac.strip_prefix('.')?;
                if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let padded = format!("{digits:0<3}");
                padded[..3].parse::<u32>().ok()?
            }
        };
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        Some(ObsDateTime {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            millis: millis as u16,
        })
    }

    /// Parses like [`parse`](Self::parse), and also a time cut short after a whole
    /// field, with or without its trailing separator (`2026-11-21T15:36:`,
    /// `2026-11-21T15`, `2026-11-21`): what a client that trims a printed time sends to
    /// the camera's web pages. The missing fields are zero.
    pub fn parse_lenient(text: &str) -> Option<ObsDateTime> {
        if let Some(t) = ObsDateTime::parse(text) {
            return Some(t);
        }
        let text = text.strip_suffix('Z').unwrap_or(text);
        let (date, time) = text.split_once(['T', 't']).unwrap_or((text, ""));
        let time = time.strip_suffix(['.', ':']).unwrap_or(time);
        let sep = if time.contains('.') { '.' } else { ':' };
        let whole = match time.len() {
            0 => format!("00{sep}00{sep}00"),
            2 => format!("{time}{sep}00{sep}00"),
            5 => format!("{time}{sep}00"),
            8 => time.to_owned(),
            _ => return None,
        };
        ObsDateTime::parse(&format!("{date}T{whole}"))
    }

    /// The FITS form, `yyyy-mm-ddThh:mm:ss.sss`.
    pub fn to_fits(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }
}

/// Exactly `n` ASCII digits as a number.
fn fixed_digits(text: &str, n: usize) -> Option<u32> {
    (text.len() == n && text.bytes().all(|c| c.is_ascii_digit())).then(|| text.parse().ok())?
}

/// One of the four guide relays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relay {
    /// X+ (`DirectionX=0`).
    XPlus,
    /// X− (`DirectionX=1`).
    XMinus,
    /// Y+ (`DirectionY=0`).
    YPlus,
    /// Y− (`DirectionY=1`).
    YMinus,
}

impl Relay {
    /// All four, in the spec's order.
    pub const ALL: [Relay; 4] = [Relay::XPlus, Relay::XMinus, Relay::YPlus, Relay::YMinus];

    /// The relay on the other side of the same axis.
    pub fn opposite(self) -> Relay {
        match self {
            Relay::XPlus => Relay::XMinus,
            Relay::XMinus => Relay::XPlus,
            Relay::YPlus => Relay::YMinus,
            Relay::YMinus => Relay::YPlus,
        }
    }

    /// The relay's key on the wire (`PulseGuideGetTimeRemaining`).
    pub fn name(self) -> &'static str {
        match self {
            Relay::XPlus => "XPlus",
            Relay::XMinus => "XMinus",
            Relay::YPlus => "YPlus",
            Relay::YMinus => "YMinus",
        }
    }

    /// The relay of that key, in any case.
    pub fn parse(name: &str) -> Option<Relay> {
        Relay::ALL.into_iter().find(|r| r.name().eq_ignore_ascii_case(name))
    }

    /// The axis it moves the mount along, as `PulseGuide` names it (`X` or `Y`).
    pub fn axis(self) -> &'static str {
        match self {
            Relay::XPlus | Relay::XMinus => "X",
            Relay::YPlus | Relay::YMinus => "Y",
        }
    }

    /// Its `Direction<axis>` value: 0 for plus, 1 for minus.
    pub fn direction(self) -> u8 {
        match self {
            Relay::XPlus | Relay::YPlus => 0,
            Relay::XMinus | Relay::YMinus => 1,
        }
    }

    /// The relay `Direction<axis>=direction` closes.
    pub fn on_axis(axis: &str, direction: i64) -> Option<Relay> {
        Relay::ALL.into_iter().find(|r| r.axis() == axis && i64::from(r.direction()) == direction)
    }

    /// Index into a four-relay array, in [`Relay::ALL`] order.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How long a relay stays closed: 0.01 s to 655.35 s.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct PulseDuration(f64);

impl PulseDuration {
    /// The shortest pulse the spec allows.
    pub const MIN_SECONDS: f64 = 0.01;
    /// The longest pulse the spec allows.
    pub const MAX_SECONDS: f64 = 655.35;

    /// The duration, if it is in range.
    pub fn from_secs(seconds: f64) -> Option<PulseDuration> {
        (seconds.is_finite() && (Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&seconds))
            .then_some(PulseDuration(seconds))
    }

    /// Seconds.
    pub fn secs(self) -> f64 {
        self.0
    }
}

/// One relay closed for a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pulse {
    /// Which relay.
    pub relay: Relay,
    /// For how long.
    pub duration: PulseDuration,
}

/// An adaptive-optics element position on one axis: 0 to 100, 50 centred.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct AoPosition(f64);

impl AoPosition {
    /// The centre of travel.
    pub const CENTRE: AoPosition = AoPosition(50.0);

    /// The position, if it is within 0..=100.
    pub fn new(value: f64) -> Option<AoPosition> {
        (value.is_finite() && (0.0..=100.0).contains(&value)).then_some(AoPosition(value))
    }

    /// The position, 0 to 100.
    pub fn get(self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_imagetyp_round_trips() {
        for t in [FrameType::Dark, FrameType::Light, FrameType::Bias, FrameType::Flat] {
            assert_eq!(FrameType::from_fits_imagetyp(t.fits_imagetyp()), Some(t));
        }
        assert_eq!(FrameType::from_fits_imagetyp("Tricolor Image"), None);
    }

    #[test]
    fn lenient_dates_complete_a_cut_time() {
        let check = |input: &str, expect: Option<&str>| {
            assert_eq!(
                ObsDateTime::parse_lenient(input).map(ObsDateTime::to_fits).as_deref(),
                expect,
                "{input}"
            );
        };
        check("2026-11-21T15:36:12.123", Some("2026-11-21T15:36:12.123"));
        check("2026-11-21T15:36:", Some("2026-11-21T15:36:00.000"));
        check("2026-11-21T15:36", Some("2026-11-21T15:36:00.000"));
        check("2026-11-21T15.36.", Some("2026-11-21T15:36:00.000"));
        check("2026-11-21T15:36:12.", Some("2026-11-21T15:36:12.000"));
        check("2026-11-21T15", Some("2026-11-21T15:00:00.000"));
        check("2026-11-21T", Some("2026-11-21T00:00:00.000"));
        check("2026-11-21", Some("2026-11-21T00:00:00.000"));
        check("2026-11-21T15:3", None);
        check("2026-11-21T25:00", None);
        check("2026-11-3", None);
        check("", None);
    }

    fn check_date(input: &str, expect: Option<&str>) {
        assert_eq!(ObsDateTime::parse(input).map(ObsDateTime::to_fits).as_deref(), expect, "{input}");
    }

    #[test]
    fn date_time_forms_clients_send() {
        check_date("2011-03-24T21.05.07.123", Some("2011-03-24T21:05:07.123"));
        check_date("2011-03-24T21:05:07.123", Some("2011-03-24T21:05:07.123"));
        check_date("2011-03-24T21:05:07", Some("2011-03-24T21:05:07.000"));
        check_date("2011-03-24T21.05.07.5", Some("2011-03-24T21:05:07.500"));
        check_date("2011-03-24T21:05:07.123456Z", Some("2011-03-24T21:05:07.123"));
        check_date("2012-02-29T00.00.00.000", Some("2012-02-29T00:00:00.000"));
        check_date("2011-02-29T00.00.00.000", None);
        check_date("2011-13-01T00.00.00.000", None);
        check_date("2011-03-24T24.00.00.000", None);
        check_date("2011-03-24T21.05:07.000", None);
        check_date("2011-03-24 21.05.07.000", None);
        check_date("2011-03-24T21.05.07.", None);
        check_date("2011-03-24T21.05.07.1234567", None);
        check_date("", None);
        check_date("2011-3-24T21.05.07", None);
    }

    #[test]
    fn fits_text_is_what_fits_a_card_once_quotes_are_doubled() {
        assert!(FitsText::new(&"a".repeat(67)).is_some());
        assert!(FitsText::new(&"a".repeat(68)).is_none());
        assert!(FitsText::new(&"'".repeat(34)).is_some());
        assert!(FitsText::new(&"'".repeat(35)).is_none(), "70 columns once encoded");
        assert!(FitsText::new(&format!("{}'", "a".repeat(66))).is_some());
        assert!(FitsText::new(&format!("{}''", "a".repeat(65))).is_none());
    }

    #[test]
    fn ranges() {
        assert!(ExposureDuration::from_secs(0.01).is_some());
        assert!(ExposureDuration::from_secs(0.009).is_none());
        assert!(ExposureDuration::from_secs(f64::NAN).is_none());
        assert!(PulseDuration::from_secs(655.35).is_some());
        assert!(PulseDuration::from_secs(655.36).is_none());
        assert!(
            FilterSlot::new(8).is_some() && FilterSlot::new(9).is_none() && FilterSlot::new(-1).is_none()
        );
        assert!(FilterName::new("Luminance").is_some());
        assert!(FilterName::new("seventeen chars!!").is_none());
        assert!(FitsText::new("M27 'Dumbbell'").is_some());
        assert!(FitsText::new("tab\there").is_none());
        assert!(AoPosition::new(100.0).is_some() && AoPosition::new(100.5).is_none());
    }
}
