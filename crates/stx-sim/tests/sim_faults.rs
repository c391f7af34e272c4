//! The fault handle as a whole: what it reports, the faults the server applies, and
//! clearing. (Each camera fault's effect is tested with the part it breaks.)

mod sim_support;

use std::time::Duration;

use sim_support::rig;
use stx_protocol::Ccd;
use stx_sim::sim::FaultSet;

#[test]
fn a_new_camera_has_no_faults() {
    assert_eq!(rig().camera.faults().active(), FaultSet::default());
}

#[test]
fn answer_delay_is_kept_for_the_server() {
    let faults = rig().camera.faults();
    assert_eq!(faults.answer_delay(), Duration::ZERO);
    faults.set_answer_delay(Duration::from_millis(250));
    assert_eq!(faults.answer_delay(), Duration::from_millis(250));
    assert_eq!(faults.clone().answer_delay(), Duration::from_millis(250), "clones share the camera");
}

#[test]
fn a_dropped_download_is_one_shot() {
    let faults = rig().camera.faults();
    assert!(!faults.take_drop_download());
    faults.drop_next_download();
    assert!(faults.active().drop_next_download);
    assert!(faults.take_drop_download());
    assert!(!faults.take_drop_download());
}

#[test]
fn active_lists_every_fault_and_clear_ends_them_all() {
    let r = rig();
    let faults = r.camera.faults();
    faults.fail_next_exposure(Ccd::ExtGuider);
    faults.fail_next_exposure(Ccd::Imager);
    faults.set_filter_wheel_absent(true);
    faults.set_filter_wheel_failing(true);
    faults.set_cooler_stuck(true);
    faults.set_answer_delay(Duration::from_millis(50));
    faults.drop_next_download();
    let all = FaultSet {
        fail_next_exposure: vec![Ccd::Imager, Ccd::ExtGuider],
        filter_wheel_absent: true,
        filter_wheel_failing: true,
        cooler_stuck: true,
        answer_delay: Duration::from_millis(50),
        drop_next_download: true,
    };
    assert_eq!(faults.active(), all);
    faults.clear();
    assert_eq!(faults.active(), FaultSet::default());
}
