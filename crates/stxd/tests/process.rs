//! The `stxd` binary as people run it: what it prints, its flags, a clean stop on
//! SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

/// Every port of the stxd under test on a free one (discovery's too, so that tests
/// running at once do not share it).
const FREE_PORTS: [&str; 8] = [
    "--stx-listen",
    "127.0.0.1:0",
    "--api-listen",
    "127.0.0.1:0",
    "--alpaca-listen",
    "127.0.0.1:0",
    "--alpaca-discovery-port",
    "0",
];

#[test]
fn prints_where_it_listens_takes_fault_flags_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stxd"))
        .args(FREE_PORTS)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--fault", "filter-wheel=absent", "--fault", "slow=10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr: SocketAddr = first
        .strip_prefix("stxd: STX API on http://")
        .and_then(|rest| rest.split("/api/").next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));
    assert!(first.ends_with("(simulated stx-16803)"), "{first}");
    assert!(lines.next().unwrap().unwrap().starts_with("stxd: image history on http://127.0.0.1:"));
    assert!(lines.next().unwrap().unwrap().starts_with("stxd: ASCOM Alpaca on http://127.0.0.1:"));
    assert!(lines.next().unwrap().unwrap().starts_with("stxd: Alpaca discovery answered on UDP port "));
    assert!(lines.next().unwrap().unwrap().starts_with("stxd: data in "));

    let reply = common::get(addr, "/api/ChangeFilter.cgi?NewPosition=1").unwrap().text();
    assert_eq!(reply, "0x8000100c\r\nFilter Selector not found.\r\n");

    let status = common::terminate(&mut child);
    assert!(status.success(), "a clean stop exits 0: {status}");
    assert_eq!(lines.next().unwrap().unwrap(), "stxd: stopping");
}

#[test]
fn bad_flags_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let stxd = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_stxd"))
            .args(FREE_PORTS)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .output()
            .unwrap()
    };
    // A bad fault is a bad flag: refused before anything starts.
    let out = stxd(&["--fault", "explode"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown fault 'explode'"), "{err}");
    let err = String::from_utf8_lossy(&stxd(&["--fault", "slow=-5"]).stderr).into_owned();
    assert!(err.contains("ms must be a whole number of milliseconds"), "{err}");
    assert!(!data.exists(), "nothing started, nothing written");
    // A real camera cannot be told to fail.
    let out = stxd(&["--camera", "http://127.0.0.1:9", "--fault", "slow=10"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("faults can be set on the simulated camera only"), "{err}");
    assert!(!data.exists(), "refused before the data directory is made");
    let out = stxd(&["--model", "stx-99999"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown model 'stx-99999'"), "{err}");
    assert!(!data.exists(), "an unknown model is refused before the data directory is made");
    let out = Command::new(env!("CARGO_BIN_EXE_stxd")).args(["--time-scale", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_second_stxd_on_the_same_data_directory_stops_before_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let stxd = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stxd"));
        command.args(FREE_PORTS).arg("--data-dir").arg(dir.path());
        command
    };
    let mut first = stxd().stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    assert!(lines.next().unwrap().unwrap().starts_with("stxd: STX API on"));
    // A frame the first one is writing, as its temp file looks mid-write.
    let writing = dir.path().join("images").join(".tmp-20260101-000000-0001-LIGHT.fits");
    std::fs::create_dir_all(writing.parent().unwrap()).unwrap();
    std::fs::write(&writing, b"SIMPLE  =").unwrap();

    let second = stxd().output().unwrap();
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains(&format!("is in use by another stxd (pid {}, started ", first.id())), "{err}");
    assert!(writing.exists(), "the second stxd removed the first one's frame being written");

    assert!(common::terminate(&mut first).success());
}
