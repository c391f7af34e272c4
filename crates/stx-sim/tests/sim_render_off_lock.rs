//! A full-frame render must not hold up the camera: it runs outside the camera's lock,
//! on the first download.

mod sim_support;

use std::time::{Duration, Instant};

use sim_support::rig;
use stx_camera::Camera;
use stx_protocol::{Ccd, CcdState, FrameType};

#[test]
fn other_calls_answer_while_a_full_frame_renders() {
    let r = rig();
    r.start(Ccd::Imager, 1.0, FrameType::Light).unwrap();
    r.advance(60.0);
    r.check(Ccd::Imager, CcdState::Idle, true);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut calls = 0;
    std::thread::scope(|s| {
        let render = s.spawn(|| r.camera.frame(Ccd::Imager).unwrap().unwrap());
        while !render.is_finished() {
            let t = Instant::now();
            r.camera.state(Ccd::Guider).unwrap();
            r.camera.settings(Ccd::Imager).unwrap();
            slowest = slowest.max(t.elapsed());
            calls += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        let frame = render.join().unwrap();
        assert_eq!((frame.width(), frame.height()), (4096, 4096));
    });
    let render_time = started.elapsed();
    eprintln!("render {render_time:?}, {calls} calls meanwhile, slowest {slowest:?}");
    // Only meaningful if the render outlasts a call by far; it does (seconds vs µs).
    assert!(slowest < render_time / 4, "a call waited {slowest:?} during a {render_time:?} render");
}
