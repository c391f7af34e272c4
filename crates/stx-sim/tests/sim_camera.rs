//! The simulated camera's identity, and its relays and AO (which it hands to the mount
//! model).

mod sim_support;

use sim_support::{rig, rig_of};
use stx_camera::Camera;
use stx_protocol::{AoPosition, Pulse, PulseDuration, PulseRequest, Relay};
use stx_sim::preset::ModelPreset;

#[test]
fn description_and_versions_come_from_the_preset() {
    let r = rig();
    assert_eq!(r.camera.description().unwrap(), "SBIG STX-16803");
    let v = r.camera.versions().unwrap();
    assert_eq!(v.lines(), [env!("CARGO_PKG_VERSION"), "1.10", "2.04", "1.02", "1.00.1"]);
}

#[test]
fn relays_close_for_their_time() {
    let r = rig();
    let pulse = |relay, seconds| Some(Pulse { relay, duration: PulseDuration::from_secs(seconds).unwrap() });
    r.camera
        .pulse_guide(&PulseRequest { x: pulse(Relay::XMinus, 2.0), y: pulse(Relay::YPlus, 0.5) })
        .unwrap();
    // To the hundredth, as the API reports them.
    let remaining = |relay| (r.camera.relays().unwrap().remaining(relay) * 100.0).round() / 100.0;
    assert!(r.camera.relays().unwrap().any_closed());
    assert_eq!((remaining(Relay::XMinus), remaining(Relay::YPlus), remaining(Relay::XPlus)), (2.0, 0.5, 0.0));
    r.advance(1.0);
    assert_eq!((remaining(Relay::XMinus), remaining(Relay::YPlus)), (1.0, 0.0));
    r.advance(1.0);
    assert!(!r.camera.relays().unwrap().any_closed());
}

#[test]
fn the_ao_moves_for_a_moment() {
    let r = rig();
    assert!(!r.camera.ao_moving().unwrap());
    r.camera.ao_guide(AoPosition::new(80.0).unwrap(), AoPosition::new(50.0).unwrap()).unwrap();
    assert!(r.camera.ao_moving().unwrap());
    r.advance(1.0);
    assert!(!r.camera.ao_moving().unwrap());
}

#[test]
fn a_camera_without_ao_accepts_moves_and_stays_idle() {
    let mut preset = ModelPreset::resolve("stx-16803").unwrap();
    preset.ao = None;
    let r = rig_of(preset);
    r.camera.ao_guide(AoPosition::new(0.0).unwrap(), AoPosition::new(100.0).unwrap()).unwrap();
    assert!(!r.camera.ao_moving().unwrap());
}

#[test]
fn every_built_in_model_makes_a_working_camera() {
    use stx_protocol::{Ccd, CcdState, FrameType, SettingKey};
    for model in ["stx-16803", "stxl-6303e"] {
        let preset = ModelPreset::resolve(model).unwrap();
        let description = preset.description.clone();
        let r = rig_of(preset);
        assert_eq!(r.camera.description().unwrap(), description);
        for ccd in Ccd::ALL {
            r.set(ccd, &[(SettingKey::NumX, 32.0), (SettingKey::NumY, 16.0)]).unwrap();
            r.start(ccd, 1.0, FrameType::Light).unwrap();
        }
        r.advance(2.0);
        for ccd in Ccd::ALL {
            r.check(ccd, CcdState::Idle, true);
            let frame = r.camera.frame(ccd).unwrap().unwrap();
            assert_eq!((frame.width(), frame.height()), (32, 16), "{model} {ccd}");
            assert_eq!(frame.meta().instrument, description);
        }
    }
}
