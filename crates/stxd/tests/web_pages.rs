//! The camera's own web pages over a real socket (`docs/stx-web-pages.md`): the reply
//! heads byte for byte, each form's fields in form order, a form's effect read back
//! through `/api/` (and the API's settings shown on the pages), the glued query,
//! `?Abort`, bad input shown with nothing applied, the downloads, the pass-through in
//! proxy mode, and a client's whole flow from `exposure.html` to an astropy-checked
//! `Image.FIT`.

mod common;

use std::process::Command;

use common::html::{check_strict, form_fields, selected_options, value_pairs};
use common::{TestServer, skip_unless_ci};

/// The page at `target`: a 200 `text/html` reply whose HTML passes the strict rules.
fn page(s: &TestServer, target: &str) -> String {
    let r = s.get(target);
    assert_eq!((r.status(), r.header("Content-Type").as_deref()), (200, Some("text/html")), "{target}");
    let html = r.text();
    check_strict(&html).unwrap_or_else(|e| panic!("{target}: {e}\n{html}"));
    html
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(n, _)| n.as_str()).collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn refused(html: &str) -> bool {
    html.contains("Not applied:")
}

#[test]
fn pages_are_http_1_0_replies_like_the_apis() {
    let s = TestServer::start();
    for target in ["/", "/index.html", "/setup.html", "/exposure.html", "/filtersetup.html", "/network.html"]
    {
        let r = s.raw(format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes());
        let head = format!(
            "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
            r.body().len()
        );
        assert!(
            r.bytes.starts_with(head.as_bytes()),
            "{target}: {:?}",
            String::from_utf8_lossy(&r.bytes[..80])
        );
        assert!(r.text().starts_with("<!DOCTYPE html><html lang=\"en\">"), "{target}");
        let head_only = s.raw(format!("HEAD {target} HTTP/1.0\r\n\r\n").as_bytes());
        assert_eq!((head_only.status(), head_only.body()), (200, &b""[..]), "{target}");
    }
    assert_eq!(s.get("/INDEX.HTML").status(), 200, "page names match in any case, as the API's do");
    assert_eq!(s.get("/favicon.ico").status(), 404);
}

#[test]
fn the_status_page_lists_name_value_pairs() {
    let s = TestServer::start();
    let pairs = value_pairs(&page(&s, "/"));
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("Model"), Some(s.ok("Description.cgi").trim_end().to_owned()));
    assert_eq!(get("Firmware").as_deref(), s.ok("VersionNumbers.cgi").lines().next());
    assert_eq!(get("Imager").as_deref(), Some("Idle"));
    let temperature = s.ok("ImagerGetSettings.cgi?CCDTemperature");
    assert_eq!(get("CCD temperature"), Some(format!("{} °C", temperature.trim_end())));
    assert_eq!(page(&s, "/index.html"), page(&s, "/"));
    assert_eq!(page(&s, "/index.html?x=1"), page(&s, "/"), "the status page ignores a query");
}

#[test]
fn setup_form_fields_in_order_and_applied_through_the_api() {
    let s = TestServer::start();
    let fields = form_fields(&page(&s, "/setup.html"), "CameraSetup");
    assert_eq!(
        names(&fields),
        ["Bin", "CoolerState", "CCDTemperatureSetpoint", "Fan", "FanSetpoint", "FrameSize"]
    );
    assert_eq!((field(&fields, "Bin"), field(&fields, "FrameSize")), ("1", "1"));

    let html = page(
        &s,
        "/setup.html?Bin=2&CoolerState=1&CCDTemperatureSetpoint=-10.0&Fan=2&FanSetpoint=40.0&FrameSize=2",
    );
    assert!(html.contains("Settings applied."), "{html}");
    let shown = form_fields(&html, "CameraSetup");
    assert_eq!(
        shown.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
        ["2", "1", "-10.00", "2", "40", "2"],
        "the page shows the values now in force"
    );
    assert_eq!(
        s.ok(
            "ImagerGetSettings.cgi?BinX&BinY&CoolerState&CCDTemperatureSetpoint&FanState&FanPower&StartX&NumX"
        ),
        "2\r\n2\r\n1\r\n-10.00\r\n1\r\n40\r\n1024\r\n2048\r\n"
    );
    // Fan: 1 auto (the API's FanState 2), 3 off (0).
    page(&s, "/setup.html?Fan=1");
    assert_eq!(s.ok("ImagerGetSettings.cgi?FanState"), "2\r\n");
    page(&s, "/setup.html?Fan=3&FrameSize=1");
    assert_eq!(s.ok("ImagerGetSettings.cgi?FanState&StartX&NumX"), "0\r\n0\r\n4096\r\n");
}

#[test]
fn api_settings_show_on_the_setup_page() {
    let s = TestServer::start();
    s.ok(
        "ImagerSetSettings.cgi?BinX=3&BinY=3&CoolerState=1&CCDTemperatureSetpoint=-5&FanState=1&FanPower=70",
    );
    let fields = form_fields(&page(&s, "/setup.html"), "CameraSetup");
    let values: Vec<&str> = fields.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values, ["3", "1", "-5.00", "2", "70", "1"]);

    // A binning or window the page has no choice for is shown "as set", and sent back
    // as 0, which keeps it.
    s.ok("ImagerSetSettings.cgi?BinX=4&BinY=2&StartX=10&NumX=100");
    let html = page(&s, "/setup.html");
    let fields = form_fields(&html, "CameraSetup");
    assert_eq!((field(&fields, "Bin"), field(&fields, "FrameSize")), ("0", "0"));
    let echo: Vec<String> = fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
    assert!(!refused(&page(&s, &format!("/setup.html?{}", echo.join("&")))));
    assert_eq!(s.ok("ImagerGetSettings.cgi?BinX&BinY&StartX&NumX"), "4\r\n2\r\n10\r\n100\r\n");
}

#[test]
fn bad_setup_input_is_shown_and_nothing_is_applied() {
    let s = TestServer::start();
    let before = s.ok("ImagerGetSettings.cgi?BinX&CoolerState&CCDTemperatureSetpoint&FanPower");
    for (query, reason) in [
        ("Bin=2&CoolerState=1&CCDTemperatureSetpoint=abc", "CCDTemperatureSetpoint: must be a number"),
        ("Bin=7&CoolerState=1", "Bin: must be 1 (full)"),
        ("Bin=2&Colour=red", "Colour: this form has no such field"),
        ("Bin=2&FanSetpoint=150", "FanSetpoint: must be from 0 to 100"),
        ("Bin=2&CCDTemperatureSetpoint=-200", "CCDTemperatureSetpoint: must be from -100 to 100"),
    ] {
        let r = s.get(&format!("/setup.html?{query}"));
        assert_eq!(r.status(), 200, "{query}: the page again, like the camera's own UI");
        let html = r.text();
        check_strict(&html).unwrap();
        assert!(refused(&html) && html.contains(reason), "{query}: {html}");
        assert_eq!(
            s.ok("ImagerGetSettings.cgi?BinX&CoolerState&CCDTemperatureSetpoint&FanPower"),
            before,
            "{query}"
        );
    }
}

#[test]
fn exposure_page_starts_and_aborts_and_the_api_sees_it() {
    let s = TestServer::start();
    let fields = form_fields(&page(&s, "/exposure.html"), "Exposure");
    assert_eq!(names(&fields), ["ExposureTime", "ImageType", "Contrast", "DateTime"]);

    let html = page(&s, "/exposure.html?ExposureTime=10&ImageType=0&Contrast=1&DateTime=2026-11-21T15:36:");
    assert!(html.contains("Exposure started: 10.00 s, dark."), "{html}");
    assert!(html.contains(r#"href="/exposure.html?Abort""#), "an Abort button while exposing");
    assert_eq!(s.ok("CurrentCCDState.cgi"), "2\r\n");
    assert_eq!(s.ok("ImagerImageReady.cgi"), "0\r\n");
    let shown = form_fields(&html, "Exposure");
    assert_eq!(
        (field(&shown, "ExposureTime"), field(&shown, "ImageType"), field(&shown, "Contrast")),
        ("10.00", "0", "1")
    );

    let busy = page(&s, "/exposure.html?ExposureTime=1");
    assert!(refused(&busy) && busy.contains("busy"), "{busy}");
    assert!(page(&s, "/exposure.html?Abort").contains("Exposure aborted."));
    assert_eq!((s.ok("CurrentCCDState.cgi"), s.ok("ImagerImageReady.cgi")), ("0\r\n".into(), "0\r\n".into()));

    // An API start shows on the page, and the glued query starts one too.
    s.ok("ImagerStartExposure.cgi?Duration=5&FrameType=1");
    assert!(page(&s, "/exposure.html").contains(r#"<td class="value">Exposing</td>"#));
    s.ok("ImagerAbortExposure.cgi");
    assert!(!refused(&page(&s, "/exposure.htmlExposureTime=2&ImageType=1")));
    assert_eq!(s.ok("CurrentCCDState.cgi"), "2\r\n");

    let bad = page(&s, "/exposure.html?ExposureTime=soon");
    assert!(refused(&bad) && bad.contains("ExposureTime: must be a number"), "{bad}");
}

#[test]
fn exposure_page_dates_are_lenient_and_reach_the_fits_header() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?StartX=1024&StartY=1024&NumX=64&NumY=64");
    for (sent, written) in [
        ("2026-11-21T15:36:", "2026-11-21T15:36:00.000"),
        ("2026-11-21T15:36:07.250", "2026-11-21T15:36:07.250"),
        ("2026-11-21T15.36.07.5", "2026-11-21T15:36:07.500"),
    ] {
        assert!(!refused(&page(&s, &format!("/exposure.html?ExposureTime=0.5&ImageType=2&DateTime={sent}"))));
        s.advance(0.5);
        s.advance_until("CurrentCCDState.cgi", "0\r\n", 30.0);
        let fits = s.get("/Image.FIT").body().to_vec();
        let header = String::from_utf8_lossy(&fits[..2880]).into_owned();
        assert!(header.contains(&format!("DATE-OBS= '{written}'")), "{sent}: {header}");
    }
    let bad = page(&s, "/exposure.html?DateTime=yesterday");
    assert!(refused(&bad) && bad.contains("DateTime: must be a date and time"), "{bad}");
}

#[test]
fn filter_page_moves_the_wheel_and_names_filters_both_ways() {
    let s = TestServer::start();
    let html = page(&s, "/filtersetup.html");
    let fields = form_fields(&html, "FilterNames");
    assert_eq!(names(&fields), (1..=8).map(|n| format!("Filter{n}")).collect::<Vec<_>>());
    assert_eq!(selected_options(&html), [s.ok("GetFilterSetting.cgi?CurrentFilter").trim_end()]);

    // The glued query, as one driver sends it; the requested position is selected at once.
    let html = page(&s, "/filtersetup.htmlFilter=3");
    assert_eq!(selected_options(&html), ["3"]);
    assert_eq!(s.ok("GetFilterSetting.cgi?CurrentFilter"), "3\r\n");
    assert_eq!(s.ok("FilterState.cgi"), "1\r\n", "the wheel is moving");
    assert!(html.contains(r#"<td class="value">Moving</td>"#));
    s.advance_until("FilterState.cgi", "0\r\n", 30.0);

    // 0 initialises: the wheel goes home to position 1.
    assert_eq!(selected_options(&page(&s, "/filtersetup.html?Filter=0")), ["1"]);
    s.advance_until("FilterState.cgi", "0\r\n", 30.0);
    assert_eq!(s.ok("GetFilterSetting.cgi?CurrentFilter"), "1\r\n");

    page(&s, "/filtersetup.html?Filter1=Lum&Filter2=Red");
    assert_eq!(s.ok("GetFilterSetting.cgi?Filter1Name&Filter2Name"), "Lum\r\nRed\r\n");
    s.ok("SetFilterName.cgi?Filter3Name=Ha");
    let fields = form_fields(&page(&s, "/filtersetup.html"), "FilterNames");
    assert_eq!((field(&fields, "Filter1"), field(&fields, "Filter3")), ("Lum", "Ha"));

    // A bad name: nothing applied, the move neither.
    let bad = page(&s, "/filtersetup.html?Filter1=ThisNameIsFarTooLong&Filter=5");
    assert!(refused(&bad) && bad.contains("Filter1: at most 16 characters"), "{bad}");
    assert_eq!(s.ok("GetFilterSetting.cgi?CurrentFilter&Filter1Name"), "1\r\nLum\r\n");
    let bad = page(&s, "/filtersetup.html?Filter=9");
    assert!(refused(&bad), "{bad}");
}

#[test]
fn network_page_keeps_its_values_and_refuses_bad_ones() {
    let s = TestServer::start();
    let fields = form_fields(&page(&s, "/network.html"), "EthernetParams");
    assert_eq!(names(&fields), ["DHCP", "IPAddress", "SubnetMask", "Gateway"]);
    let echo: Vec<String> = fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
    assert!(page(&s, &format!("/network.html?{}", echo.join("&"))).contains("nothing restarts"));

    let html = page(&s, "/network.html?DHCP=0&IPAddress=10.0.1.3&SubnetMask=255.255.0.0&Gateway=10.0.1.1");
    let shown = form_fields(&html, "EthernetParams");
    assert_eq!(
        shown.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
        ["0", "10.0.1.3", "255.255.0.0", "10.0.1.1"]
    );
    let bad = page(&s, "/network.html?IPAddress=10.0.1&Gateway=10.0.0.9");
    assert!(refused(&bad) && bad.contains("IPAddress: must be an address"), "{bad}");
    assert_eq!(field(&form_fields(&bad, "EthernetParams"), "Gateway"), "10.0.1.1", "nothing applied");
}

#[test]
fn downloads_before_and_after_a_frame() {
    let s = TestServer::start();
    // No frame yet: both answer as the API's Imager.FIT does, 200 with an empty body.
    let api = s.get("/api/Imager.FIT");
    let fit = s.get("/Image.FIT");
    assert_eq!(fit.bytes, api.bytes);
    assert_eq!(
        fit.bytes,
        b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 0\r\n\r\n"
    );
    let jpg = s.get("/Preview.jpg");
    assert_eq!(jpg.bytes, b"HTTP/1.0 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 0\r\n\r\n");

    s.expose_sized(1, 320, 200);
    let fit = s.get("/Image.FIT");
    assert!(fit.body().len() > 320 * 200 * 2);
    assert_eq!(fit.body(), s.get("/api/Imager.FIT").body(), "the same bytes as the API's download");
    let jpg = s.get("/Preview.jpg");
    assert_eq!(jpg.header("Content-Type").as_deref(), Some("image/jpeg"));
    let preview = image::load_from_memory(jpg.body()).expect("a JPEG");
    assert_eq!((preview.width(), preview.height()), (320, 200));
    let grey = preview.to_luma8();
    let mut levels: Vec<u8> = grey.pixels().map(|p| p.0[0]).collect();
    levels.sort_unstable();
    let median = levels[levels.len() / 2];
    assert!((30..110).contains(&median), "the sky is stretched to a visible grey, not black: {median}");
    assert_eq!(s.get("/Preview.jpg").body(), jpg.body(), "made once per frame");
    assert!(page(&s, "/").contains(r#"<img class="preview" src="/Preview.jpg""#));
}

#[test]
fn proxy_passes_the_real_cameras_pages_through() {
    let camera = TestServer::start();
    let proxy = TestServer::start_proxy(&format!("http://{}", camera.addr()));
    for target in ["/setup.html", "/filtersetup.html", "/network.html", "/Image.FIT"] {
        let (direct, through) = (camera.get(target), proxy.get(target));
        assert_eq!(through.status(), 200, "{target}");
        assert_eq!(through.header("Content-Type"), direct.header("Content-Type"), "{target}");
        assert_eq!(through.body(), direct.body(), "{target} passes through unchanged");
    }
    page(&proxy, "/setup.htmlBin=2");
    assert_eq!(camera.ok("ImagerGetSettings.cgi?BinX"), "2\r\n", "the camera's own page applied it");
    camera.expose_sized(1, 128, 128);
    let (direct, through) = (camera.get("/Preview.jpg"), proxy.get("/Preview.jpg"));
    assert_eq!(
        (through.header("Content-Type").as_deref(), through.body()),
        (Some("image/jpeg"), direct.body())
    );

    // An exposure started on the camera's own page is the proxy's too: its frame is
    // recorded, and the `Imager.FIT` the proxy kept is not served for it.
    let old_fit = proxy.get("/api/Imager.FIT").body().to_vec();
    let before = proxy.drain();
    page(&proxy, "/exposure.html?ExposureTime=5&ImageType=1&Contrast=0&DateTime=2026-11-21T15:36:12.000");
    camera.advance(5.0);
    for _ in 0..200 {
        if proxy.ok("CurrentCCDState.cgi") == "0\r\n" {
            break;
        }
        camera.advance(0.25);
    }
    assert_eq!(proxy.drain(), before + 1, "the page's frame is recorded");
    let new_fit = proxy.get("/api/Imager.FIT").body().to_vec();
    assert_ne!(new_fit, old_fit);
    assert_eq!(new_fit, camera.get("/api/Imager.FIT").body());
}

/// Opens the downloaded file as the driver's users do, strictly.
const ASTROPY_CHECK: &str = r#"
import sys
from astropy.io import fits
with fits.open(sys.argv[1]) as hdul:
    hdul.verify('exception')
    h = hdul[0].header
    assert hdul[0].data.shape == (int(sys.argv[3]), int(sys.argv[2])), hdul[0].data.shape
    assert h['IMAGETYP'].strip().lower().startswith('light'), h['IMAGETYP']
    assert abs(h['EXPTIME'] - 2.0) < 1e-9, h['EXPTIME']
    assert 'CCD-TEMP' in h
print("astropy ok")
"#;

#[test]
fn client_flow_from_the_exposure_page_to_an_astropy_checked_fits() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?StartX=1000&StartY=1000&NumX=300&NumY=200");
    // As the driver does: read the form, change what it sets, send every field back in
    // form order, values unencoded.
    let mut fields = form_fields(&page(&s, "/exposure.html"), "Exposure");
    for (name, value) in &mut fields {
        match name.as_str() {
            "ExposureTime" => *value = "2.0".to_owned(),
            "ImageType" => *value = "1".to_owned(),
            "Contrast" => *value = "1".to_owned(),
            "DateTime" => *value = "2026-11-21T15:36:12.123".to_owned(),
            _ => {}
        }
    }
    let query: Vec<String> = fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
    assert!(!refused(&page(&s, &format!("/exposure.html?{}", query.join("&")))));
    let mut polls = 0;
    while s.ok(&format!("CurrentCCDState.cgi&0.{polls}")) != "0\r\n" {
        polls += 1;
        assert!(polls < 400, "the exposure never ended");
        s.advance(0.25);
    }
    assert!(polls >= 8, "the state read 2 for the whole exposure");
    let fit = s.get("/Image.FIT");
    assert_eq!(fit.header("Content-Type").as_deref(), Some("application/octet-stream"));
    let bytes = fit.body();
    assert_eq!(bytes.len() % 2880, 0);
    assert!(String::from_utf8_lossy(&bytes[..2880]).contains("DATE-OBS= '2026-11-21T15:36:12.123'"));

    let has_astropy =
        Command::new("python3").args(["-c", "import astropy"]).output().is_ok_and(|o| o.status.success());
    if !has_astropy {
        skip_unless_ci("python3 with astropy is not installed (pip install astropy)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Image.FIT");
    std::fs::write(&path, bytes).unwrap();
    let out =
        Command::new("python3").args(["-c", ASTROPY_CHECK]).arg(&path).args(["300", "200"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("astropy ok"), "{stderr}");
}
