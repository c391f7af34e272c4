//! The client's direction: a [`Command`] written as the request target a camera reads
//! (a reply is read back by the parsers beside its formatters, in [`crate::reply`] and
//! the value types). `Command::parse(target(c)) == c`
//! for every command (tested below), so client and server cannot drift apart.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::command::Command;
use crate::{FilterKey, FitsChange};

/// Characters left as they are in a parameter value: unreserved ones (RFC 3986).
const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn encode(text: &str) -> String {
    utf8_percent_encode(text, VALUE).to_string()
}

/// A real as a parameter value: shortest form that reads back exactly.
fn num(value: f64) -> String {
    format!("{value}")
}

impl Command {
    /// The request target of this call, e.g. `/api/ImagerGetSettings.cgi?BinX&NumX`.
    pub fn target(&self) -> String {
        let (name, params): (String, Vec<String>) = match self {
            Command::GetSettings { ccd, keys } => (
                format!("{}GetSettings.cgi", ccd.prefix()),
                keys.iter().map(|k| k.name().to_owned()).collect(),
            ),
            Command::SetSettings { ccd, update } => (
                format!("{}SetSettings.cgi", ccd.prefix()),
                update
                    .changes
                    .iter()
                    .map(|c| format!("{}={}", c.key.name(), c.value.map_or_else(|| "NaN".to_owned(), num)))
                    .collect(),
            ),
            Command::State(ccd) => (format!("{}State.cgi", ccd.prefix()), vec![]),
            Command::ImageReady(ccd) => (format!("{}ImageReady.cgi", ccd.prefix()), vec![]),
            Command::DataBin(ccd) => (format!("{}Data.bin", ccd.prefix()), vec![]),
            Command::DataFits(ccd) => (format!("{}.FIT", ccd.prefix()), vec![]),
            Command::StartExposure { ccd, request } => {
                let mut p = vec![
                    format!("Duration={}", num(request.duration.secs())),
                    format!("FrameType={}", request.frame_type.code()),
                ];
                if let Some(dt) = request.date_time {
                    // The spec's form: dots between the time fields, `:` being reserved.
                    p.push(format!("DateTime={}", dt.to_fits().replace(':', ".")));
                }
                (format!("{}StartExposure.cgi", ccd.prefix()), p)
            }
            Command::AbortExposure(ccd) => (format!("{}AbortExposure.cgi", ccd.prefix()), vec![]),
            Command::FilterState => ("FilterState.cgi".to_owned(), vec![]),
            Command::GetFilterSettings(keys) => {
                ("GetFilterSetting.cgi".to_owned(), keys.iter().map(|k| k.name()).collect())
            }
            Command::ChangeFilter(slot) => {
                ("ChangeFilter.cgi".to_owned(), vec![format!("NewPosition={}", slot.get())])
            }
            Command::SetFilterNames(names) => (
                "SetFilterName.cgi".to_owned(),
                names
                    .iter()
                    .map(|(slot, name)| {
                        format!("{}={}", FilterKey::Name(*slot).name(), encode(name.as_str()))
                    })
                    .collect(),
            ),
            Command::PulseGuide(request) => {
                let mut p = Vec::new();
                for pulse in request.pulses() {
                    let axis = pulse.relay.axis();
                    p.push(format!("Direction{axis}={}", pulse.relay.direction()));
                    p.push(format!("Duration{axis}={}", num(pulse.duration.secs())));
                }
                ("PulseGuide.cgi".to_owned(), p)
            }
            Command::IsPulseGuiding => ("IsPulseGuiding.cgi".to_owned(), vec![]),
            Command::PulseGuideTimeRemaining(relays) => (
                "PulseGuideGetTimeRemaining.cgi".to_owned(),
                relays.iter().map(|r| r.name().to_owned()).collect(),
            ),
            Command::AoGuide { x, y } => (
                "AOGuide.cgi".to_owned(),
                vec![format!("XPosition={}", num(x.get())), format!("YPosition={}", num(y.get()))],
            ),
            Command::AoStatus => ("AOStatus.cgi".to_owned(), vec![]),
            Command::GetFitsSettings(keys) => {
                ("GetFITSSetting.cgi".to_owned(), keys.iter().map(|k| k.name().to_owned()).collect())
            }
            Command::SetFitsSettings(changes) => {
                ("SetFITSSetting.cgi".to_owned(), changes.iter().map(fits_change).collect())
            }
            Command::Description => ("Description.cgi".to_owned(), vec![]),
            Command::VersionNumbers => ("VersionNumbers.cgi".to_owned(), vec![]),
        };
        if params.is_empty() { format!("/api/{name}") } else { format!("/api/{name}?{}", params.join("&")) }
    }

    /// Whether repeating this call changes nothing on the camera: only such calls may
    /// be retried after a lost answer (never a start, a pulse or a move).
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Command::GetSettings { .. }
                | Command::State(_)
                | Command::ImageReady(_)
                | Command::DataBin(_)
                | Command::DataFits(_)
                | Command::FilterState
                | Command::GetFilterSettings(_)
                | Command::IsPulseGuiding
                | Command::PulseGuideTimeRemaining(_)
                | Command::AoStatus
                | Command::GetFitsSettings(_)
                | Command::Description
                | Command::VersionNumbers
        )
    }
}

fn fits_change(change: &FitsChange) -> String {
    match change {
        FitsChange::ObjectName(t) => format!("ObjectName={}", encode(t.as_str())),
        FitsChange::Observer(t) => format!("Observer={}", encode(t.as_str())),
        FitsChange::Telescope(t) => format!("Telescope={}", encode(t.as_str())),
        FitsChange::FocalLength(v) => format!("FL={}", num(*v)),
        FitsChange::Aperture(v) => format!("Aperture={}", num(*v)),
        FitsChange::Area(v) => format!("Area={}", num(*v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RawRequest;

    /// Parses `target`, writes the command back, parses again: both commands must agree,
    /// and the written target must be the one given (targets here are in canonical form).
    fn check(target: &str) {
        let command = Command::parse(&RawRequest::parse(target).unwrap()).unwrap();
        assert_eq!(command.target(), target);
        assert_eq!(Command::parse(&RawRequest::parse(&command.target()).unwrap()).unwrap(), command);
    }

    #[test]
    fn every_call_round_trips() {
        for target in [
            "/api/ImagerGetSettings.cgi?MaxADU&MaxBinX&MaxBinY&PixelSizeX",
            "/api/GuiderSetSettings.cgi?BinX=2&StartX=10&NumX=100",
            "/api/ExtGuiderState.cgi",
            "/api/ImagerImageReady.cgi",
            "/api/ImagerData.bin",
            "/api/Guider.FIT",
            "/api/ImagerStartExposure.cgi?Duration=0.5&FrameType=3&DateTime=2011-03-24T21.05.07.123",
            "/api/ImagerAbortExposure.cgi",
            "/api/FilterState.cgi",
            "/api/GetFilterSetting.cgi?CurrentFilter&CurrentFilterName&Filter3Name",
            "/api/ChangeFilter.cgi?NewPosition=8",
            "/api/SetFilterName.cgi?Filter1Name=H%20alpha%27s",
            "/api/PulseGuide.cgi?DirectionX=1&DurationX=0.25&DirectionY=0&DurationY=655.35",
            "/api/IsPulseGuiding.cgi",
            "/api/PulseGuideGetTimeRemaining.cgi?XPlus&YMinus",
            "/api/AOGuide.cgi?XPosition=55&YPosition=42.5",
            "/api/AOStatus.cgi",
            "/api/GetFITSSetting.cgi?ObjectName&FL",
            "/api/SetFITSSetting.cgi?ObjectName=California%20Nebula%20%28NGC1499%29&FL=2000.5",
            "/api/Description.cgi",
            "/api/VersionNumbers.cgi",
        ] {
            check(target);
        }
    }
}
