//! The dashboard's files and the integration sums it reads, over HTTP. (The page itself
//! is checked in a real browser by `scripts/dashboard_browser.sh`.)

mod common;

use common::TestServer;

#[test]
fn the_dashboard_is_served_from_the_binary() {
    let s = TestServer::start();
    let check = |path: &str, media_type: &str, contains: &str| {
        let r = s.api(path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.header("Content-Type").as_deref(), Some(media_type), "{path}");
        assert!(r.text().contains(contains), "{path}");
    };
    check("/", "text/html; charset=utf-8", "<script src=\"/dashboard/app.js\">");
    check("/index.html", "text/html; charset=utf-8", "id=\"charts\"");
    check("/dashboard/app.js", "text/javascript; charset=utf-8", "/v2/socket");
    check("/dashboard/charts.js", "text/javascript; charset=utf-8", "robustRange");
    check("/dashboard/style.css", "text/css; charset=utf-8", "body.red");
    // Nothing from elsewhere: every script and stylesheet is ours.
    let html = s.api("/").text();
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import"] {
        assert!(!html.contains(external), "no external resources: {external}");
    }
}

#[test]
fn integration_sums_light_frames_per_target_and_filter() {
    let s = TestServer::start();
    s.ok("SetFITSSetting.cgi?ObjectName=M27");
    s.take_frame(1);
    s.take_frame(1);
    s.take_frame(0);
    let (status, json) = s.api_json("/v2/api/integration");
    assert_eq!(status, 200, "{json}");
    assert_eq!(
        json["Response"],
        serde_json::json!([{"TargetName": "M27", "Filter": "", "Frames": 2, "ExposureTime": 10}])
    );
    let (_, json) = s.api_json("/v2/api/integration?to=2000-01-01T00:00:00Z");
    assert_eq!(json["Response"], serde_json::json!([]));
    let (status, json) = s.api_json("/v2/api/integration?from=soon");
    assert_eq!(
        (status, json["Error"].as_str()),
        (400, Some("Invalid from: expected a date such as 2026-12-04T12:00:00+01:00"))
    );
}
