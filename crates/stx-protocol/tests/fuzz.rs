//! Arbitrary request targets thrown at both parsing stages: never a panic, and whatever
//! parses writes back to a target that parses to the same command.

use proptest::prelude::*;
use stx_protocol::command::Command;
use stx_protocol::request::RawRequest;

const CALLS: &[&str] = &[
    "ImagerGetSettings.cgi",
    "ImagerSetSettings.cgi",
    "GuiderSetSettings.cgi",
    "ExtGuiderGetSettings.cgi",
    "ImagerStartExposure.cgi",
    "GuiderStartExposure.cgi",
    "ImagerAbortExposure.cgi",
    "ImagerState.cgi",
    "ChangeFilter.cgi",
    "SetFilterName.cgi",
    "GetFilterSetting.cgi",
    "PulseGuide.cgi",
    "PulseGuideGetTimeRemaining.cgi",
    "AOGuide.cgi",
    "GetFITSSetting.cgi",
    "SetFITSSetting.cgi",
    "Imager.FIT",
];
const NAMES: &[&str] = &[
    "BinX",
    "BinY",
    "NumX",
    "StartX",
    "CoolerState",
    "CCDTemperatureSetpoint",
    "FanPower",
    "Duration",
    "FrameType",
    "DateTime",
    "NewPosition",
    "Filter1",
    "Filter8Name",
    "CurrentFilter",
    "DirectionX",
    "DurationX",
    "DirectionY",
    "DurationY",
    "XPosition",
    "YPosition",
    "XPlus",
    "ObjectName",
    "FL",
    "Bogus",
];

fn query() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just(String::new()),
        "-?[0-9]{1,5}(\\.[0-9]{0,3})?",
        "[0-9]E-?[0-9]{1,2}",
        "[ -~]{0,20}",
        "(%[0-9a-fA-F]{2}){1,4}",
        Just("2011-03-24T21.05.07.123".to_owned()),
    ];
    let param = (prop::sample::select(NAMES), prop::option::of(value))
        .prop_map(|(n, v)| v.map_or(n.to_owned(), |v| format!("{n}={}", v.replace(['&', '#'], ""))));
    prop::collection::vec(param, 0..6).prop_map(|ps| ps.join("&"))
}

proptest! {
    #[test]
    fn known_calls_with_arbitrary_parameters(call in prop::sample::select(CALLS), q in query()) {
        let target = format!("/api/{call}?{q}");
        let raw = RawRequest::parse(&target).unwrap();
        if let Ok(command) = Command::parse(&raw) {
            let again = Command::parse(&RawRequest::parse(&command.target()).unwrap());
            prop_assert_eq!(again, Ok(command));
        }
    }

    #[test]
    fn arbitrary_targets_never_panic(target in "/[ -~]{0,200}") {
        if let Ok(raw) = RawRequest::parse(&target) {
            let _ = Command::parse(&raw);
        }
    }
}
