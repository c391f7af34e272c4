//! Arbitrary query strings thrown at the whole front, with a real simulated camera
//! behind it: no panic, and always a 200, 400 or 404 reply.

mod common;

use std::sync::Arc;

use proptest::prelude::*;
use stx_protocol::reply::Status;
use stx_sim::ManualClock;
use stx_sim::preset::ModelPreset;
use stx_sim::sim::{SimCamera, SimConfig};

const CALLS: &[&str] = &[
    "ImagerGetSettings.cgi",
    "ImagerSetSettings.cgi",
    "GuiderSetSettings.cgi",
    "ExtGuiderSetSettings.cgi",
    "ImagerStartExposure.cgi",
    "GuiderStartExposure.cgi",
    "ImagerAbortExposure.cgi",
    "ImagerState.cgi",
    "ImagerData.bin",
    "Imager.FIT",
    "ChangeFilter.cgi",
    "SetFilterName.cgi",
    "GetFilterSetting.cgi",
    "PulseGuide.cgi",
    "PulseGuideGetTimeRemaining.cgi",
    "AOGuide.cgi",
    "GetFITSSetting.cgi",
    "SetFITSSetting.cgi",
    "Description.cgi",
    "NoSuchThing.cgi",
];
const NAMES: &[&str] = &[
    "BinX",
    "BinY",
    "NumX",
    "NumY",
    "StartX",
    "StartY",
    "CoolerState",
    "CCDTemperatureSetpoint",
    "FanState",
    "Duration",
    "FrameType",
    "DateTime",
    "NewPosition",
    "Filter1",
    "Filter2Name",
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
    "Area",
];

fn query() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        "-?[0-9]{1,6}(\\.[0-9]{0,3})?",
        "[0-9]E-?[0-9]{1,3}",
        "[ -~]{0,24}",
        "(%[0-9a-fA-F]{2}){1,6}",
        Just("1e400".to_owned()),
    ];
    let param = (prop::sample::select(NAMES), prop::option::of(value))
        .prop_map(|(n, v)| v.map_or(n.to_owned(), |v| format!("{n}={}", v.replace(['&', '#', ' '], "+"))));
    prop::collection::vec(param, 0..6).prop_map(|ps| ps.join("&"))
}

fn camera() -> (SimCamera, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let preset = ModelPreset::resolve("stx-16803").unwrap();
    (SimCamera::new(SimConfig { preset, seed: 1, data_dir: None, clock: clock.clone() }).unwrap(), clock)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_query_gets_200_400_or_404(calls in prop::collection::vec((prop::sample::select(CALLS), query(), 0.0..50.0f64), 1..6)) {
        let (camera, clock) = camera();
        for (call, q, advance) in calls {
            let reply = stxd::front::answer_target(&camera, &Default::default(), &format!("/api/{call}?{q}"));
            prop_assert!(matches!(reply.status, Status::Ok | Status::BadRequest | Status::NotFound));
            if reply.status == Status::BadRequest {
                prop_assert!(reply.body.ends_with(b"\r\n"), "a 400 says why");
            }
            clock.advance(advance);
        }
    }

    #[test]
    fn arbitrary_targets_get_a_reply(target in "/[ -~]{0,300}") {
        let (camera, _) = camera();
        let reply = stxd::front::answer_target(&camera, &Default::default(), &target);
        prop_assert!(matches!(reply.status, Status::Ok | Status::BadRequest | Status::NotFound));
    }
}

#[test]
fn garbage_over_the_socket_gets_a_reply_or_a_clean_close() {
    let s = common::TestServer::start();
    for request in [
        &b"GET /api/ImagerState.cgi?%%%%&&==&= HTTP/1.0\r\n\r\n"[..],
        b"GET /api/ImagerSetSettings.cgi?BinX=%FF%FE HTTP/1.0\r\n\r\n",
        b"GET /api/ImagerStartExposure.cgi?Duration=1e400&FrameType=1 HTTP/1.0\r\n\r\n",
        b"DELETE /api/ImagerState.cgi HTTP/1.0\r\n\r\n",
    ] {
        let reply = s.raw(request);
        assert!([200, 400, 404].contains(&reply.status()), "{}", String::from_utf8_lossy(request));
    }
    // A request line hyper itself refuses still gets the port's 400 before the close.
    let reply = s.raw(b"NOT A REQUEST\r\n\r\n");
    assert_eq!(reply.status_line(), "HTTP/1.0 400 Bad Request", "{:?}", reply.bytes);
    assert_eq!(reply.text(), "Malformed request.\r\n");
}
