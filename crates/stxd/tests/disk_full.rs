//! A full disk loses no frame: the pipeline holds what it cannot store, says so in the
//! log, the event history and its storage status, refuses captures meanwhile, and
//! stores the held frames once space returns. On a real small tmpfs (CI runs as root).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::{TestServer, skip_unless_ci};

/// Whether this process may mount a tmpfs. Where it may not, the test says so and
/// passes, except under CI, which must run it.
fn can_mount() -> bool {
    let uid =
        Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if uid.is_ok_and(|uid| uid == "0") {
        return true;
    }
    skip_unless_ci("mounting a tmpfs for the full disk needs root");
    false
}

fn mount_tmpfs(dir: &Path, size: &str) {
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success(), "mount a tmpfs on {}", dir.display());
}

/// Fills the file system holding `path` to the last byte.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 4096];
    while file.write_all(&block).is_ok() {}
    let _ = file.write_all(&[0]);
}

#[test]
fn frames_the_disk_refuses_are_held_announced_and_stored_when_space_returns() {
    if !can_mount() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    mount_tmpfs(dir.path(), "8m");
    let server = TestServer::start_in(dir);
    let stxd = server.stxd();
    assert_eq!(server.take_frame(1), 1);

    let filler = server.harness.dir().join("filler");
    fill(&filler);
    assert_eq!(server.take_frame(1), 1, "the disk is full: the frame is not recorded");
    let status = stxd.pipeline().storage_status();
    assert_eq!(status.held_frames, 1, "{status:?}");
    let error = status.error.unwrap();
    assert!(error.contains("No space left on device"), "the OS error is told: {error}");
    let events = server.api("/v2/api/event-history").text();
    assert!(events.contains("IMAGE-STORE-FAILED"), "{events}");
    let capture = server.api("/v2/api/equipment/camera/capture?duration=1");
    assert_ne!(capture.status(), 200, "no capture while frames cannot be stored: {}", capture.text());
    assert!(capture.text().contains("cannot be stored"), "{}", capture.text());
    let (_, camera) = server.api_json("/v2/api/equipment/camera/info");
    assert_eq!(camera["Response"]["CameraState"], "Error", "the camera status says so too");

    std::fs::remove_file(&filler).unwrap();
    assert_eq!(server.drain(), 2, "the held frame is stored once space returns");
    assert_eq!(stxd.pipeline().storage_status(), stxd::pipeline::StorageStatus::default());
    assert!(server.api("/v2/api/event-history").text().contains("IMAGE-STORE-RESUMED"));
    let (_, camera) = server.api_json("/v2/api/equipment/camera/info");
    assert_eq!(camera["Response"]["CameraState"], "Idle");
    assert_eq!(server.take_frame(1), 3);

    let dir = server.stop();
    assert!(Command::new("umount").arg("--lazy").arg(dir.path()).status().unwrap().success());
}

#[test]
fn past_the_held_frames_the_camera_reports_busy_and_nothing_is_lost() {
    if !can_mount() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    mount_tmpfs(dir.path(), "8m");
    let server = TestServer::start_in(dir);
    let filler = server.harness.dir().join("filler");
    fill(&filler);
    server.ok("ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=64&NumY=64&BinX=1&BinY=1");
    let mut finished = 0;
    loop {
        let (status, _) = server.call("ImagerStartExposure.cgi?Duration=1&FrameType=1");
        if status != 200 {
            break;
        }
        server.advance(1.0);
        server.advance_until("ImagerState.cgi", "0\r\n", 60.0);
        finished += 1;
        server.drain();
        assert!(finished < 50, "the camera never pushed back");
    }
    assert!(finished > stxd::pipeline::HELD_FRAMES_MAX as u64, "{finished}");
    std::fs::remove_file(&filler).unwrap();
    // Held frames first, then the ones waiting in the camera.
    server.drain();
    assert_eq!(server.drain(), finished, "every finished frame is recorded");

    let dir = server.stop();
    assert!(Command::new("umount").arg("--lazy").arg(dir.path()).status().unwrap().success());
}
