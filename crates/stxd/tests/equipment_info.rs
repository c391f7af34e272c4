//! The v2 equipment endpoints over HTTP: the implementation's field names, order and
//! types for the camera and its wheel, filled from the simulated camera and following
//! what STX clients do to it; and the socket's filter-change announcement.

mod common;

use std::time::Duration;

use common::TestServer;
use serde_json::Value;

/// The camera's keys, in the order the implementation writes them.
const CAMERA_FIELDS: [&str; 62] = [
    "TargetTemp",
    "AtTargetTemp",
    "CanSetTemperature",
    "HasShutter",
    "Temperature",
    "Gain",
    "DefaultGain",
    "ElectronsPerADU",
    "BinX",
    "BitDepth",
    "BinY",
    "CanSetOffset",
    "CanGetGain",
    "OffsetMin",
    "OffsetMax",
    "Offset",
    "DefaultOffset",
    "USBLimit",
    "IsSubSampleEnabled",
    "CameraState",
    "XSize",
    "YSize",
    "PixelSize",
    "HasBattery",
    "Battery",
    "GainMin",
    "GainMax",
    "CanSetGain",
    "Gains",
    "CoolerOn",
    "CoolerPower",
    "HasDewHeater",
    "DewHeaterOn",
    "CanSubSample",
    "SubSampleX",
    "SubSampleY",
    "SubSampleWidth",
    "SubSampleHeight",
    "TemperatureSetPoint",
    "ReadoutModes",
    "ReadoutMode",
    "ReadoutModeForSnapImages",
    "ReadoutModeForNormalImages",
    "IsExposing",
    "ExposureEndTime",
    "LastDownloadTime",
    "SensorType",
    "BayerOffsetX",
    "BayerOffsetY",
    "BinningModes",
    "ExposureMax",
    "ExposureMin",
    "LiveViewEnabled",
    "CanShowLiveView",
    "SupportedActions",
    "CanSetUSBLimit",
    "USBLimitMin",
    "USBLimitMax",
    "Connected",
    "Name",
    "DisplayName",
    "DeviceId",
];

/// The wheel's keys, in order.
const WHEEL_FIELDS: [&str; 11] = [
    "Connected",
    "Name",
    "DisplayName",
    "Description",
    "DriverInfo",
    "DriverVersion",
    "DeviceId",
    "SupportedActions",
    "IsMoving",
    "SelectedFilter",
    "AvailableFilters",
];

/// The `Response` of `path` as raw JSON text, after checking the envelope around it
/// and that its keys are exactly `fields`, in order.
fn check(s: &TestServer, path: &str, fields: &[&str]) -> (String, Value) {
    let r = s.api(path);
    let text = r.text();
    assert_eq!(r.status(), 200, "{text}");
    assert!(text.starts_with(r#"{"Response":{"#), "{text}");
    assert!(text.ends_with(r#","Error":"","StatusCode":200,"Success":true,"Type":"API"}"#), "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    let response = json["Response"].clone();
    let keys: Vec<&str> = response.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(keys.iter().all(|k| fields.contains(k)), "no other keys: {text}");
    let present: Vec<&str> = fields.iter().copied().filter(|f| keys.contains(f)).collect();
    let mut at = 0;
    for field in &present {
        let found =
            text[at..].find(&format!("\"{field}\":")).unwrap_or_else(|| panic!("{field} in order: {text}"));
        at += found;
    }
    (text, response)
}

#[test]
fn camera_info_describes_the_imager_with_the_plugins_types() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?CoolerState=1&CCDTemperatureSetpoint=-20&BinX=2&BinY=2");
    s.advance(600.0);
    let (text, c) = check(&s, "/v2/api/equipment/camera/info", &CAMERA_FIELDS);
    assert_eq!(c.as_object().unwrap().len(), CAMERA_FIELDS.len(), "every field, none null: {text}");
    assert!(!text.contains("null"), "{text}");
    // Whole-number doubles have no fraction; integers are integers.
    assert!(text.contains(r#""TemperatureSetPoint":-20,"#), "{text}");
    assert!(text.contains(r#""TargetTemp":-20,"#), "{text}");
    assert!(text.contains(r#""PixelSize":9,"#), "{text}");
    assert!(text.contains(r#""BinX":2,"BitDepth":16,"BinY":2,"#), "{text}");
    assert!(text.contains(r#""Gain":-1,"DefaultGain":-1,"ElectronsPerADU":"NaN","#), "{text}");
    assert_eq!((c["XSize"].as_u64(), c["YSize"].as_u64()), (Some(4096), Some(4096)));
    assert_eq!((c["Connected"].as_bool(), c["Name"].as_str()), (Some(true), Some("SBIG STX-16803")));
    assert_eq!(c["CameraState"], "Idle");
    assert_eq!(c["SensorType"], "Monochrome");
    assert_eq!(c["CoolerOn"], true);
    let t = c["Temperature"].as_f64().unwrap();
    assert!(t < 0.0, "cooling: {t}");
    assert_eq!(c["AtTargetTemp"].as_bool(), Some((t + 20.0).abs() <= 0.5), "{t}");
    assert!(c["CoolerPower"].as_f64().unwrap() > 0.0);
    assert_eq!(c["ReadoutModes"], serde_json::json!(["Default"]));
    assert_eq!(c["BinningModes"][0], serde_json::json!({"Name": "1x1", "X": 1, "Y": 1}));
    assert_eq!(c["IsExposing"], false);

    // An exposure started by an STX client shows, with its end.
    s.ok("ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=256&NumY=256");
    s.ok("ImagerStartExposure.cgi?Duration=30&FrameType=1");
    let (_, c) = check(&s, "/v2/api/equipment/camera/info", &CAMERA_FIELDS);
    assert_eq!((c["CameraState"].as_str(), c["IsExposing"].as_bool()), (Some("Exposing"), Some(true)));
    assert_eq!((c["IsSubSampleEnabled"].as_bool(), c["SubSampleWidth"].as_u64()), (Some(true), Some(256)));
    let end = chrono::DateTime::parse_from_rfc3339(c["ExposureEndTime"].as_str().unwrap()).unwrap();
    let left = (end - chrono::Local::now().fixed_offset()).num_milliseconds();
    assert!((25_000..=30_000).contains(&left), "ends in about 30 s: {left} ms");
}

#[test]
fn filter_wheel_info_follows_the_wheel() {
    let s = TestServer::start();
    s.ok("SetFilterName.cgi?Filter1Name=L&Filter5Name=Ha");
    s.ok("ChangeFilter.cgi?NewPosition=5");
    let (text, w) = check(&s, "/v2/api/equipment/filterwheel/info", &WHEEL_FIELDS);
    assert_eq!((w["Connected"].as_bool(), w["IsMoving"].as_bool()), (Some(true), Some(true)), "{text}");
    assert_eq!(w["AvailableFilters"][0], serde_json::json!({"Name": "L", "Id": 0}));
    assert_eq!(w["AvailableFilters"].as_array().unwrap().len(), 8);
    s.advance(30.0);
    let (_, w) = check(&s, "/v2/api/equipment/filterwheel/info", &WHEEL_FIELDS);
    assert_eq!(w["IsMoving"], false);
    assert_eq!(w["SelectedFilter"], serde_json::json!({"Name": "Ha", "Id": 4}));
    // A wheel that is not there: disconnected, still every name.
    s.get("/sim/faults/filter-wheel?mode=absent");
    let (text, w) = check(&s, "/v2/api/equipment/filterwheel/info", &WHEEL_FIELDS);
    assert_eq!(w["Connected"], false, "{text}");
    assert!(w.get("SelectedFilter").is_none(), "left out, never null: {text}");
}

#[test]
fn the_socket_announces_a_filter_change() {
    use futures_util::StreamExt;
    let s = TestServer::start();
    s.ok("SetFilterName.cgi?Filter1Name=L&Filter2Name=R");
    s.ok("ChangeFilter.cgi?NewPosition=1");
    s.advance(30.0);
    let url = format!("ws://{}/v2/socket", s.stxd().api_addr());
    let mut socket =
        s.harness.runtime().block_on(async { tokio_tungstenite::connect_async(url).await.unwrap().0 });
    // The watcher reads the camera every second: let it see slot 1 at rest first.
    std::thread::sleep(Duration::from_millis(2500));
    s.ok("ChangeFilter.cgi?NewPosition=2");
    s.advance(30.0);
    let message = s.harness.runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap()
    });
    assert_eq!(
        message.into_text().unwrap().to_string(),
        concat!(
            r#"{"Response":{"Event":"FILTERWHEEL-CHANGED","Previous":{"Name":"L","Id":0},"#,
            r#""New":{"Name":"R","Id":1}},"Error":"","StatusCode":200,"Success":true,"Type":"Socket"}"#
        )
    );
    let (_, json) = s.api_json("/v2/api/event-history");
    let last = json["Response"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["Event"].as_str(), last["New"]["Name"].as_str()),
        (Some("FILTERWHEEL-CHANGED"), Some("R"))
    );
}

/// In front of a real camera (here a second stxd as the camera), the info is the
/// camera's; a camera that does not answer is the plugin's disconnected camera.
#[test]
fn camera_info_through_the_proxy_and_without_a_camera() {
    let camera = TestServer::start();
    let proxy = TestServer::start_proxy(&format!("http://{}", camera.addr()));
    camera.ok("ImagerSetSettings.cgi?CoolerState=1&CCDTemperatureSetpoint=-10");
    let (_, c) = check(&proxy, "/v2/api/equipment/camera/info", &CAMERA_FIELDS);
    assert_eq!((c["Connected"].as_bool(), c["Name"].as_str()), (Some(true), Some("SBIG STX-16803")));
    assert_eq!((c["CoolerOn"].as_bool(), c["TemperatureSetPoint"].as_f64()), (Some(true), Some(-10.0)));
    let (_, w) = check(&proxy, "/v2/api/equipment/filterwheel/info", &WHEEL_FIELDS);
    assert_eq!(w["Connected"], true);

    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let lost = TestServer::start_proxy(&format!("http://{nobody}"));
    let (text, c) = check(&lost, "/v2/api/equipment/camera/info", &CAMERA_FIELDS);
    assert_eq!(
        (c["Connected"].as_bool(), c["CameraState"].as_str()),
        (Some(false), Some("NoState")),
        "{text}"
    );
    assert!(c.get("Name").is_none(), "no name for a camera not there: {text}");
}
