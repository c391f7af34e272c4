//! Every web page, in every camera state, against the strict HTML rules of
//! `docs/stx-web-pages.md` (the checker is `common::html::check_strict`); and the
//! checker itself, shown to fail on each kind of page the clients' parser breaks on.

mod common;

use common::TestServer;
use common::html::check_strict;

const PAGES: [&str; 5] = ["/", "/setup.html", "/exposure.html", "/filtersetup.html", "/network.html"];

/// Every page of `s` passes the rules; `state` names the camera state in a failure.
fn all_pages_pass(s: &TestServer, state: &str) {
    for target in PAGES {
        let r = s.get(target);
        assert_eq!(r.status(), 200, "{state}: {target}");
        let html = r.text();
        if let Err(e) = check_strict(&html) {
            panic!("{state}: {target}: {e}\n{html}");
        }
    }
}

#[test]
fn every_page_in_every_state_passes_the_strict_rules() {
    let s = TestServer::start();
    all_pages_pass(&s, "idle");

    s.ok("ImagerSetSettings.cgi?CoolerState=1&CCDTemperatureSetpoint=-20");
    s.advance(30.0);
    all_pages_pass(&s, "cooler on");

    s.ok("ChangeFilter.cgi?NewPosition=5");
    assert_eq!(s.ok("FilterState.cgi"), "1\r\n");
    all_pages_pass(&s, "wheel moving");
    s.advance_until("FilterState.cgi", "0\r\n", 30.0);

    s.ok("ImagerSetSettings.cgi?StartX=1024&StartY=1024&NumX=128&NumY=128");
    s.ok("ImagerStartExposure.cgi?Duration=10&FrameType=1");
    all_pages_pass(&s, "exposing");
    s.advance(10.0);
    if s.ok("ImagerState.cgi") == "3\r\n" {
        all_pages_pass(&s, "reading out");
    }
    s.advance_until("ImagerState.cgi", "0\r\n", 30.0);
    all_pages_pass(&s, "idle with an image ready");

    s.ok("ImagerSetSettings.cgi?BinX=4&BinY=1");
    all_pages_pass(&s, "a binning and window the page has no choice for");

    s.get("/sim/faults/filter-wheel?mode=absent");
    all_pages_pass(&s, "no filter wheel");
    s.get("/sim/faults/filter-wheel?mode=failing");
    all_pages_pass(&s, "a failing filter wheel");
}

#[test]
fn pages_answering_a_form_pass_the_strict_rules() {
    let s = TestServer::start();
    for target in [
        "/setup.html?Bin=2&CoolerState=1&CCDTemperatureSetpoint=-5&Fan=2&FanSetpoint=50&FrameSize=3",
        "/setup.html?Bin=7&Colour=<red>&CCDTemperatureSetpoint=\"x\"",
        "/exposure.html?ExposureTime=5&ImageType=1&Contrast=0&DateTime=",
        "/exposure.html?ExposureTime=5",
        "/exposure.html?Abort",
        "/exposure.html?DateTime=%3Cscript%3E",
        "/filtersetup.htmlFilter=3",
        "/filtersetup.html?Filter1=%3Cb%3E&Filter=2",
        "/filtersetup.html?Filter=12",
        "/network.html?DHCP=0&IPAddress=10.0.0.2",
        "/network.html?IPAddress=%22%3E%3Cx",
    ] {
        let html = s.get(target).text();
        check_strict(&html).unwrap_or_else(|e| panic!("{target}: {e}\n{html}"));
        assert!(
            !html.contains("<red>") && !html.contains("<script>") && !html.contains("<b>"),
            "escaped: {target}"
        );
    }
}

/// A page that passes, into which each test below puts one fault.
fn good_page(inside_body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>t</title><style>td>a{{}}</style></head><body>\
         <ul><li>one<li>two</ul><img src=\"/Preview.jpg\"><br/>\
         <form name=\"F\"><input type=\"text\" name=\"A\" value=\"1\"/>\
         <input type=\"radio\" name=\"R\" value=\"1\" checked/><input type=\"radio\" name=\"R\" value=\"2\"/>\
         <select name=\"S\"><option value=\"1\">x</option><option value=\"2\" selected>y</option></select>\
         <input type=\"submit\" value=\"Go\"/></form>{inside_body}</body></html>"
    )
}

fn fails(fault: &str, because: &str) {
    match check_strict(&good_page(fault)) {
        Ok(()) => panic!("{fault:?} passed the checker"),
        Err(e) => assert!(e.contains(because), "{fault:?}: {e}"),
    }
}

#[test]
fn the_checker_passes_a_good_page() {
    check_strict(&good_page("")).unwrap();
}

#[test]
fn the_checker_fails_a_bare_br() {
    fails("<p>a<br>b</p>", "</p> while <br> is open");
    fails("<br>", "</body> while <br> is open");
}

#[test]
fn the_checker_fails_a_closed_li() {
    fails("<ul><li>a</li></ul>", "</li> closes a tag that must stay open");
    fails("<meta charset=\"utf-8\"/>", "<meta/> is closed");
}

#[test]
fn the_checker_fails_a_checkbox() {
    fails("<form name=\"G\"><input type=\"checkbox\" name=\"C\" value=\"1\"/></form>", "type \"checkbox\"");
    fails("<form name=\"G\"><input name=\"C\" value=\"1\"/></form>", "type \"\"");
    fails("<input type=\"text\" name=\"X\" value=\"1\"/>", "outside any <form>");
}

#[test]
fn the_checker_fails_two_selected_options() {
    let two = "<form name=\"G\"><select name=\"S\"><option value=\"1\" selected>a</option>\
               <option value=\"2\" selected>b</option></select></form>";
    fails(two, "2 selected options");
    fails("<form name=\"G\"><select name=\"S\"><option value=\"1\">a</option></select></form>", "0 selected");
    fails(
        "<form name=\"G\"><select name=\"S\"><option selected value=\"1\">a</option></select></form>",
        "first attribute",
    );
    fails(
        "<form name=\"G\"><select name=\"S\"><option value=\"1\" selected=\"selected\">a</option></select></form>",
        "bare second",
    );
    fails(
        "<form name=\"G\"><select name=\"S\"><option value=\"one\" selected>a</option></select></form>",
        "first attribute",
    );
}

#[test]
fn the_checker_fails_broken_forms() {
    fails("<form name=\"F\"></form>", "two forms named F");
    let dup = "<form name=\"G\"><input type=\"text\" name=\"A\" value=\"\"/><input type=\"hidden\" name=\"A\" value=\"\"/></form>";
    fails(dup, "two inputs named A");
    fails(
        "<form name=\"G\"><input type=\"radio\" name=\"R\" value=\"1\"/></form>",
        "radio group R of G has 0 checked",
    );
    let two = "<form name=\"G\"><input type=\"radio\" name=\"R\" value=\"1\" checked/>\
               <input type=\"radio\" name=\"R\" value=\"2\" checked/></form>";
    fails(two, "has 2 checked");
    fails("<p>unclosed", "</body> while <p> is open");
}
