//! The ASCOM Alpaca face over real sockets on the manual clock: the conformance
//! checker's checks (docs/alpaca.md), written as our own, one `check` helper per area.

mod common;

use common::{RawReply, TestServer, exchange};
use serde_json::{Value, json};

/// An Alpaca client of one test server.
struct Alpaca {
    server: TestServer,
}

/// A reply's JSON envelope, or the HTTP status and text of a non-JSON reply.
#[derive(Debug, PartialEq)]
enum Answer {
    /// HTTP 200 with the envelope: `Value` (or null), `ErrorNumber`.
    Json { value: Value, error: u64 },
    /// Any other status, with its text.
    Http(u16),
}

impl Alpaca {
    fn start() -> Alpaca {
        Alpaca { server: TestServer::start() }
    }

    fn request(&self, method: &str, path: &str, body: &str, accept: Option<&str>) -> RawReply {
        let addr = self.server.stxd().alpaca_addr().expect("the Alpaca face is served");
        let accept = accept.map_or_else(String::new, |a| format!("Accept: {a}\r\n"));
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        exchange(addr, request.as_bytes()).unwrap()
    }

    fn answer(reply: &RawReply) -> Answer {
        if reply.status() != 200 {
            return Answer::Http(reply.status());
        }
        let json: Value =
            serde_json::from_slice(reply.body()).unwrap_or_else(|e| panic!("{e}: {}", reply.text()));
        Answer::Json {
            value: json.get("Value").cloned().unwrap_or(Value::Null),
            error: json["ErrorNumber"].as_u64().unwrap(),
        }
    }

    /// `GET /api/v1/{device}/{member}?{query}`.
    fn get(&self, device: &str, member: &str, query: &str) -> Answer {
        Self::answer(&self.request("GET", &format!("/api/v1/{device}/{member}?{query}"), "", None))
    }

    /// `PUT /api/v1/{device}/{member}` with the form `body`.
    fn put(&self, device: &str, member: &str, body: &str) -> Answer {
        Self::answer(&self.request("PUT", &format!("/api/v1/{device}/{member}"), body, None))
    }

    /// A getter's value, insisting on success.
    fn value(&self, device: &str, member: &str) -> Value {
        match self.get(device, member, "") {
            Answer::Json { value, error: 0 } => value,
            other => panic!("{device}/{member}: {other:?}"),
        }
    }

    /// A PUT that must succeed.
    fn ok(&self, device: &str, member: &str, body: &str) {
        assert_eq!(self.put(device, member, body), ok(), "{device}/{member} {body}");
    }

    fn connect(&self, device: &str) {
        self.ok(device, "connect", "");
    }

    /// Exposes `seconds` through `camera` and moves the clock until its image is ready.
    fn expose(&self, camera: &str, seconds: f64, light: bool) {
        self.ok(camera, "startexposure", &format!("Duration={seconds}&Light={light}"));
        assert_eq!(self.value(camera, "imageready"), json!(false));
        self.server.advance(seconds);
        for _ in 0..400 {
            if self.value(camera, "imageready") == json!(true) {
                return;
            }
            self.server.advance(0.25);
        }
        panic!("{camera}: no image within 100 s of readout");
    }
}

fn ok() -> Answer {
    Answer::Json { value: Value::Null, error: 0 }
}

fn error(number: u64) -> Answer {
    Answer::Json { value: Value::Null, error: number }
}

const CAMERA: &str = "camera/0";
const WHEEL: &str = "filterwheel/0";

#[test]
fn bad_paths_and_wrong_case_keys_are_http_400() {
    let a = Alpaca::start();
    let check = |method: &str, path: &str, body: &str, expect: u16| {
        assert_eq!(a.request(method, path, body, None).status(), expect, "{method} {path} {body}");
    };
    check("GET", "/api/v1/camera/0/name", "", 200);
    check("GET", "/api/v1/Camera/0/name", "", 400);
    check("GET", "/API/v1/camera/0/name", "", 400);
    check("GET", "/api/v1/camera/0/Name", "", 400);
    check("GET", "/api/v1/camera/3/name", "", 400);
    check("GET", "/api/v1/camera/00/name", "", 400);
    check("GET", "/api/v1/telescope/0/name", "", 400);
    check("GET", "/api/v1/filterwheel/1/name", "", 400);
    check("GET", "/api/v1/camera/0/nosuchmember", "", 400);
    check("PUT", "/api/v1/camera/0/camerastate", "", 400);
    check("GET", "/api/v1/camera/0/startexposure", "", 400);
    check("DELETE", "/api/v1/camera/0/name", "", 400);
    a.connect(CAMERA);
    check("PUT", "/api/v1/camera/0/binx", "bINX=2", 400);
    check("PUT", "/api/v1/camera/0/binx", "BinX=two", 400);
    check("PUT", "/api/v1/camera/0/binx", "BinX=2&Unknown=1", 200);
    // GET keys are case-insensitive.
    check("GET", "/api/v1/camera/0/binx?clienttransactionid=3", "", 200);
}

#[test]
fn transaction_ids_round_trip() {
    let a = Alpaca::start();
    let ids = |method: &str, path: &str, body: &str| {
        let reply = a.request(method, path, body, None);
        let json: Value = serde_json::from_slice(reply.body()).unwrap();
        (json["ClientTransactionID"].as_u64().unwrap(), json["ServerTransactionID"].as_u64().unwrap())
    };
    let (client, first) = ids("GET", "/api/v1/camera/0/name?ClientID=1&ClientTransactionID=77", "");
    assert_eq!(client, 77);
    assert!(first >= 1);
    let (client, second) = ids("GET", "/api/v1/camera/0/name?clienttransactionid=78", "");
    assert_eq!((client, second), (78, first + 1));
    assert_eq!(ids("PUT", "/api/v1/camera/0/connect", "ClientTransactionID=79").0, 79);
    // A misspelt key in a PUT form is ignored, not refused.
    assert_eq!(ids("PUT", "/api/v1/camera/0/connect", "clienttransactionid=80").0, 0);
    assert_eq!(ids("GET", "/management/apiversions?ClientTransactionID=81", "").0, 81);
}

#[test]
fn operational_calls_need_a_connection() {
    let a = Alpaca::start();
    let check = |device: &str, member: &str, expect: Answer| {
        assert_eq!(a.get(device, member, ""), expect, "{member}")
    };
    for device in [CAMERA, "camera/1", "camera/2", WHEEL] {
        check(device, "connected", Answer::Json { value: json!(false), error: 0 });
        check(device, "connecting", Answer::Json { value: json!(false), error: 0 });
        assert!(matches!(a.get(device, "name", ""), Answer::Json { error: 0, .. }));
        assert!(matches!(a.get(device, "interfaceversion", ""), Answer::Json { error: 0, .. }));
        check(device, "devicestate", error(0x407));
    }
    check(CAMERA, "binx", error(0x407));
    assert_eq!(a.put(CAMERA, "startexposure", "Duration=1&Light=true"), error(0x407));
    check(WHEEL, "position", error(0x407));
    a.ok(CAMERA, "connected", "Connected=True");
    check(CAMERA, "connected", Answer::Json { value: json!(true), error: 0 });
    check(CAMERA, "binx", Answer::Json { value: json!(1), error: 0 });
    a.ok(CAMERA, "disconnect", "");
    check(CAMERA, "binx", error(0x407));
}

#[test]
fn binning_and_the_unsupported_members() {
    let a = Alpaca::start();
    a.connect(CAMERA);
    let max = a.value(CAMERA, "maxbinx").as_u64().unwrap();
    let check = |body: &str, expect: Answer| assert_eq!(a.put(CAMERA, "binx", body), expect, "{body}");
    check("BinX=0", error(0x401));
    check(&format!("BinX={}", max + 1), error(0x401));
    check(&format!("BinX={max}"), ok());
    assert_eq!(a.value(CAMERA, "binx"), json!(max));
    let unsupported = |method: &str, member: &str, body: &str| {
        let answer = if method == "GET" { a.get(CAMERA, member, "") } else { a.put(CAMERA, member, body) };
        assert_eq!(answer, error(0x400), "{member}");
    };
    for member in [
        "gain",
        "gainmin",
        "gainmax",
        "gains",
        "offset",
        "offsets",
        "bayeroffsetx",
        "fastreadout",
        "subexposureduration",
        "sensorname",
    ] {
        unsupported("GET", member, "");
    }
    unsupported("PUT", "gain", "Gain=1");
    unsupported("PUT", "stopexposure", "");
    assert_eq!(a.value(CAMERA, "canstopexposure"), json!(false));
    assert_eq!(a.value(CAMERA, "canabortexposure"), json!(true));
    assert_eq!(a.value(CAMERA, "sensortype"), json!(0));
    assert_eq!(a.value(CAMERA, "readoutmodes"), json!(["Normal"]));
    assert_eq!(a.put(CAMERA, "readoutmode", "ReadoutMode=1"), error(0x401));
    assert_eq!(a.put(CAMERA, "action", "Action=x&Parameters="), error(0x40C));
    assert_eq!(a.put(CAMERA, "commandblind", "Command=x&Raw=false"), error(0x400));
    // AbortExposure while idle is no error.
    a.ok(CAMERA, "abortexposure", "");
}

#[test]
fn nothing_is_ready_before_the_first_exposure() {
    let a = Alpaca::start();
    a.connect(CAMERA);
    assert_eq!(a.value(CAMERA, "imageready"), json!(false));
    assert_eq!(a.value(CAMERA, "camerastate"), json!(0));
    assert_eq!(a.get(CAMERA, "imagearray", ""), error(0x40B));
    assert_eq!(a.get(CAMERA, "lastexposureduration", ""), error(0x402));
    assert_eq!(a.get(CAMERA, "lastexposurestarttime", ""), error(0x402));
    // An image error is the JSON envelope even when ImageBytes was asked for.
    let reply = a.request("GET", "/api/v1/camera/0/imagearray", "", Some("application/imagebytes"));
    assert_eq!(reply.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(Alpaca::answer(&reply), error(0x40B));
}

#[test]
fn the_setpoint_limits() {
    let a = Alpaca::start();
    a.connect(CAMERA);
    let check = |c: &str, expect: Answer| {
        assert_eq!(a.put(CAMERA, "setccdtemperature", &format!("SetCCDTemperature={c}")), expect, "{c}")
    };
    check("100", error(0x401));
    check("-273.16", error(0x401));
    check("99.9", ok());
    check("-25", ok());
    assert_eq!(a.value(CAMERA, "setccdtemperature"), json!(-25.0));
    a.ok(CAMERA, "cooleron", "CoolerOn=true");
    assert_eq!(a.value(CAMERA, "cooleron"), json!(true));
    assert_eq!(a.value(CAMERA, "cansetccdtemperature"), json!(true));
    // The guide CCDs share the imager's cooler but cannot set it.
    a.connect("camera/1");
    assert_eq!(a.value("camera/1", "cansetccdtemperature"), json!(false));
    assert_eq!(a.put("camera/1", "setccdtemperature", "SetCCDTemperature=-10"), error(0x400));
}

/// The image of an exposure of `camera` as ImageBytes: (NumX, NumY, pixels x-major).
fn image_bytes(a: &Alpaca, camera: &str) -> (u32, u32, Vec<u16>) {
    let reply = a.request("GET", &format!("/api/v1/{camera}/imagearray"), "", Some("application/imagebytes"));
    assert_eq!(reply.header("content-type").as_deref(), Some("application/imagebytes"));
    let body = reply.body();
    let word = |i: usize| u32::from_le_bytes(body[4 * i..4 * i + 4].try_into().unwrap());
    assert_eq!((word(0), word(1), word(4), word(5), word(6), word(7)), (1, 0, 44, 2, 8, 2));
    let pixels = body[44..].chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    (word(8), word(9), pixels)
}

/// The body of a chunked reply.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}

#[test]
fn exposures_at_every_binning_give_numx_by_numy_images_equal_to_the_stx_download() {
    let a = Alpaca::start();
    a.connect(CAMERA);
    let max_bin = a.value(CAMERA, "maxbinx").as_u64().unwrap() as u32;
    for bin in 1..=max_bin {
        let (num_x, num_y) = (48 / bin, 30 / bin);
        for (key, value) in [
            ("BinX", bin),
            ("BinY", bin),
            ("StartX", 100 / bin),
            ("StartY", 60 / bin),
            ("NumX", num_x),
            ("NumY", num_y),
        ] {
            a.ok(CAMERA, &key.to_ascii_lowercase(), &format!("{key}={value}"));
        }
        // Another client's settings in between do not change the device's.
        a.server.ok("ImagerSetSettings.cgi?BinX=1&BinY=1&StartX=0&NumX=10");
        a.expose(CAMERA, 1.0, true);
        // As the pipeline does on its own: the camera holds at most four frames untaken.
        a.server.drain();
        let (width, height, pixels) = image_bytes(&a, CAMERA);
        assert_eq!((width, height), (num_x, num_y), "bin {bin}");
        // The STX's own download of the same frame, rows from the top: the transpose.
        let stx = a.server.get("/api/ImagerData.bin");
        let rows: Vec<u16> = stx.body().chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        let transposed: Vec<u16> = (0..num_x)
            .flat_map(|x| (0..num_y).map(move |y| (x, y)))
            .map(|(x, y)| rows[(y * num_x + x) as usize])
            .collect();
        assert_eq!(pixels, transposed, "bin {bin}");
        let settings = a.server.ok("ImagerGetSettings.cgi?StartX&NumX&BinX");
        assert_eq!(settings, format!("{}\r\n{}\r\n{bin}\r\n", 100 / bin * bin, num_x * bin));
        let json = a.request("GET", "/api/v1/camera/0/imagearray", "", None);
        assert_eq!(json.header("transfer-encoding").as_deref(), Some("chunked"), "streamed");
        let json: Value = serde_json::from_slice(&dechunk(json.body())).unwrap();
        assert_eq!((json["Type"].clone(), json["Rank"].clone()), (json!(2), json!(2)));
        let columns = json["Value"].as_array().unwrap();
        assert_eq!((columns.len(), columns[0].as_array().unwrap().len()), (num_x as usize, num_y as usize));
        assert_eq!(columns[1][0], json!(pixels[num_y as usize]));
    }
    // An ROI beyond the binned sensor is refused when the exposure starts.
    a.ok(CAMERA, "numx", "NumX=100000");
    assert_eq!(a.put(CAMERA, "startexposure", "Duration=1&Light=true"), error(0x401));
}

#[test]
fn the_last_exposure_is_reported_and_kept_in_the_history() {
    let a = Alpaca::start();
    a.connect(CAMERA);
    for (key, value) in [("NumX", 64), ("NumY", 64)] {
        a.ok(CAMERA, &key.to_ascii_lowercase(), &format!("{key}={value}"));
    }
    let before = chrono::Utc::now();
    a.ok(CAMERA, "startexposure", "Duration=2.5&Light=true");
    assert_eq!(a.value(CAMERA, "camerastate"), json!(2));
    assert_eq!(a.put(CAMERA, "startexposure", "Duration=1&Light=true"), error(0x40B));
    a.server.advance(2.5);
    a.server.advance(30.0);
    assert_eq!(a.value(CAMERA, "imageready"), json!(true));
    assert_eq!(a.value(CAMERA, "percentcompleted"), json!(100.0));
    assert_eq!(a.value(CAMERA, "lastexposureduration"), json!(2.5));
    let start = a.value(CAMERA, "lastexposurestarttime").as_str().unwrap().to_owned();
    let parsed = chrono::NaiveDateTime::parse_from_str(&start, "%Y-%m-%dT%H:%M:%S%.3f").unwrap().and_utc();
    assert!((parsed - before).num_seconds().abs() < 60, "{start}");
    assert_eq!(start.len(), "2026-01-01T00:00:00.000".len());
    assert_eq!(a.server.drain(), 1);
    // A dark of no length is a bias: Alpaca has no bias type.
    a.expose(CAMERA, 0.0, false);
    a.expose(CAMERA, 1.0, false);
    assert_eq!(a.server.drain(), 3);
    let (_, json) = a.server.api_json("/v2/api/image-history?all=true");
    let types: Vec<&str> =
        json["Response"].as_array().unwrap().iter().map(|r| r["ImageType"].as_str().unwrap()).collect();
    assert_eq!(types, ["LIGHT", "BIAS", "DARK"]);
}

#[test]
fn pulse_guides_close_the_relays_in_four_directions() {
    let a = Alpaca::start();
    for camera in [CAMERA, "camera/1", "camera/2"] {
        a.connect(camera);
        assert_eq!(a.value(camera, "canpulseguide"), json!(true));
    }
    let check = |direction: u8, relay: &str| {
        a.ok("camera/1", "pulseguide", &format!("Direction={direction}&Duration=500"));
        assert_eq!(a.value("camera/1", "ispulseguiding"), json!(true));
        let remaining = a.server.ok(&format!("PulseGuideGetTimeRemaining.cgi?{relay}"));
        assert_eq!(remaining.trim(), "0.50", "direction {direction}");
        a.server.advance(1.0);
        assert_eq!(a.value(CAMERA, "ispulseguiding"), json!(false));
    };
    check(0, "YMinus");
    check(1, "YPlus");
    check(2, "XPlus");
    check(3, "XMinus");
    assert_eq!(a.put("camera/2", "pulseguide", "Direction=4&Duration=10"), error(0x401));
    assert_eq!(a.put("camera/2", "pulseguide", "Direction=0&Duration=-1"), error(0x401));
}

#[test]
fn device_state_names_the_operational_properties() {
    let a = Alpaca::start();
    let names = |device: &str| -> Vec<String> {
        a.connect(device);
        let state = a.value(device, "devicestate");
        state.as_array().unwrap().iter().map(|i| i["Name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(
        names(CAMERA),
        [
            "CameraState",
            "CCDTemperature",
            "CoolerPower",
            "HeatSinkTemperature",
            "ImageReady",
            "IsPulseGuiding",
            "PercentCompleted",
            "TimeStamp"
        ]
    );
    // The external guider has no cooler.
    assert_eq!(
        names("camera/2"),
        [
            "CameraState",
            "HeatSinkTemperature",
            "ImageReady",
            "IsPulseGuiding",
            "PercentCompleted",
            "TimeStamp"
        ]
    );
    assert_eq!(names(WHEEL), ["Position", "TimeStamp"]);
}

#[test]
fn the_wheel_reads_minus_one_while_moving() {
    let a = Alpaca::start();
    a.connect(WHEEL);
    assert_eq!(a.value(WHEEL, "names").as_array().unwrap().len(), 8);
    assert_eq!(a.value(WHEEL, "focusoffsets"), json!([0, 0, 0, 0, 0, 0, 0, 0]));
    a.ok(WHEEL, "position", "Position=3");
    assert_eq!(a.value(WHEEL, "position"), json!(-1));
    a.server.advance(10.0);
    assert_eq!(a.value(WHEEL, "position"), json!(3));
    assert_eq!(a.server.ok("GetFilterSetting.cgi?CurrentFilter"), "4\r\n");
    assert_eq!(a.put(WHEEL, "position", "Position=8"), error(0x401));
    assert_eq!(a.put(WHEEL, "position", "Position=-1"), error(0x401));
}

#[test]
fn management_lists_the_devices_with_ids_kept_across_restarts() {
    let a = Alpaca::start();
    let management = |path: &str| -> Value {
        let reply = a.request("GET", path, "", None);
        assert_eq!(reply.status(), 200, "{path}");
        serde_json::from_slice::<Value>(reply.body()).unwrap()["Value"].clone()
    };
    assert_eq!(management("/management/apiversions"), json!([1]));
    assert_eq!(management("/management/v1/description")["ServerName"], json!("stxd"));
    let devices = management("/management/v1/configureddevices");
    let listed: Vec<(String, u64)> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["DeviceType"].as_str().unwrap().to_owned(), d["DeviceNumber"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [("Camera".into(), 0), ("Camera".into(), 1), ("Camera".into(), 2), ("FilterWheel".into(), 0)]
    );
    let ids: Vec<Value> = devices.as_array().unwrap().iter().map(|d| d["UniqueID"].clone()).collect();
    assert_eq!(a.request("GET", "/setup", "", None).status(), 200);
    assert_eq!(a.request("GET", "/setup/v1/camera/0/setup", "", None).status(), 200);
    let saved = a.request(
        "POST",
        "/setup/v1/filterwheel/0/setup",
        "Offset0=10&Offset1=-5&Offset2=0&Offset3=0&Offset4=0&Offset5=0&Offset6=0&Offset7=7",
        None,
    );
    assert!(saved.text().contains("Saved."), "{}", saved.text());
    let dir = a.server.stop();
    let again = Alpaca { server: TestServer::start_in(dir) };
    let reply = again.request("GET", "/management/v1/configureddevices", "", None);
    let devices: Value = serde_json::from_slice::<Value>(reply.body()).unwrap()["Value"].clone();
    let ids_again: Vec<Value> = devices.as_array().unwrap().iter().map(|d| d["UniqueID"].clone()).collect();
    assert_eq!(ids, ids_again);
    again.connect(WHEEL);
    assert_eq!(again.value(WHEEL, "focusoffsets"), json!([10, -5, 0, 0, 0, 0, 0, 7]));
}

#[test]
fn discovery_answers_with_the_alpaca_port_and_shares_its_own() {
    let server = TestServer::try_start(tempfile::tempdir().unwrap(), |c| c.alpaca_discovery_port = Some(0))
        .unwrap_or_else(|(e, _)| panic!("stxd starts: {e}"));
    let port = server.stxd().alpaca_discovery_addr().expect("discovery is answered").port();
    let alpaca_port = server.stxd().alpaca_addr().unwrap().port();
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    // Not a discovery request: no answer, so the first answer read is the request's.
    client.send_to(b"alpacadiscovery2", ("127.0.0.1", port)).unwrap();
    client.send_to(b"alpacadiscovery1", ("127.0.0.1", port)).unwrap();
    let mut buf = [0; 128];
    let (n, from) = client.recv_from(&mut buf).unwrap();
    let answer: Value = serde_json::from_slice(&buf[..n]).unwrap();
    assert_eq!((answer, from.port()), (json!({ "AlpacaPort": alpaca_port }), port));
    // Another Alpaca server can share the port.
    use rustix::net::{AddressFamily, SocketType, sockopt};
    let other = rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, None).unwrap();
    sockopt::set_socket_reuseaddr(&other, true).unwrap();
    sockopt::set_socket_reuseport(&other, true).unwrap();
    rustix::net::bind(&other, &std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, port)).unwrap();
}

#[test]
fn a_real_camera_behind_the_proxy_serves_alpaca_the_same() {
    // The "real" camera: a simulated stxd on its own manual clock, fronted by a proxy
    // whose Alpaca face is driven here.
    let camera = TestServer::start();
    let proxy = Alpaca { server: TestServer::start_proxy(&camera.harness.stx_url()) };
    proxy.connect(CAMERA);
    for (key, value) in [("BinX", 2), ("BinY", 2), ("NumX", 40), ("NumY", 24)] {
        proxy.ok(CAMERA, &key.to_ascii_lowercase(), &format!("{key}={value}"));
    }
    proxy.ok(CAMERA, "startexposure", "Duration=1&Light=true");
    camera.advance(1.0);
    camera.advance_until("ImagerState.cgi", "0\r\n", 60.0);
    assert_eq!(proxy.value(CAMERA, "imageready"), json!(true));
    let (width, height, pixels) = image_bytes(&proxy, CAMERA);
    assert_eq!((width, height), (40, 24));
    let rows: Vec<u16> = camera
        .get("/api/ImagerData.bin")
        .body()
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let transposed: Vec<u16> =
        (0..40).flat_map(|x| (0..24).map(move |y| (x, y))).map(|(x, y)| rows[y * 40 + x]).collect();
    assert_eq!(pixels, transposed);
}

#[test]
fn a_rebound_host_is_refused_and_unreadable_requests_get_a_text_400() {
    let a = Alpaca::start();
    let addr = a.server.stxd().alpaca_addr().unwrap();
    let evil = exchange(
        addr,
        b"GET /api/v1/camera/0/name HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(evil.unwrap().status(), 403);
    let garbage = exchange(addr, b"\x01\x02 nonsense\r\n\r\n").unwrap();
    assert_eq!((garbage.status(), garbage.text()), (400, "Malformed request".to_owned()));
}

#[test]
fn an_exposure_under_way_can_be_aborted() {
    let a = Alpaca::start();
    a.connect(CAMERA);
    a.ok(CAMERA, "numx", "NumX=32");
    a.ok(CAMERA, "numy", "NumY=32");
    a.ok(CAMERA, "startexposure", "Duration=60&Light=true");
    a.server.advance(10.0);
    assert_eq!(a.value(CAMERA, "camerastate"), json!(2));
    let percent = a.value(CAMERA, "percentcompleted").as_f64().unwrap();
    assert!((0.0..=100.0).contains(&percent), "{percent}");
    a.ok(CAMERA, "abortexposure", "");
    assert_eq!(a.value(CAMERA, "camerastate"), json!(0));
    assert_eq!(a.value(CAMERA, "imageready"), json!(false));
    assert_eq!(a.server.drain(), 0);
}

#[test]
fn a_discovery_port_held_unshared_leaves_stxd_serving_without_discovery() {
    let holder = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let server =
        TestServer::try_start(tempfile::tempdir().unwrap(), |c| c.alpaca_discovery_port = Some(port))
            .unwrap_or_else(|(e, _)| panic!("stxd starts: {e}"));
    assert_eq!(server.stxd().alpaca_discovery_addr(), None);
    assert!(server.stxd().alpaca_addr().is_some());
}

/// Members, keys and values thrown at the face in any mix: every reply is the JSON
/// envelope (HTTP 200) or a text 400, never a panic or a hang.
mod arbitrary_calls {
    use proptest::prelude::*;

    use super::*;

    const MEMBERS: &[&str] = &[
        "binx",
        "numx",
        "startx",
        "setccdtemperature",
        "cooleron",
        "startexposure",
        "abortexposure",
        "pulseguide",
        "imagearray",
        "readoutmode",
        "position",
        "connected",
        "devicestate",
        "gain",
        "nosuch",
    ];
    const KEYS: &[&str] = &[
        "BinX",
        "NumX",
        "StartX",
        "SetCCDTemperature",
        "CoolerOn",
        "Duration",
        "Light",
        "Direction",
        "Position",
        "Connected",
        "ClientTransactionID",
        "binx",
    ];
    const VALUES: &[&str] = &[
        "0",
        "1",
        "-1",
        "2",
        "99.99",
        "1e308",
        "-1e308",
        "NaN",
        "inf",
        "True",
        "false",
        "",
        "%FF",
        "4294967296",
        "655351",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn every_reply_is_the_envelope_or_a_text_400(
            device in prop::sample::select(vec![CAMERA, "camera/1", "camera/2", WHEEL]),
            member in prop::sample::select(MEMBERS.to_vec()),
            put in any::<bool>(),
            pairs in prop::collection::vec((prop::sample::select(KEYS.to_vec()), prop::sample::select(VALUES.to_vec())), 0..4),
        ) {
            thread_local! { static FACE: Alpaca = { let a = Alpaca::start(); for d in [CAMERA, "camera/1", "camera/2", WHEEL] { a.connect(d); } a }; }
            let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let body = body.join("&");
            FACE.with(|a| {
                let reply = if put {
                    a.request("PUT", &format!("/api/v1/{device}/{member}"), &body, None)
                } else {
                    a.request("GET", &format!("/api/v1/{device}/{member}?{body}"), "", None)
                };
                match reply.status() {
                    200 => {
                        let json: Value = serde_json::from_slice(reply.body()).expect("the envelope");
                        assert!(json["ErrorNumber"].is_u64() && json["ServerTransactionID"].as_u64() >= Some(1), "{json}");
                    }
                    400 => assert!(!reply.text().is_empty()),
                    other => panic!("{other} for {put} {device}/{member} {body}"),
                }
            });
        }
    }
}
