//! `/sim/…` on the STX port: make the simulated camera misbehave on purpose, so client
//! authors can test their error handling. Outside `/api/`, so no STX client meets it.
//!
//! | path | effect |
//! | --- | --- |
//! | `/sim/faults` | lists the faults in force |
//! | `/sim/faults/exposure-error[?ccd=imager\|guider\|extguider]` | that CCD's next exposure ends in state 5 |
//! | `/sim/faults/filter-wheel?mode=ok\|absent\|failing` | wheel present, missing (0x8000100c), or not answering (0x8000100d) |
//! | `/sim/faults/cooler-stuck?on=1\|0` | cooler at 100 % and never reaching the setpoint |
//! | `/sim/faults/slow?ms=N` | every STX answer is held N ms, as a real camera slows under fast polling (0: off) |
//! | `/sim/faults/drop-download` | the next `.bin`/`.FIT` download is cut off halfway |
//! | `/sim/faults/clear` | all of the above off |

use std::str::FromStr;

use stx_protocol::Ccd;
use stx_protocol::reply::Reply;
use stx_protocol::request::RawRequest;
use stx_sim::sim::Faults;

use crate::backend::Backend;

/// What the filter wheel should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WheelFault {
    /// Present and answering.
    None,
    /// Not found (0x8000100c).
    Absent,
    /// Found but not answering (0x8000100d).
    Failing,
}

/// One `/sim/…` request, read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SimAction {
    List,
    ExposureError(Ccd),
    FilterWheel(WheelFault),
    CoolerStuck(bool),
    Slow(std::time::Duration),
    DropDownload,
    Clear,
}

/// The parameter each fault takes, for `--fault NAME=VALUE` flags.
const FLAG_PARAMS: [(&str, &str); 5] = [
    ("exposure-error", "ccd"),
    ("filter-wheel", "mode"),
    ("cooler-stuck", "on"),
    ("slow", "ms"),
    ("drop-download", ""),
];

/// A fault the simulated camera starts with: a `--fault NAME[=VALUE]` flag, read. The
/// same faults, names and values as the `/sim/faults/NAME?PARAM=VALUE` paths.
#[derive(Clone, Debug, PartialEq)]
pub struct StartFault(SimAction);

impl FromStr for StartFault {
    /// What is wrong with the flag.
    type Err = String;

    fn from_str(flag: &str) -> Result<StartFault, String> {
        let (name, value) = flag.split_once('=').map_or((flag, None), |(n, v)| (n, Some(v)));
        let Some((_, param)) = FLAG_PARAMS.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = FLAG_PARAMS.iter().map(|(n, _)| *n).collect();
            return Err(format!("unknown fault '{name}': one of {}", names.join(", ")));
        };
        let target = match value {
            Some(v) if !param.is_empty() => format!("/sim/faults/{name}?{param}={v}"),
            Some(_) => return Err(format!("fault '{name}' takes no value")),
            None => format!("/sim/faults/{name}"),
        };
        let raw = RawRequest::parse(&target).map_err(|e| e.to_string())?;
        let action =
            parse(&raw).map_err(|reply| String::from_utf8_lossy(&reply.body).trim_end().to_owned())?;
        Ok(StartFault(action))
    }
}

/// Puts a start-up fault in force.
pub(crate) fn apply_start_fault(faults: &Faults, fault: &StartFault) {
    apply(faults, &fault.0);
}

/// Answers a `/sim/…` target; `None` if the target is not one (it is then an STX call).
pub(crate) fn answer(backend: &Backend, target: &str) -> Option<Reply> {
    let raw = RawRequest::parse(target).ok()?;
    if !raw.resource.to_ascii_lowercase().starts_with("/sim/") && raw.resource != "/sim" {
        return None;
    }
    let Some(faults) = backend.faults() else {
        return Some(Reply::malformed("No simulated camera: /sim/ controls are not available."));
    };
    Some(match parse(&raw) {
        Ok(action) => {
            apply(&faults, &action);
            Reply::values(describe(&faults))
        }
        Err(reply) => reply,
    })
}

fn param<'a>(raw: &'a RawRequest, name: &str) -> Option<&'a str> {
    stx_protocol::request::last_param(&raw.params, name).and_then(|v| v.text())
}

pub(crate) fn parse(raw: &RawRequest) -> Result<SimAction, Reply> {
    let path = raw.resource.to_ascii_lowercase();
    let bad = |what: &str| Err(Reply::malformed(what));
    Ok(match path.trim_end_matches('/') {
        "/sim/faults" => SimAction::List,
        "/sim/faults/exposure-error" => {
            SimAction::ExposureError(match param(raw, "ccd").map(str::to_ascii_lowercase).as_deref() {
                None | Some("imager") => Ccd::Imager,
                Some("guider") => Ccd::Guider,
                Some("extguider") => Ccd::ExtGuider,
                Some(_) => return bad("ccd must be imager, guider or extguider."),
            })
        }
        "/sim/faults/filter-wheel" => {
            SimAction::FilterWheel(match param(raw, "mode").map(str::to_ascii_lowercase).as_deref() {
                Some("ok") => WheelFault::None,
                Some("absent") => WheelFault::Absent,
                Some("failing") => WheelFault::Failing,
                _ => return bad("mode must be ok, absent or failing."),
            })
        }
        "/sim/faults/cooler-stuck" => SimAction::CoolerStuck(match param(raw, "on") {
            Some("1") | None => true,
            Some("0") => false,
            Some(_) => return bad("on must be 1 or 0."),
        }),
        "/sim/faults/slow" => match param(raw, "ms").and_then(|v| v.parse::<u64>().ok()) {
            Some(ms) if ms <= 60_000 => SimAction::Slow(std::time::Duration::from_millis(ms)),
            _ => return bad("ms must be a whole number of milliseconds, 0 to 60000."),
        },
        "/sim/faults/drop-download" => SimAction::DropDownload,
        "/sim/faults/clear" => SimAction::Clear,
        _ => return Err(Reply::not_found()),
    })
}

fn apply(faults: &Faults, action: &SimAction) {
    match action {
        SimAction::List => {}
        SimAction::ExposureError(ccd) => faults.fail_next_exposure(*ccd),
        SimAction::FilterWheel(fault) => {
            faults.set_filter_wheel_absent(*fault == WheelFault::Absent);
            faults.set_filter_wheel_failing(*fault == WheelFault::Failing);
        }
        SimAction::CoolerStuck(on) => faults.set_cooler_stuck(*on),
        SimAction::Slow(delay) => faults.set_answer_delay(*delay),
        SimAction::DropDownload => faults.drop_next_download(),
        SimAction::Clear => faults.clear(),
    }
}

/// The faults in force, one `name=value` line each.
fn describe(faults: &Faults) -> Vec<String> {
    let f = faults.active();
    let ccds: Vec<&str> = f.fail_next_exposure.iter().map(|c| c.prefix()).collect();
    vec![
        format!("exposure-error={}", ccds.join(",")),
        format!(
            "filter-wheel={}",
            if f.filter_wheel_absent {
                "absent"
            } else if f.filter_wheel_failing {
                "failing"
            } else {
                "ok"
            }
        ),
        format!("cooler-stuck={}", u8::from(f.cooler_stuck)),
        format!("slow={}", f.answer_delay.as_millis()),
        format!("drop-download={}", u8::from(f.drop_next_download)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(target: &str, expect: &str) {
        let raw = RawRequest::parse(target).unwrap();
        let got = match parse(&raw) {
            Ok(a) => format!("{a:?}"),
            Err(r) => format!("{} {}", r.status.code(), String::from_utf8_lossy(&r.body).trim_end()),
        };
        assert_eq!(got, expect, "{target}");
    }

    #[test]
    fn sim_paths() {
        check("/sim/faults", "List");
        check("/sim/faults/exposure-error", "ExposureError(Imager)");
        check("/sim/faults/exposure-error?ccd=Guider", "ExposureError(Guider)");
        check("/sim/faults/exposure-error?ccd=x", "400 ccd must be imager, guider or extguider.");
        check("/sim/faults/filter-wheel?mode=absent", "FilterWheel(Absent)");
        check("/sim/faults/filter-wheel", "400 mode must be ok, absent or failing.");
        check("/sim/faults/cooler-stuck?on=0", "CoolerStuck(false)");
        check("/sim/faults/slow?ms=250", "Slow(250ms)");
        check("/sim/faults/slow?ms=-1", "400 ms must be a whole number of milliseconds, 0 to 60000.");
        check("/sim/faults/drop-download", "DropDownload");
        check("/sim/faults/clear/", "Clear");
        check("/sim/nothing", "404 Not Found");
    }

    /// A flag reads as its `/sim/faults` path does, or fails saying why.
    fn check_flag(flag: &str, expect: &str) {
        let got = match flag.parse::<StartFault>() {
            Ok(StartFault(action)) => format!("{action:?}"),
            Err(why) => why,
        };
        assert_eq!(got, expect, "{flag}");
    }

    #[test]
    fn flags_name_the_same_faults() {
        check_flag("filter-wheel=absent", "FilterWheel(Absent)");
        check_flag("cooler-stuck", "CoolerStuck(true)");
        check_flag("slow=250", "Slow(250ms)");
        check_flag("exposure-error=guider", "ExposureError(Guider)");
        check_flag("drop-download", "DropDownload");
        check_flag(
            "explode",
            "unknown fault 'explode': one of exposure-error, filter-wheel, cooler-stuck, slow, drop-download",
        );
        check_flag("filter-wheel=sideways", "mode must be ok, absent or failing.");
        check_flag("drop-download=1", "fault 'drop-download' takes no value");
    }
}
