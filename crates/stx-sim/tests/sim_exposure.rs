//! The CCD state machines of the simulated camera, on a manual clock.

mod sim_support;

use sim_support::{rig, stx};
use stx_camera::Camera;
use stx_protocol::{
    Binning, Ccd, CcdState, ExposureDuration, ExposureRequest, FrameType, ObsDateTime, SettingKey, StxError,
};

/// Full-frame readout of the STX-16803: 4096² pixels at 1.8 Mpx/s.
const FULL_READOUT_S: f64 = 4096.0 * 4096.0 / 1_800_000.0;

#[test]
fn an_exposure_runs_idle_exposing_reading_out_idle_with_an_image() {
    let r = rig();
    r.check(Ccd::Imager, CcdState::Idle, false);
    assert!(r.camera.frame(Ccd::Imager).unwrap().is_none(), "no frame ever taken");

    r.start(Ccd::Imager, 10.0, FrameType::Dark).unwrap();
    r.check(Ccd::Imager, CcdState::Exposing, false);
    r.advance(9.999);
    r.check(Ccd::Imager, CcdState::Exposing, false);
    r.advance(0.001);
    r.check(Ccd::Imager, CcdState::ReadingOut, false);
    r.advance(FULL_READOUT_S - 0.01);
    r.check(Ccd::Imager, CcdState::ReadingOut, false);
    assert!(r.camera.frame(Ccd::Imager).unwrap().is_none(), "no frame before readout ends");
    r.advance(0.01);
    r.check(Ccd::Imager, CcdState::Idle, true);
}

#[test]
fn transitions_long_past_are_all_taken_at_once() {
    let r = rig();
    r.start(Ccd::Imager, 1.0, FrameType::Dark).unwrap();
    r.advance(3600.0);
    r.check(Ccd::Imager, CcdState::Idle, true);
}

#[test]
fn readout_is_faster_binned_and_for_a_subframe() {
    let readout = |pairs: &[(SettingKey, f64)]| {
        let r = rig();
        r.set(Ccd::Imager, pairs).unwrap();
        r.start(Ccd::Imager, 1.0, FrameType::Bias).unwrap();
        r.advance(1.0);
        r.check(Ccd::Imager, CcdState::ReadingOut, false);
        // Find the end of readout to a millisecond.
        let mut t = 0.0;
        while r.camera.state(Ccd::Imager).unwrap() == CcdState::ReadingOut {
            r.advance(0.001);
            t += 0.001;
        }
        t
    };
    let close = |a: f64, b: f64| (a - b).abs() < 0.002;
    let full = readout(&[]);
    assert!(close(full, FULL_READOUT_S), "full frame {full}");
    let bin2 = readout(&[(SettingKey::BinX, 2.0), (SettingKey::BinY, 2.0)]);
    assert!(close(bin2, FULL_READOUT_S / 4.0), "2×2 {bin2}");
    let bin3x1 = readout(&[(SettingKey::BinX, 3.0)]);
    assert!(close(bin3x1, (4096 / 3) as f64 * 4096.0 / 1_800_000.0), "3×1 {bin3x1}");
    let window = readout(&[(SettingKey::NumX, 1000.0), (SettingKey::NumY, 500.0)]);
    assert!(close(window, 500_000.0 / 1_800_000.0), "window {window}");
}

#[test]
fn a_busy_ccd_refuses_a_start() {
    let r = rig();
    r.start(Ccd::Imager, 5.0, FrameType::Light).unwrap();
    assert_eq!(r.start(Ccd::Imager, 5.0, FrameType::Light), Err(StxError::Busy), "exposing");
    r.advance(5.0);
    r.check(Ccd::Imager, CcdState::ReadingOut, false);
    assert_eq!(r.start(Ccd::Imager, 5.0, FrameType::Light), Err(StxError::Busy), "reading out");
    r.advance(FULL_READOUT_S);
    r.start(Ccd::Imager, 5.0, FrameType::Light).unwrap();
}

#[test]
fn abort_stops_an_exposure_fails_in_readout_and_is_ignored_when_idle() {
    let r = rig();
    r.camera.abort_exposure(Ccd::Imager).unwrap();
    r.check(Ccd::Imager, CcdState::Idle, false);

    r.start(Ccd::Imager, 5.0, FrameType::Light).unwrap();
    r.advance(2.0);
    r.camera.abort_exposure(Ccd::Imager).unwrap();
    r.check(Ccd::Imager, CcdState::Idle, false);
    r.advance(100.0);
    r.check(Ccd::Imager, CcdState::Idle, false);
    assert!(r.camera.frame(Ccd::Imager).unwrap().is_none());

    r.start(Ccd::Imager, 5.0, FrameType::Light).unwrap();
    r.advance(5.5);
    assert_eq!(r.camera.abort_exposure(Ccd::Imager).map_err(stx), Err(StxError::AbortFailed));
    r.check(Ccd::Imager, CcdState::ReadingOut, false);
    r.advance(FULL_READOUT_S);
    r.check(Ccd::Imager, CcdState::Idle, true);
    r.camera.abort_exposure(Ccd::Imager).unwrap();
    r.check(Ccd::Imager, CcdState::Idle, true);
}

#[test]
fn image_ready_holds_through_downloads_until_the_next_start() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::NumX, 64.0), (SettingKey::NumY, 32.0)]).unwrap();
    r.start(Ccd::Imager, 1.0, FrameType::Dark).unwrap();
    r.advance(2.0);
    r.check(Ccd::Imager, CcdState::Idle, true);
    let first = r.camera.frame(Ccd::Imager).unwrap().unwrap();
    let again = r.camera.frame(Ccd::Imager).unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "rendered once, then kept");
    r.check(Ccd::Imager, CcdState::Idle, true);

    r.start(Ccd::Imager, 1.0, FrameType::Dark).unwrap();
    r.check(Ccd::Imager, CcdState::Exposing, false);
    assert!(r.camera.frame(Ccd::Imager).unwrap().is_none(), "the old image is gone at the start");
    r.advance(2.0);
    let second = r.camera.frame(Ccd::Imager).unwrap().unwrap();
    assert_ne!(first.pixels(), second.pixels(), "each exposure draws its own noise");
}

#[test]
fn the_window_is_checked_at_the_start() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::NumX, 4096.0)]).unwrap();
    // StartX moves after NumX was set: NumX is not changed, the start refuses.
    r.set(Ccd::Imager, &[(SettingKey::StartX, 100.0)]).unwrap();
    assert_eq!(r.start(Ccd::Imager, 1.0, FrameType::Light), Err(StxError::BadParameter));
    r.check(Ccd::Imager, CcdState::Idle, false);
    r.set(Ccd::Imager, &[(SettingKey::NumX, 3996.0)]).unwrap();
    r.start(Ccd::Imager, 1.0, FrameType::Light).unwrap();
}

#[test]
fn the_three_ccds_are_independent() {
    let r = rig();
    r.set(Ccd::Guider, &[(SettingKey::NumX, 64.0), (SettingKey::NumY, 48.0)]).unwrap();
    r.start(Ccd::Imager, 30.0, FrameType::Light).unwrap();
    r.start(Ccd::Guider, 1.0, FrameType::Light).unwrap();
    r.start(Ccd::ExtGuider, 2.0, FrameType::Light).unwrap();
    r.advance(1.5);
    r.check(Ccd::Imager, CcdState::Exposing, false);
    r.check(Ccd::Guider, CcdState::Idle, true);
    r.check(Ccd::ExtGuider, CcdState::Exposing, false);
    r.camera.abort_exposure(Ccd::ExtGuider).unwrap();
    r.check(Ccd::Imager, CcdState::Exposing, false);
    let guide = r.camera.frame(Ccd::Guider).unwrap().unwrap();
    assert_eq!((guide.width(), guide.height()), (64, 48));
    assert!(r.camera.frame(Ccd::ExtGuider).unwrap().is_none());
}

#[test]
fn the_frame_has_the_binned_size_and_its_circumstances() {
    let r = rig();
    let pairs = [
        (SettingKey::BinX, 2.0),
        (SettingKey::BinY, 3.0),
        (SettingKey::StartX, 100.0),
        (SettingKey::StartY, 200.0),
        (SettingKey::NumX, 101.0),
        (SettingKey::NumY, 60.0),
        (SettingKey::CoolerState, 1.0),
        (SettingKey::CCDTemperatureSetpoint, -10.0),
    ];
    r.set(Ccd::Imager, &pairs).unwrap();
    let date = ObsDateTime::parse("2026-11-21T21.05.07.250").unwrap();
    let request = ExposureRequest {
        duration: ExposureDuration::from_secs(2.5).unwrap(),
        frame_type: FrameType::Flat,
        date_time: Some(date),
    };
    r.camera.start_exposure(Ccd::Imager, &request).unwrap();
    r.advance(2.5);
    let temp_at_end = r.camera.settings(Ccd::Imager).unwrap().cooler.unwrap().temperature_c;
    // Settings changed after the end do not reach the frame.
    r.set(Ccd::Imager, &[(SettingKey::BinX, 1.0), (SettingKey::CoolerState, 0.0)]).unwrap();
    r.advance(10.0);
    let frame = r.camera.frame(Ccd::Imager).unwrap().unwrap();
    assert_eq!((frame.width(), frame.height()), (50, 20), "(101/2) × (60/3)");
    assert_eq!(frame.pixels().len(), 1000);
    let m = frame.meta();
    assert_eq!(m.ccd, Ccd::Imager);
    assert_eq!(m.frame_type, FrameType::Flat);
    assert_eq!(m.duration, std::time::Duration::from_millis(2500));
    assert_eq!(m.date_obs, date);
    assert_eq!(m.binning, Binning { x: 2, y: 3 });
    assert_eq!(m.origin, stx_camera::PixelPoint { x: 100, y: 200 });
    assert_eq!(m.pixel_size, stx_camera::PixelSize { x_um: 9.0, y_um: 9.0 });
    assert_eq!(m.ccd_temp_c, temp_at_end);
    assert_eq!(m.setpoint_c, Some(-10.0));
    assert_eq!(m.electrons_per_adu, 1.27);
    assert_eq!(m.filter, None, "the wheel starts at slot 0");
    assert_eq!(m.instrument, "SBIG STX-16803");
}

#[test]
fn a_start_without_date_time_carries_the_specs_date() {
    let r = rig();
    r.set(Ccd::ExtGuider, &[(SettingKey::NumX, 8.0), (SettingKey::NumY, 8.0)]).unwrap();
    r.start(Ccd::ExtGuider, 0.01, FrameType::Bias).unwrap();
    r.advance(1.0);
    let frame = r.camera.frame(Ccd::ExtGuider).unwrap().unwrap();
    assert_eq!(frame.meta().date_obs, ObsDateTime::SPEC_DEFAULT);
    assert_eq!(frame.meta().setpoint_c, None, "the external head has no cooler");
}

#[test]
fn the_same_seed_and_requests_give_the_same_bytes() {
    let take = || {
        let r = rig();
        r.set(Ccd::Imager, &[(SettingKey::NumX, 128.0), (SettingKey::NumY, 128.0)]).unwrap();
        r.start(Ccd::Imager, 3.0, FrameType::Light).unwrap();
        r.advance(5.0);
        r.camera.frame(Ccd::Imager).unwrap().unwrap().to_le_bytes()
    };
    assert_eq!(take(), take());
}

#[test]
fn an_injected_fault_ends_the_next_exposure_in_error() {
    let r = rig();
    r.camera.faults().fail_next_exposure(Ccd::Imager);
    assert_eq!(r.camera.faults().active().fail_next_exposure, vec![Ccd::Imager]);
    r.start(Ccd::Imager, 2.0, FrameType::Light).unwrap();
    assert!(r.camera.faults().active().fail_next_exposure.is_empty(), "one-shot");
    r.check(Ccd::Imager, CcdState::Exposing, false);
    r.advance(2.0);
    r.check(Ccd::Imager, CcdState::Error, false);
    r.advance(60.0);
    r.check(Ccd::Imager, CcdState::Error, false);
    assert!(r.camera.frame(Ccd::Imager).unwrap().is_none());
    // The guider was not touched.
    r.check(Ccd::Guider, CcdState::Idle, false);

    // A new start recovers; so does an abort.
    r.set(Ccd::Imager, &[(SettingKey::NumX, 16.0), (SettingKey::NumY, 16.0)]).unwrap();
    r.start(Ccd::Imager, 1.0, FrameType::Light).unwrap();
    r.advance(1.01);
    r.check(Ccd::Imager, CcdState::Idle, true);
    r.camera.faults().fail_next_exposure(Ccd::Imager);
    r.start(Ccd::Imager, 1.0, FrameType::Light).unwrap();
    r.advance(1.0);
    r.check(Ccd::Imager, CcdState::Error, false);
    r.camera.abort_exposure(Ccd::Imager).unwrap();
    r.check(Ccd::Imager, CcdState::Idle, false);
}

#[test]
fn a_refused_start_does_not_use_up_the_fault() {
    let r = rig();
    r.start(Ccd::Imager, 5.0, FrameType::Light).unwrap();
    r.camera.faults().fail_next_exposure(Ccd::Imager);
    assert_eq!(r.start(Ccd::Imager, 5.0, FrameType::Light), Err(StxError::Busy));
    assert_eq!(r.camera.faults().active().fail_next_exposure, vec![Ccd::Imager]);
}

#[test]
fn settings_changed_during_an_exposure_apply_to_the_next() {
    let r = rig();
    r.set(Ccd::Guider, &[(SettingKey::NumX, 40.0), (SettingKey::NumY, 30.0)]).unwrap();
    r.start(Ccd::Guider, 1.0, FrameType::Dark).unwrap();
    r.set(Ccd::Guider, &[(SettingKey::BinX, 2.0), (SettingKey::BinY, 2.0)]).unwrap();
    r.advance(2.0);
    let frame = r.camera.frame(Ccd::Guider).unwrap().unwrap();
    assert_eq!((frame.width(), frame.height()), (40, 30));
    let settings = r.camera.settings(Ccd::Guider).unwrap();
    assert_eq!(settings.binning, Binning { x: 2, y: 2 });
}

#[test]
fn frames_finished_faster_than_taken_make_the_camera_busy_and_none_is_dropped() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::NumX, 16.0), (SettingKey::NumY, 16.0)]).unwrap();
    let (mut taken, mut refused) = (0, 0);
    for _ in 0..100 {
        if let Err(e) = r.start(Ccd::Imager, 0.01, FrameType::Dark) {
            assert_eq!(e, StxError::Busy);
            refused += 1;
            // The caller catches up: the camera takes exposures again.
            taken += r.camera.take_finished().unwrap().len();
            r.start(Ccd::Imager, 0.01, FrameType::Dark).unwrap();
        }
        r.advance(1.0);
    }
    taken += r.camera.take_finished().unwrap().len();
    assert_eq!(taken, 100, "every frame that finished is taken once");
    assert_eq!(refused, 100 / stx_sim::sim::PENDING_FRAMES_MAX - 1);
}
