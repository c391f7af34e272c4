//! `/setup.html`, form `CameraSetup`: binning, cooler, fan and frame size. A GET with
//! fields applies them as one `ImagerSetSettings` call would, after checking the whole
//! form (the API's own rules, tried on a copy first), so it applies whole or not at all.

use stx_camera::Camera;
use stx_protocol::page::Page;
use stx_protocol::reply::real;
use stx_protocol::request::RawParam;
use stx_protocol::{
    Ccd, CcdSettings, FanMode, SET_ORDER, SettingChange, SettingKey, SettingsUpdate, Subframe,
};

use super::form::{self, FrameSize, SetupForm, fan_code};
use super::html::Html;
use super::layout::{self, Entry, Notice};

/// Answers `/setup.html` with `params`.
pub(super) fn answer(camera: &dyn Camera, params: &[RawParam]) -> String {
    let notice = if params.is_empty() {
        Notice::Nothing
    } else {
        match form::setup(params) {
            Ok(form) => apply(camera, &form),
            Err(errors) => errors.into(),
        }
    };
    let model = super::model(camera);
    match camera.settings(Ccd::Imager) {
        Ok(settings) => render(&model, &settings, &notice),
        Err(e) => super::unavailable(Page::Setup, "Setup", &model, e),
    }
}

fn apply(camera: &dyn Camera, form: &SetupForm) -> Notice {
    let current = match camera.settings(Ccd::Imager) {
        Ok(s) => s,
        Err(e) => return e.into(),
    };
    let update = update(form, &current);
    // The API's rules, on a copy: a value the camera would refuse stops the form
    // before anything of it is applied.
    if let Err(e) = update.apply_to(&mut current.clone()) {
        return Notice::Refused(vec![e.text().to_owned()]);
    }
    match camera.set_settings(Ccd::Imager, &update) {
        Ok(()) if current.fan.is_none() && (form.fan.is_some() || form.fan_percent.is_some()) => {
            Notice::Done(
                "Settings applied; this camera has no fan control, so Fan was left alone.".to_owned(),
            )
        }
        Ok(()) => Notice::Done("Settings applied.".to_owned()),
        Err(e) => e.into(),
    }
}

/// The form as the API's set call, in the API's order. Parts the camera lacks (no
/// cooler, no fan) are left out; `0` choices keep what another program set.
fn update(form: &SetupForm, current: &CcdSettings) -> SettingsUpdate {
    let mut values: Vec<(SettingKey, f64)> = Vec::new();
    if let Some(bin) = form.bin.filter(|&b| b != 0) {
        values.extend([(SettingKey::BinX, f64::from(bin)), (SettingKey::BinY, f64::from(bin))]);
    }
    if current.cooler.is_some() {
        if let Some(on) = form.cooler_on {
            values.push((SettingKey::CoolerState, f64::from(u8::from(on))));
        }
        if let Some(c) = form.setpoint_c {
            values.push((SettingKey::CCDTemperatureSetpoint, c));
        }
    }
    if current.fan.is_some() {
        if let Some(mode) = form.fan {
            values.push((SettingKey::FanState, f64::from(mode.code())));
        }
        if let Some(p) = form.fan_percent {
            values.push((SettingKey::FanPower, f64::from(p)));
        }
    }
    if let Some(window) = form.frame_size.and_then(|size| window(size, current)) {
        values.extend([
            (SettingKey::StartX, f64::from(window.start_x)),
            (SettingKey::StartY, f64::from(window.start_y)),
            (SettingKey::NumX, f64::from(window.num_x)),
            (SettingKey::NumY, f64::from(window.num_y)),
        ]);
    }
    let changes = SET_ORDER
        .into_iter()
        .filter_map(|key| {
            values.iter().find(|(k, _)| *k == key).map(|&(key, v)| SettingChange { key, value: Some(v) })
        })
        .collect();
    SettingsUpdate { changes }
}

/// The centred readout window of `size` on this sensor; `None` for
/// [`FrameSize::Custom`].
fn window(size: FrameSize, s: &CcdSettings) -> Option<Subframe> {
    let d = size.divisor()?;
    let (num_x, num_y) = (s.sensor.width / d, s.sensor.height / d);
    Some(Subframe {
        start_x: (s.sensor.width - num_x) / 2,
        start_y: (s.sensor.height - num_y) / 2,
        num_x,
        num_y,
    })
}

/// The fan mode in words.
pub(super) fn fan_text(mode: FanMode) -> &'static str {
    match mode {
        FanMode::Auto => "Auto",
        FanMode::Manual => "Manual",
        FanMode::Off => "Off",
    }
}

fn render(model: &str, s: &CcdSettings, notice: &Notice) -> String {
    let (bx, by) = (s.binning.x, s.binning.y);
    let bin = if bx == by && (1..=3).contains(&bx) { bx.to_string() } else { "0".to_owned() };
    let size = FrameSize::ALL[1..].iter().copied().find(|&size| window(size, s) == Some(s.frame));
    let size = size.unwrap_or(FrameSize::Custom);
    layout::page(Page::Setup, "Setup", model, notice, None, |h: &mut Html| {
        layout::section(h, "Now", |h| {
            let mut rows = vec![("Binning", format!("{bx}×{by}"))];
            if let Some(c) = s.cooler {
                rows.push(("CCD temperature", format!("{} °C", real(c.temperature_c))));
                rows.push(("Cooler power", format!("{} %", real(c.power_percent))));
            }
            let f = s.frame;
            rows.push(("Frame", format!("{}×{} at {},{}", f.num_x, f.num_y, f.start_x, f.start_y)));
            layout::values(h, &rows);
        });
        layout::section(h, "Camera setup", |h| {
            h.el(
                "form",
                &[super::html::a("name", "CameraSetup"), super::html::a("action", Page::Setup.path())],
                |h| {
                    h.el("table", &[], |h| {
                        layout::row(h, "Binning", |h| {
                            let as_set = format!("{bx}×{by} (as set)");
                            let mut choices = vec![("1", "1×1"), ("2", "2×2"), ("3", "3×3")];
                            if bin == "0" {
                                choices.push(("0", &as_set));
                            }
                            layout::radios(h, "Bin", &choices, &bin);
                        });
                        let cooler = s.cooler;
                        layout::row(h, "Cooler", |h| {
                            let on = if cooler.is_some_and(|c| c.on) { "1" } else { "0" };
                            layout::radios(h, "CoolerState", &[("0", "Off"), ("1", "On")], on);
                        });
                        layout::row(h, "Setpoint (°C)", |h| {
                            let setpoint = cooler.map_or_else(|| real(0.0), |c| real(c.setpoint_c));
                            layout::text_input(h, "CCDTemperatureSetpoint", &setpoint, Entry::Number);
                        });
                        layout::row(h, "Fan", |h| {
                            let mode = s.fan.map_or(FanMode::Off, |f| f.mode);
                            let choices = [("1", "Auto"), ("2", "Manual"), ("3", "Off")];
                            layout::radios(h, "Fan", &choices, &fan_code(mode).to_string());
                        });
                        layout::row(h, "Fan speed (%)", |h| {
                            let percent = s.fan.map_or(0, |f| f.power_percent);
                            layout::text_input(h, "FanSetpoint", &percent.to_string(), Entry::Number);
                        });
                        layout::row(h, "Frame size", |h| {
                            let mut choices = vec![("1", "Full"), ("2", "Half"), ("3", "Quarter")];
                            if size == FrameSize::Custom {
                                choices.push(("0", "As set"));
                            }
                            layout::radios(h, "FrameSize", &choices, &size.code().to_string());
                        });
                    });
                    layout::submit(h, "Apply");
                },
            );
            if s.fan.is_none() {
                layout::hint(h, "This camera has no fan control: Fan is shown as Off and not applied.");
            }
            layout::hint(h, "Half and quarter frames are centred on the sensor.");
        });
    })
}
