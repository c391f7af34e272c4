//! The STX HTTP Camera API over a real socket: the spec's example conversations byte
//! for byte, every endpoint, every error code, and the rules of
//! `stx-api-decisions.md`.

mod common;

use common::TestServer;

#[test]
fn spec_example_imager_state() {
    let s = TestServer::start();
    let r = s.raw(b"GET /api/ImagerState.cgi HTTP/1.0\r\n\r\n");
    assert_eq!(r.bytes, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n0\r\n");
}

#[test]
fn spec_example_multiple_parameter_get() {
    let s = TestServer::start();
    let r = s.raw(b"GET /api/ImagerGetSettings.cgi?MaxADU&MaxBinX&MaxBinY&PixelSizeX HTTP/1.0\r\n\r\n");
    assert_eq!(
        r.bytes,
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\n65535\r\n9\r\n9\r\n9.00\r\n"
    );
}

#[test]
fn spec_example_no_valid_parameter() {
    let s = TestServer::start();
    let r = s.raw(b"GET /api/ImagerGetSettings.cgi HTTP/1.0\r\n\r\n");
    assert_eq!(
        r.bytes,
        b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 33\r\n\r\n0x80001000\r\nNo valid parameter.\r\n"
            as &[u8]
    );
}

#[test]
fn spec_example_set_with_no_data() {
    let s = TestServer::start();
    let r = s.raw(b"GET /api/ImagerSetSettings.cgi?BinX=1 HTTP/1.0\r\n\r\n");
    assert_eq!(r.bytes, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
}

#[test]
fn http_1_1_gets_a_1_1_reply() {
    let s = TestServer::start();
    let r = s.raw(b"GET /api/ImagerState.cgi HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status_line(), "HTTP/1.1 200 OK");
    assert_eq!(r.body(), b"0\r\n");
}

#[test]
fn wire_errors_are_replies() {
    let s = TestServer::start();
    let r = s.get("/api/NoSuchCall.cgi");
    assert_eq!((r.status(), r.header("Content-Type").as_deref()), (404, Some("text/plain")));
    assert_eq!(s.get("/index.htm").status(), 404);
    let r = s.raw(b"POST /api/ImagerState.cgi HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.status(), 400);
    assert_eq!(r.text(), "Only GET requests are supported.\r\n");
    let r = s.raw(b"HEAD /api/ImagerState.cgi HTTP/1.0\r\n\r\n");
    assert_eq!((r.status(), r.body()), (200, &b""[..]));

    let long = format!("/api/ImagerState.cgi?{}", "a".repeat(8193 - "/api/ImagerState.cgi?".len()));
    assert_eq!(long.len(), 8193);
    let r = s.get(&long);
    assert_eq!((r.status(), r.text().as_str()), (400, "Request URI longer than 8192 bytes.\r\n"));
    let at_limit = &long[..8192];
    assert_eq!(s.get(at_limit).status(), 200, "8192 bytes is within the spec's limit");
}

#[test]
fn paths_and_names_in_any_case_and_cache_busters() {
    let s = TestServer::start();
    assert_eq!(s.ok("imagerstate.cgi"), "0\r\n");
    assert_eq!(s.ok("CurrentCCDState.cgi"), "0\r\n");
    assert_eq!(s.ok("FilterState.cgi&0.84"), "0\r\n");
    assert_eq!(s.ok("ImagerGetSettings.cgi?binx&0.84"), "1\r\n");
}

#[test]
fn get_settings_of_each_ccd() {
    let s = TestServer::start();
    assert_eq!(s.ok("ImagerGetSettings.cgi?CameraXSize&CameraYSize"), "4096\r\n4096\r\n");
    assert_eq!(s.ok("GuiderGetSettings.cgi?CameraXSize&CameraYSize&PixelSizeX"), "640\r\n480\r\n7.40\r\n");
    assert_eq!(s.ok("ExtGuiderGetSettings.cgi?CameraXSize&CameraYSize"), "640\r\n480\r\n");
    // Every listed key answers, one line each, in request order.
    let imager = [
        "BinX",
        "BinY",
        "CoolerState",
        "CCDTemperature",
        "CCDTemperatureSetpoint",
        "CoolerPower",
        "CameraXSize",
        "CameraYSize",
        "ElectronsPerADU",
        "FullWellCapacity",
        "AmbientTemperature",
        "MaxADU",
        "MaxBinX",
        "MaxBinY",
        "StartX",
        "StartY",
        "NumX",
        "NumY",
        "PixelSizeX",
        "PixelSizeY",
        "FanState",
        "FanPower",
        "OverScan",
    ];
    let body = s.ok(&format!("ImagerGetSettings.cgi?{}", imager.join("&")));
    let lines: Vec<&str> = body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), imager.len(), "{body}");
    assert_eq!(lines[8], "1.27");
    assert_eq!(lines[9], "100000");
    assert_eq!(lines[4], "25.00", "the spec's default setpoint");
    assert!(lines.iter().all(|l| !l.is_empty()));
    // Integers never carry a decimal point; reals carry exactly two decimals.
    for (key, value) in imager.iter().zip(&lines) {
        let real = [
            "CCDTemperature",
            "CCDTemperatureSetpoint",
            "CoolerPower",
            "ElectronsPerADU",
            "AmbientTemperature",
            "PixelSizeX",
            "PixelSizeY",
        ];
        if real.contains(key) {
            assert_eq!(value.split('.').nth(1).map(str::len), Some(2), "{key}={value}");
        } else {
            assert!(value.parse::<i64>().is_ok(), "{key}={value}");
        }
    }
    let guider =
        s.ok("GuiderGetSettings.cgi?CoolerState&CCDTemperature&CoolerPower&MaxBinX&CCDTemperatureSetpoint");
    assert_eq!(guider.lines().count(), 4, "the guider reads the shared cooler; it has no setpoint key");
    s.err("ExtGuiderGetSettings.cgi?CoolerState&CCDTemperature", "0x80001000");
    s.err("GuiderGetSettings.cgi?Nothing", "0x80001000");
    assert_eq!(s.ok("ImagerGetSettings.cgi?BinX&BinX"), "1\r\n1\r\n", "each occurrence is answered");
}

#[test]
fn set_settings_apply_in_spec_order_and_stop_at_the_first_bad_value() {
    let s = TestServer::start();
    // NumX is applied after BinX whatever the query order; its error leaves BinX set.
    s.err("ImagerSetSettings.cgi?NumX=5000&BinX=2", "0x80001005");
    assert_eq!(s.ok("ImagerGetSettings.cgi?BinX&NumX"), "2\r\n4096\r\n");
    // NumX is checked against the StartX set earlier in the same call.
    s.err("ImagerSetSettings.cgi?NumX=200&StartX=4000", "0x80001005");
    assert_eq!(s.ok("ImagerGetSettings.cgi?StartX&NumX"), "4000\r\n4096\r\n");
    s.ok("ImagerSetSettings.cgi?StartX=0");
    // Each parameter's own code, and "not a number" is out of range.
    s.err("ImagerSetSettings.cgi?BinX=0", "0x80001001");
    s.err("ImagerSetSettings.cgi?BinX=10", "0x80001001");
    s.err("ImagerSetSettings.cgi?BinY=abc", "0x80001002");
    s.err("ImagerSetSettings.cgi?StartX=4096", "0x80001003");
    s.err("ImagerSetSettings.cgi?StartY=-1", "0x80001004");
    s.err("ImagerSetSettings.cgi?NumX=0", "0x80001005");
    s.err("ImagerSetSettings.cgi?NumY=4097", "0x80001006");
    s.err("ImagerSetSettings.cgi?CoolerState=2", "0x80001009");
    s.err("ImagerSetSettings.cgi?CCDTemperatureSetpoint=-100.5", "0x80001009");
    s.err("ImagerSetSettings.cgi?FanPower=101", "0x80001009");
    // Later parameters after a bad one are not applied.
    s.err("ImagerSetSettings.cgi?BinX=3&BinY=99&NumY=10", "0x80001002");
    assert_eq!(s.ok("ImagerGetSettings.cgi?BinX&BinY&NumY"), "3\r\n1\r\n4096\r\n");
    // Last occurrence wins; unknown parameters are ignored.
    s.ok("ImagerSetSettings.cgi?BinX=1&BinX=2&Bogus=7");
    assert_eq!(s.ok("ImagerGetSettings.cgi?BinX"), "2\r\n");
    s.ok("ImagerSetSettings.cgi?CoolerState=1&CCDTemperatureSetpoint=-20&FanState=1&FanPower=55&OverScan=1");
    assert_eq!(
        s.ok("ImagerGetSettings.cgi?CoolerState&CCDTemperatureSetpoint&FanState&FanPower&OverScan"),
        "1\r\n-20.00\r\n1\r\n55\r\n1\r\n"
    );
    // The guider's set call takes no cooler parameters; ExtGuider has its own frame.
    s.ok("GuiderSetSettings.cgi?CoolerState=0&BinX=2");
    assert_eq!(s.ok("ImagerGetSettings.cgi?CoolerState"), "1\r\n");
    assert_eq!(s.ok("GuiderGetSettings.cgi?BinX"), "2\r\n");
    s.err("ExtGuiderSetSettings.cgi?BinX=4", "0x80001001");
    s.ok("ExtGuiderSetSettings.cgi?StartX=10&NumX=100");
    assert_eq!(s.ok("ExtGuiderGetSettings.cgi?StartX&NumX"), "10\r\n100\r\n");
}

#[test]
fn num_x_is_checked_when_an_exposure_starts() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?NumX=4096&NumY=4096");
    s.ok("ImagerSetSettings.cgi?StartX=100");
    assert_eq!(s.ok("ImagerGetSettings.cgi?NumX"), "4096\r\n", "never changed automatically");
    s.err("ImagerStartExposure.cgi?Duration=1&FrameType=1", "0x80001009");
    assert_eq!(s.ok("ImagerState.cgi"), "0\r\n");
}

#[test]
fn start_exposure_parameters() {
    let s = TestServer::start();
    s.err("ImagerStartExposure.cgi", "0x8000100a");
    s.err("ImagerStartExposure.cgi?Duration=1", "0x8000100a");
    s.err("ImagerStartExposure.cgi?FrameType=1", "0x8000100a");
    s.err("ImagerStartExposure.cgi?Duration=0.001&FrameType=1", "0x80001009");
    s.err("ImagerStartExposure.cgi?Duration=1E-05&FrameType=1", "0x80001009");
    s.err("ImagerStartExposure.cgi?Duration=86401&FrameType=1", "0x80001009");
    s.err("ImagerStartExposure.cgi?Duration=nan&FrameType=1", "0x80001009");
    s.err("ImagerStartExposure.cgi?Duration=1&FrameType=7", "0x80001009");
    s.err("ImagerStartExposure.cgi?Duration=1&FrameType=1&DateTime=2011-13-01T00.00.00", "0x80001009");
    s.ok("ImagerStartExposure.cgi?Duration=1.0&FrameType=1&DateTime=2011-03-24T21:05:07Z");
}

#[test]
fn exposure_state_machine_on_the_manual_clock() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=640&NumY=480");
    assert_eq!(s.ok("ImagerImageReady.cgi"), "0\r\n");
    assert_eq!(s.get("/api/ImagerData.bin").body().len(), 0, "no frame ever taken: empty body");
    s.ok("ImagerStartExposure.cgi?Duration=10&FrameType=1");
    assert_eq!(s.ok("ImagerState.cgi"), "2\r\n", "exposing as soon as the start is answered");
    assert_eq!(s.ok("ImagerImageReady.cgi"), "0\r\n");
    s.err("ImagerStartExposure.cgi?Duration=10&FrameType=1", "0x80001008");
    s.advance(9.9);
    assert_eq!(s.ok("ImagerState.cgi"), "2\r\n");
    s.advance(0.2);
    assert_eq!(s.ok("ImagerState.cgi"), "3\r\n");
    s.err("ImagerStartExposure.cgi?Duration=10&FrameType=1", "0x80001008");
    let readout = s.advance_until("ImagerState.cgi", "0\r\n", 60.0);
    assert!(readout > 0.0, "reading out takes time");
    assert_eq!(s.ok("ImagerImageReady.cgi"), "1\r\n");
    let bin = s.get("/api/ImagerData.bin");
    assert_eq!(bin.header("Content-Type").as_deref(), Some("application/octet-stream"));
    assert_eq!(bin.body().len(), 640 * 480 * 2);
    assert_eq!(bin.header("Content-Length"), Some((640 * 480 * 2).to_string()));
    // Downloading does not clear ImageReady; the same frame comes again.
    assert_eq!(s.ok("ImagerImageReady.cgi"), "1\r\n");
    assert_eq!(s.get("/api/ImagerData.bin").body(), bin.body());
}

#[test]
fn binning_and_subframes_give_the_specs_byte_count() {
    let s = TestServer::start();
    for (set, bytes) in [
        ("BinX=2&BinY=2&StartX=0&StartY=0&NumX=101&NumY=51", (101 / 2) * (51 / 2) * 2),
        ("BinX=3&BinY=1&StartX=7&StartY=9&NumX=300&NumY=20", 100 * 20 * 2),
    ] {
        s.ok(&format!("ImagerSetSettings.cgi?{set}"));
        s.ok("ImagerStartExposure.cgi?Duration=0.01&FrameType=2");
        s.advance_until("ImagerState.cgi", "0\r\n", 60.0);
        assert_eq!(s.get("/api/ImagerData.bin").body().len(), bytes, "{set}");
    }
}

#[test]
fn binned_frames_read_out_faster() {
    let s = TestServer::start();
    let mut times = Vec::new();
    for bin in [1, 2] {
        s.ok(&format!("ImagerSetSettings.cgi?BinX={bin}&BinY={bin}&NumX=2048&NumY=2048"));
        s.ok("ImagerStartExposure.cgi?Duration=1&FrameType=0");
        s.advance(1.0);
        times.push(s.advance_until("ImagerState.cgi", "0\r\n", 60.0));
    }
    assert!(times[1] < times[0], "bin 2 reads out faster: {times:?}");
}

#[test]
fn abort_in_each_state() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?NumX=640&NumY=480");
    s.ok("ImagerAbortExposure.cgi"); // idle: ignored
    s.ok("ImagerStartExposure.cgi?Duration=5&FrameType=1");
    s.ok("ImagerAbortExposure.cgi"); // exposing: back to idle, no image
    assert_eq!(s.ok("ImagerState.cgi"), "0\r\n");
    assert_eq!(s.ok("ImagerImageReady.cgi"), "0\r\n");
    s.ok("ImagerStartExposure.cgi?Duration=5&FrameType=1");
    s.advance(5.01);
    assert_eq!(s.ok("ImagerState.cgi"), "3\r\n");
    s.err("ImagerAbortExposure.cgi", "0x80001007"); // reading out: cannot stop
    s.advance_until("ImagerState.cgi", "0\r\n", 60.0);
    assert_eq!(s.ok("ImagerImageReady.cgi"), "1\r\n");
    // A new start clears ImageReady at once.
    s.ok("ImagerStartExposure.cgi?Duration=5&FrameType=1");
    assert_eq!(s.ok("ImagerImageReady.cgi"), "0\r\n");
}

#[test]
fn the_three_ccds_are_independent() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?NumX=640&NumY=480");
    s.ok("ImagerStartExposure.cgi?Duration=100&FrameType=1");
    s.ok("GuiderStartExposure.cgi?Duration=1&FrameType=1");
    s.ok("ExtGuiderStartExposure.cgi?Duration=2.52&FrameType=1");
    assert_eq!(s.ok("GuiderState.cgi"), "2\r\n");
    s.advance(1.01);
    s.advance_until("GuiderState.cgi", "0\r\n", 10.0);
    assert_eq!(s.ok("GuiderImageReady.cgi"), "1\r\n");
    assert_eq!(s.get("/api/GuiderData.bin").body().len(), 640 * 480 * 2);
    assert_eq!(s.ok("ImagerState.cgi"), "2\r\n");
    s.advance_until("ExtGuiderState.cgi", "0\r\n", 10.0);
    assert_eq!(s.get("/api/ExtGuiderData.bin").body().len(), 640 * 480 * 2);
    s.ok("GuiderAbortExposure.cgi");
    s.ok("ExtGuiderAbortExposure.cgi");
    assert_eq!(s.ok("ImagerState.cgi"), "2\r\n");
}

#[test]
fn filter_wheel() {
    let s = TestServer::start();
    assert_eq!(
        s.ok("GetFilterSetting.cgi?CurrentFilter&CurrentFilterName&Filter1Name"),
        "0\r\n\r\nEmpty\r\n"
    );
    s.err("ChangeFilter.cgi", "0x8000100a");
    s.err("ChangeFilter.cgi?NewPosition=9", "0x80001009");
    s.err("ChangeFilter.cgi?NewPosition=x", "0x80001009");
    s.ok("ChangeFilter.cgi?NewPosition=4");
    assert_eq!(s.ok("FilterState.cgi"), "1\r\n");
    s.err("ChangeFilter.cgi?NewPosition=1", "0x8000100b");
    let t = s.advance_until("FilterState.cgi", "0\r\n", 30.0);
    assert!(t > 0.0);
    assert_eq!(s.ok("GetFilterSetting.cgi?CurrentFilter"), "4\r\n");
    s.ok("ChangeFilter.cgi?NewPosition=4"); // the current slot is allowed
    s.advance_until("FilterState.cgi", "0\r\n", 30.0);
    s.err("GetFilterSetting.cgi?Nothing", "0x80001000");
}

#[test]
fn filter_names_both_spellings_and_persistence() {
    let s = TestServer::start();
    s.ok(
        "SetFilterName.cgi?Filter1=Luminance&Filter2Name=Red&Filter3=seventeen%20chars%21%21&Filter4=H%CE%B1",
    );
    assert_eq!(
        s.ok("GetFilterSetting.cgi?Filter1Name&Filter2&Filter3Name&Filter4Name"),
        "Luminance\r\nRed\r\nEmpty\r\nEmpty\r\n",
        "names breaking the rules are ignored, the rest applies"
    );
    s.ok("ChangeFilter.cgi?NewPosition=2");
    s.advance_until("FilterState.cgi", "0\r\n", 30.0);
    assert_eq!(s.ok("GetFilterSetting.cgi?CurrentFilterName"), "Red\r\n");
    s.ok("SetFITSSetting.cgi?ObjectName=M27&FL=1000");
    let dir = s.stop();
    let s = TestServer::start_in(dir);
    assert_eq!(s.ok("GetFilterSetting.cgi?Filter1Name&Filter2Name"), "Luminance\r\nRed\r\n", "kept in flash");
    assert_eq!(s.ok("GetFITSSetting.cgi?ObjectName&FL"), "M27\r\n1000.00\r\n", "kept in flash");
}

#[test]
fn pulse_guide() {
    let s = TestServer::start();
    assert_eq!(s.ok("IsPulseGuiding.cgi"), "0\r\n");
    s.err("PulseGuide.cgi", "0x8000100a");
    s.err("PulseGuide.cgi?DirectionX=0", "0x8000100a");
    s.err("PulseGuide.cgi?DurationY=1", "0x8000100a");
    s.err("PulseGuide.cgi?DirectionX=0&DurationX=1&DirectionY=1", "0x8000100a");
    s.err("PulseGuide.cgi?DirectionX=2&DurationX=1", "0x80001009");
    s.err("PulseGuide.cgi?DirectionY=0&DurationY=655.36", "0x80001009");
    s.err("PulseGuide.cgi?DirectionY=0&DurationY=0", "0x80001009");
    s.ok("PulseGuide.cgi?DirectionY=1&DurationY=10");
    s.ok("PulseGuide.cgi?DirectionX=0&DurationX=2");
    assert_eq!(s.ok("IsPulseGuiding.cgi"), "1\r\n");
    assert_eq!(
        s.ok("PulseGuideGetTimeRemaining.cgi?XPlus&XMinus&YPlus&YMinus"),
        "2.00\r\n0.00\r\n0.00\r\n10.00\r\n"
    );
    s.advance(1.5);
    assert_eq!(s.ok("PulseGuideGetTimeRemaining.cgi?XPlus&YMinus"), "0.50\r\n8.50\r\n");
    // A new pulse on an active relay restarts its time; the opposite relay opens.
    s.ok("PulseGuide.cgi?DirectionY=1&DurationY=3");
    assert_eq!(s.ok("PulseGuideGetTimeRemaining.cgi?YMinus"), "3.00\r\n");
    s.ok("PulseGuide.cgi?DirectionY=0&DurationY=1");
    assert_eq!(s.ok("PulseGuideGetTimeRemaining.cgi?YPlus&YMinus"), "1.00\r\n0.00\r\n");
    s.advance(1.0);
    assert_eq!(s.ok("IsPulseGuiding.cgi"), "0\r\n");
    s.err("PulseGuideGetTimeRemaining.cgi", "0x80001000");
}

#[test]
fn adaptive_optics() {
    let s = TestServer::start();
    assert_eq!(s.ok("AOStatus.cgi"), "0\r\n");
    s.err("AOGuide.cgi?XPosition=55", "0x8000100a");
    s.err("AOGuide.cgi?XPosition=55&YPosition=101", "0x80001009");
    s.err("AOGuide.cgi?XPosition=-1&YPosition=50", "0x80001009");
    s.ok("AOGuide.cgi?XPosition=100&YPosition=42");
    assert_eq!(s.ok("AOStatus.cgi"), "1\r\n");
    s.advance(1.0);
    assert_eq!(s.ok("AOStatus.cgi"), "0\r\n");
}

#[test]
fn fits_settings_and_identity() {
    let s = TestServer::start();
    assert_eq!(
        s.ok("GetFITSSetting.cgi?ObjectName&Observer&Telescope&FL&Aperture&Area"),
        "Object Description\r\nSTX Camera Operator\r\nTelescope Description\r\n2000.00\r\n200.00\r\n25000.00\r\n"
    );
    s.ok("SetFITSSetting.cgi?ObjectName=California%20Nebula%20%28NGC1499%29&Observer=O%27Brien&Aperture=abc&Area=31415.9");
    assert_eq!(
        s.ok("GetFITSSetting.cgi?ObjectName&Observer&Aperture&Area"),
        "California Nebula (NGC1499)\r\nO'Brien\r\n200.00\r\n31415.90\r\n"
    );
    s.ok(&format!("SetFITSSetting.cgi?Telescope={}", "x".repeat(68)));
    assert_eq!(s.ok("GetFITSSetting.cgi?Telescope"), "Telescope Description\r\n", "68 characters: ignored");
    s.err("GetFITSSetting.cgi", "0x80001000");
    assert_eq!(s.ok("Description.cgi"), "SBIG STX-16803\r\n");
    let versions = s.ok("VersionNumbers.cgi");
    let lines: Vec<&str> = versions.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[4], "1.00.1");
}

#[test]
fn fits_download_carries_the_header_and_the_same_pixels() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?BinX=2&BinY=2&StartX=10&StartY=20&NumX=200&NumY=100");
    s.ok("ChangeFilter.cgi?NewPosition=1");
    s.ok("SetFilterName.cgi?Filter1=Lum");
    s.advance_until("FilterState.cgi", "0\r\n", 30.0);
    s.ok("ImagerStartExposure.cgi?Duration=2.5&FrameType=3&DateTime=2011-03-24T21.05.07.123");
    s.advance_until("ImagerState.cgi", "0\r\n", 60.0);
    s.ok("SetFITSSetting.cgi?ObjectName=O%27Brien%27s%20nebula&Telescope=RC10");
    let fits = s.get("/api/Imager.FIT");
    assert_eq!(fits.header("Content-Type").as_deref(), Some("application/octet-stream"));
    let bytes = fits.body();
    assert_eq!(bytes.len() % 2880, 0);
    // Read back with the project's FITS reader; a missing card fails the test.
    let image = stx_camera::fits::read(bytes).expect("a readable FITS file");
    let value = |key: &str| -> String { image.value(key).unwrap_or_else(|| panic!("no {key}")).to_owned() };
    assert_eq!(value("OBJECT"), "O'Brien's nebula");
    assert_eq!(value("TELESCOP"), "RC10");
    assert_eq!(value("IMAGETYP"), "Flat Field");
    assert_eq!(value("DATE-OBS"), "2011-03-24T21:05:07.123");
    assert_eq!(value("FILTER"), "Lum");
    assert_eq!(value("XBINNING"), "2");
    assert_eq!(value("YBINNING"), "2");
    assert_eq!(value("XORGSUBF"), "10");
    assert_eq!(value("YORGSUBF"), "20");
    assert_eq!(value("XPIXSZ").parse::<f64>().unwrap(), 18.0);
    assert_eq!(value("NAXIS1"), "100");
    assert_eq!(value("NAXIS2"), "50");
    assert_eq!(value("EXPTIME").parse::<f64>().unwrap(), 2.5);
    assert_eq!(value("EGAIN").parse::<f64>().unwrap(), 1.27);
    assert_eq!(value("INSTRUME"), "SBIG STX-16803");
    assert_eq!(value("BZERO"), "32768");
    for key in ["CCD-TEMP", "SBSTDVER", "SWCREATE", "FOCALLEN", "APTDIA", "APTAREA", "OBSERVER"] {
        value(key);
    }
    // The data equal the .bin download of the same frame.
    let bin = s.get("/api/ImagerData.bin");
    let stx_camera::fits::Pixels::U16(pixels) = &image.pixels else { panic!("16-bit camera data") };
    let expected: Vec<u16> = bin.body().chunks(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    assert_eq!(*pixels, expected);
}

#[test]
fn full_featured_example_of_the_spec() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=640&NumY=480");
    s.ok("ImagerStartExposure.cgi?Duration=10&FrameType=1");
    let mut state = 2;
    let mut polls = 0;
    while state != 0 && state != 5 {
        state = s.ok("ImagerState.cgi").trim().parse().unwrap();
        s.advance(0.5);
        polls += 1;
        assert!(polls < 200, "the exposure never finished");
    }
    assert_eq!(state, 0);
    s.ok("SetFITSSetting.cgi?ObjectName=M27&Observer=SBIG&Telescope=RC10");
    let fits = s.get("/api/Imager.FIT");
    assert_eq!(fits.status(), 200);
    let data_blocks = (640 * 480 * 2usize).div_ceil(2880) * 2880;
    let header_len = fits.body().len() - data_blocks;
    assert!(
        header_len > 0 && header_len.is_multiple_of(2880),
        "header of whole blocks, then the data blocks"
    );
    assert!(String::from_utf8_lossy(&fits.body()[..2880]).contains("'M27"));
}

#[test]
fn same_seed_same_requests_same_bytes() {
    let take = || {
        let s = TestServer::start();
        s.ok("ImagerSetSettings.cgi?NumX=512&NumY=512");
        s.ok("PulseGuide.cgi?DirectionX=0&DurationX=1");
        s.ok("ImagerStartExposure.cgi?Duration=30&FrameType=1");
        s.advance(30.0);
        s.advance_until("ImagerState.cgi", "0\r\n", 60.0);
        s.get("/api/ImagerData.bin").body().to_vec()
    };
    let (a, b) = (take(), take());
    assert_eq!(a.len(), 512 * 512 * 2);
    assert!(a == b, "same seed and requests must give identical frames");
}
