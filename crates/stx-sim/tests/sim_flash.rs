//! The simulated camera's flash: filter names and FITS settings survive a restart.

mod sim_support;

use sim_support::{rig, rig_in};
use stx_camera::Camera;
use stx_protocol::{FilterName, FilterSlot, FitsChange, FitsSettings, FitsText};
use stx_sim::sim::FLASH_FILE_NAME;

fn names(pairs: &[(i64, &str)]) -> Vec<(FilterSlot, FilterName)> {
    pairs.iter().map(|&(n, name)| (FilterSlot::new(n).unwrap(), FilterName::new(name).unwrap())).collect()
}

fn text(s: &str) -> FitsText {
    FitsText::new(s).unwrap()
}

#[test]
fn names_and_fits_settings_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig_in(dir.path());
    r.camera.set_filter_names(&names(&[(1, "Lum"), (8, "it's \"odd\" = ok")])).unwrap();
    let changes = [
        FitsChange::ObjectName(text("M27 'Dumbbell'")),
        FitsChange::Observer(text("A. N. Other")),
        FitsChange::FocalLength(1234.5),
        FitsChange::Area(-0.25),
    ];
    r.camera.set_fits_settings(&changes).unwrap();
    let fits = r.camera.fits_settings().unwrap();
    let wheel = r.camera.filter_wheel().unwrap();
    drop(r);

    let again = rig_in(dir.path());
    assert_eq!(again.camera.fits_settings().unwrap(), fits);
    assert_eq!(again.camera.filter_wheel().unwrap().names, wheel.names);
    assert_eq!(fits.object_name.as_str(), "M27 'Dumbbell'");
    assert_eq!(fits.telescope, FitsSettings::default().telescope);
    assert_eq!(wheel.names[7].as_str(), "it's \"odd\" = ok");

    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(entries, [FLASH_FILE_NAME], "no temporary file is left behind");
}

#[test]
fn a_corrupt_file_gives_the_defaults_and_is_replaced_on_the_next_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FLASH_FILE_NAME);
    std::fs::write(&path, b"\xff\xfe not toml [[[").unwrap();
    let r = rig_in(dir.path());
    assert_eq!(r.camera.fits_settings().unwrap(), FitsSettings::default());
    assert!(r.camera.filter_wheel().unwrap().names.iter().all(|n| n.as_str() == "Empty"));

    r.camera.set_fits_settings(&[FitsChange::Aperture(80.0)]).unwrap();
    drop(r);
    assert_eq!(rig_in(dir.path()).camera.fits_settings().unwrap().aperture_mm, 80.0);
}

#[test]
fn a_value_that_breaks_the_rules_falls_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = "[filters]\nnames = [\"Red\", \"a name far too long for a filter\", \"Blue\"]\n\n\
                [fits]\nobserver = \"Me\"\nobject_name = \"tab\\there\"\nfocal_length_mm = 800.0\n";
    std::fs::write(dir.path().join(FLASH_FILE_NAME), file).unwrap();
    let r = rig_in(dir.path());
    let names: Vec<String> = r.camera.filter_wheel().unwrap().names.iter().map(|n| n.to_string()).collect();
    assert_eq!(names, ["Red", "Empty", "Blue", "Empty", "Empty", "Empty", "Empty", "Empty"]);
    let fits = r.camera.fits_settings().unwrap();
    assert_eq!(fits.observer.as_str(), "Me");
    assert_eq!(fits.object_name, FitsSettings::default().object_name);
    assert_eq!(fits.focal_length_mm, 800.0);
    assert_eq!(fits.aperture_mm, FitsSettings::default().aperture_mm);
}

#[test]
fn a_missing_data_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    let r = rig_in(&nested);
    r.camera.set_filter_names(&names(&[(2, "Green")])).unwrap();
    assert!(nested.join(FLASH_FILE_NAME).is_file());
}

#[test]
fn an_unusable_data_directory_stops_the_camera_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let config = stx_sim::SimConfig {
        preset: stx_sim::preset::ModelPreset::resolve("stx-16803").unwrap(),
        seed: 1,
        data_dir: Some(file),
        clock: std::sync::Arc::new(stx_sim::ManualClock::new()),
    };
    assert!(matches!(stx_sim::SimCamera::new(config), Err(stx_sim::SimError::DataDir { .. })));
}

#[test]
fn without_a_data_directory_settings_live_in_memory_only() {
    let r = rig();
    r.camera.set_fits_settings(&[FitsChange::Telescope(text("RC10"))]).unwrap();
    assert_eq!(r.camera.fits_settings().unwrap().telescope.as_str(), "RC10");
    assert_eq!(rig().camera.fits_settings().unwrap(), FitsSettings::default());
}

#[test]
fn a_change_the_flash_cannot_store_is_refused_and_not_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let r = rig_in(dir.path());
    r.camera.set_fits_settings(&[FitsChange::FocalLength(800.0)]).unwrap();
    // The flash's temp file cannot be created (a directory stands in its place): the
    // write fails as on a full disk, even for root.
    let temp = dir.path().join(format!(".{FLASH_FILE_NAME}.{}.tmp", std::process::id()));
    std::fs::create_dir(&temp).unwrap();
    assert!(r.camera.set_fits_settings(&[FitsChange::FocalLength(1.0)]).is_err());
    assert!(r.camera.set_filter_names(&names(&[(1, "Ha")])).is_err());
    assert_eq!(r.camera.fits_settings().unwrap().focal_length_mm, 800.0, "refused, so not in force");
    assert_eq!(r.camera.filter_wheel().unwrap().names[0].as_str(), "Empty");

    std::fs::remove_dir(&temp).unwrap();
    r.camera.set_fits_settings(&[FitsChange::FocalLength(1000.0)]).unwrap();
    assert_eq!(r.camera.fits_settings().unwrap().focal_length_mm, 1000.0);
}
