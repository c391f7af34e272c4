//! The simulated camera's filter wheel, on a manual clock.

mod sim_support;

use sim_support::{Rig, rig, rig_of, stx};
use stx_camera::Camera;
use stx_protocol::{Ccd, FilterName, FilterSlot, FilterWheelState, FrameType, SettingKey, StxError};
use stx_sim::preset::ModelPreset;

/// The STX-16803 preset's wheel: 9 positions, 0.8 s per slot.
const SECONDS_PER_SLOT: f64 = 0.8;

fn slot(n: i64) -> FilterSlot {
    FilterSlot::new(n).unwrap()
}

fn change(r: &Rig, n: i64) -> Result<(), StxError> {
    r.camera.change_filter(slot(n)).map_err(stx)
}

/// Asserts the wheel's state and current slot.
#[track_caller]
fn check(r: &Rig, state: FilterWheelState, current: u8) {
    let status = r.camera.filter_wheel().unwrap();
    assert_eq!((status.state, status.current.get()), (state, current));
}

/// Seconds a move takes, found by polling the wheel every millisecond.
fn move_time(r: &Rig, to: i64) -> f64 {
    change(r, to).unwrap();
    let mut t = 0.0;
    while r.camera.filter_wheel().unwrap().state == FilterWheelState::Moving {
        r.advance(0.001);
        t += 0.001;
    }
    t
}

#[test]
fn a_new_wheel_rests_at_slot_0_with_every_filter_empty() {
    let r = rig();
    let status = r.camera.filter_wheel().unwrap();
    assert_eq!(status.state, FilterWheelState::Idle);
    assert_eq!(status.current, FilterSlot::NONE);
    assert!(status.names.iter().all(|n| n.as_str() == "Empty"));
    assert_eq!(status.current_name(), "");
}

#[test]
fn a_move_reports_the_target_while_moving_and_takes_time_per_slot() {
    let r = rig();
    change(&r, 3).unwrap();
    check(&r, FilterWheelState::Moving, 3);
    r.advance(3.0 * SECONDS_PER_SLOT - 0.001);
    check(&r, FilterWheelState::Moving, 3);
    assert_eq!(change(&r, 5), Err(StxError::FilterBusy));
    r.advance(0.001);
    check(&r, FilterWheelState::Idle, 3);
}

#[test]
fn moves_take_the_shorter_way_round() {
    let close = |a: f64, b: f64| (a - b).abs() < 0.002;
    let r = rig();
    let t = move_time(&r, 8);
    assert!(close(t, SECONDS_PER_SLOT), "0 → 8 is one slot back: {t}");
    let t = move_time(&r, 1);
    assert!(close(t, 2.0 * SECONDS_PER_SLOT), "8 → 1 through 0: {t}");
    let t = move_time(&r, 5);
    assert!(close(t, 4.0 * SECONDS_PER_SLOT), "1 → 5: {t}");
    let t = move_time(&r, 5);
    assert_eq!(t, 0.0, "a move to the current slot is allowed and instant");
    check(&r, FilterWheelState::Idle, 5);
}

#[test]
fn a_camera_without_a_wheel_reports_error_and_not_found() {
    let mut preset = ModelPreset::resolve("stx-16803").unwrap();
    preset.filter_wheel = None;
    let r = rig_of(preset);
    check(&r, FilterWheelState::Error, 0);
    assert_eq!(change(&r, 1), Err(StxError::FilterNotFound));
    assert_eq!(change(&r, 0), Err(StxError::FilterNotFound));
}

#[test]
fn an_absent_wheel_is_not_found_until_it_returns() {
    let r = rig();
    change(&r, 2).unwrap();
    r.advance(5.0);
    r.camera.faults().set_filter_wheel_absent(true);
    check(&r, FilterWheelState::Error, 2);
    assert_eq!(change(&r, 4), Err(StxError::FilterNotFound));
    r.camera.faults().set_filter_wheel_absent(false);
    check(&r, FilterWheelState::Idle, 2);
    change(&r, 4).unwrap();
}

#[test]
fn a_failing_wheel_gives_communication_errors_until_cleared() {
    let r = rig();
    r.camera.faults().set_filter_wheel_failing(true);
    assert!(r.camera.faults().active().filter_wheel_failing);
    check(&r, FilterWheelState::Error, 0);
    assert_eq!(change(&r, 1), Err(StxError::FilterCommunication));
    r.camera.faults().clear();
    check(&r, FilterWheelState::Idle, 0);
    change(&r, 1).unwrap();
}

#[test]
fn names_can_be_set_and_the_frame_carries_the_filter_in_the_beam() {
    let r = rig();
    let lum = FilterName::new("Luminance").unwrap();
    let ha = FilterName::new("H-alpha 7nm").unwrap();
    r.camera.set_filter_names(&[(slot(1), lum.clone()), (slot(5), ha.clone())]).unwrap();
    let status = r.camera.filter_wheel().unwrap();
    assert_eq!((&status.names[0], &status.names[4], status.names[1].as_str()), (&lum, &ha, "Empty"));

    change(&r, 5).unwrap();
    r.advance(10.0);
    assert_eq!(r.camera.filter_wheel().unwrap().current_name(), "H-alpha 7nm");
    r.set(Ccd::Imager, &[(SettingKey::NumX, 8.0), (SettingKey::NumY, 8.0)]).unwrap();
    r.start(Ccd::Imager, 1.0, FrameType::Light).unwrap();
    r.advance(2.0);
    let frame = r.camera.frame(Ccd::Imager).unwrap().unwrap();
    assert_eq!(frame.meta().filter.as_ref().map(|f| f.as_str()), Some("H-alpha 7nm"));
}
