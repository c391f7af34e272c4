//! The simulated camera's cooler and ambient temperature, on a manual clock.

mod sim_support;

use sim_support::rig;
use stx_camera::Camera;
use stx_protocol::{Ccd, CoolerStatus, SettingChange, SettingKey, SettingsUpdate};

/// The STX-16803 preset: ambient 15 °C, 50 °C below ambient at most, τ = 300 s.
const AMBIENT_C: f64 = 15.0;
const MAX_DELTA_C: f64 = 50.0;
const TAU_S: f64 = 300.0;

fn cooler(r: &sim_support::Rig, ccd: Ccd) -> CoolerStatus {
    r.camera.settings(ccd).unwrap().cooler.unwrap()
}

fn ambient(r: &sim_support::Rig) -> f64 {
    r.camera.settings(Ccd::Imager).unwrap().ambient_c
}

#[track_caller]
fn check_close(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!((got - want).abs() <= tolerance, "{what}: got {got}, want {want} ± {tolerance}");
}

#[test]
fn a_new_camera_has_the_cooler_off_at_the_specs_setpoint_and_the_ccd_at_ambient() {
    let r = rig();
    let c = cooler(&r, Ccd::Imager);
    assert!(!c.on);
    assert_eq!(c.setpoint_c, 25.0);
    assert_eq!(c.temperature_c, AMBIENT_C);
    assert_eq!(c.power_percent, 0.0);
    assert_eq!(ambient(&r), AMBIENT_C);
}

#[test]
fn the_ccd_approaches_the_setpoint_with_the_time_constant() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::CoolerState, 1.0), (SettingKey::CCDTemperatureSetpoint, -20.0)])
        .unwrap();
    // First order from 15 °C towards -20 °C: 35 °C to go, e-folding every 300 s.
    for tau in [1.0, 2.0, 3.0] {
        r.advance(TAU_S);
        let want = -20.0 + 35.0 * f64::exp(-tau);
        check_close(&format!("after {tau} τ"), cooler(&r, Ccd::Imager).temperature_c, want, 1e-9);
    }
    r.advance(20.0 * TAU_S);
    let c = cooler(&r, Ccd::Imager);
    check_close("settled", c.temperature_c, -20.0, 1e-6);
    // Power holds the load: the difference from ambient over the cooler's reach.
    check_close("power", c.power_percent, 100.0 * (ambient(&r) + 20.0) / MAX_DELTA_C, 1e-9);
    assert!(c.power_percent < 100.0);
}

#[test]
fn power_rises_with_the_load() {
    let power_at = |setpoint: f64| {
        let r = rig();
        r.set(Ccd::Imager, &[(SettingKey::CoolerState, 1.0), (SettingKey::CCDTemperatureSetpoint, setpoint)])
            .unwrap();
        cooler(&r, Ccd::Imager).power_percent
    };
    let powers: Vec<f64> = [10.0, 0.0, -10.0, -20.0, -30.0].into_iter().map(power_at).collect();
    assert!(powers.windows(2).all(|w| w[0] < w[1]), "{powers:?}");
    check_close("10 °C", powers[0], 10.0, 1e-9);
}

#[test]
fn an_unreachable_setpoint_pins_power_at_100_and_stops_at_max_delta() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::CoolerState, 1.0), (SettingKey::CCDTemperatureSetpoint, -60.0)])
        .unwrap();
    check_close("power at once", cooler(&r, Ccd::Imager).power_percent, 100.0, 1e-9);
    r.advance(30.0 * TAU_S);
    let c = cooler(&r, Ccd::Imager);
    check_close("power", c.power_percent, 100.0, 1e-9);
    check_close("floor", c.temperature_c, ambient(&r) - MAX_DELTA_C, 0.05);
    assert!(c.temperature_c > -60.0);
}

#[test]
fn a_setpoint_above_ambient_leaves_the_ccd_at_ambient_with_no_power() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::CoolerState, 1.0)]).unwrap();
    r.advance(10.0 * TAU_S);
    let c = cooler(&r, Ccd::Imager);
    check_close("temperature", c.temperature_c, ambient(&r), 0.05);
    assert_eq!(c.power_percent, 0.0);
}

#[test]
fn switching_off_warms_back_to_ambient_without_a_jump() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::CoolerState, 1.0), (SettingKey::CCDTemperatureSetpoint, -10.0)])
        .unwrap();
    r.advance(TAU_S);
    let before = cooler(&r, Ccd::Imager).temperature_c;
    r.set(Ccd::Imager, &[(SettingKey::CoolerState, 0.0)]).unwrap();
    let c = cooler(&r, Ccd::Imager);
    assert_eq!(c.temperature_c, before, "continuous at the change");
    assert_eq!(c.power_percent, 0.0);
    r.advance(TAU_S);
    let want = ambient(&r) + (before - AMBIENT_C) * f64::exp(-1.0);
    check_close("one τ after", cooler(&r, Ccd::Imager).temperature_c, want, 0.05);
}

#[test]
fn the_guider_reads_the_imagers_cooler_and_cannot_set_it() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::CoolerState, 1.0), (SettingKey::CCDTemperatureSetpoint, -5.0)])
        .unwrap();
    r.advance(100.0);
    assert_eq!(cooler(&r, Ccd::Guider), cooler(&r, Ccd::Imager));
    // The front never sends cooler keys to the guider; if a caller does, they change
    // nothing shared.
    let update =
        SettingsUpdate { changes: vec![SettingChange { key: SettingKey::CoolerState, value: Some(0.0) }] };
    r.camera.set_settings(Ccd::Guider, &update).unwrap();
    assert!(cooler(&r, Ccd::Imager).on);
    assert!(r.camera.settings(Ccd::ExtGuider).unwrap().cooler.is_none(), "the external head has no cooler");
}

#[test]
fn ambient_drifts_slowly_and_stays_bounded() {
    let r = rig();
    r.advance(3600.0);
    check_close("after an hour", ambient(&r), AMBIENT_C - 0.5, 0.01);
    // A daily swing whose slope at the start is the preset's -0.5 °C/h.
    let amplitude = 0.5 * 24.0 / std::f64::consts::TAU;
    for _ in 0..24 * 30 {
        r.advance(3600.0);
        assert!((ambient(&r) - AMBIENT_C).abs() <= amplitude + 1e-9);
    }
}

#[test]
fn a_stuck_cooler_runs_flat_out_above_the_setpoint_until_freed() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::CoolerState, 1.0), (SettingKey::CCDTemperatureSetpoint, -20.0)])
        .unwrap();
    r.advance(TAU_S);
    let before = cooler(&r, Ccd::Imager).temperature_c;
    r.camera.faults().set_cooler_stuck(true);
    assert!(r.camera.faults().active().cooler_stuck);
    let c = cooler(&r, Ccd::Imager);
    assert_eq!(c.temperature_c, before, "continuous at the fault");
    assert_eq!(c.power_percent, 100.0);
    r.advance(30.0 * TAU_S);
    let c = cooler(&r, Ccd::Imager);
    assert_eq!(c.power_percent, 100.0);
    check_close("stuck short of the setpoint", c.temperature_c, -15.0, 1e-6);
    r.camera.faults().set_cooler_stuck(false);
    r.advance(30.0 * TAU_S);
    let c = cooler(&r, Ccd::Imager);
    check_close("freed", c.temperature_c, -20.0, 1e-6);
    assert!(c.power_percent < 100.0);
}

#[test]
fn the_frame_records_the_temperature_and_the_setpoint_only_when_regulating() {
    let r = rig();
    r.set(Ccd::Imager, &[(SettingKey::NumX, 8.0), (SettingKey::NumY, 8.0)]).unwrap();
    r.start(Ccd::Imager, 1.0, stx_protocol::FrameType::Dark).unwrap();
    r.advance(2.0);
    let frame = r.camera.frame(Ccd::Imager).unwrap().unwrap();
    assert_eq!(frame.meta().setpoint_c, None);
    check_close("ambient", frame.meta().ccd_temp_c, AMBIENT_C, 0.01);
}
