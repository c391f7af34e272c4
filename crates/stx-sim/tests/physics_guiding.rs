//! Closed-loop guiding against the simulated camera over a simulated hour: a test
//! guider calibrates the relays, centroids the internal guider's frames and sends
//! PulseGuide corrections, while the imager takes long exposures. Guided, the guide
//! star must stay far closer to where it started than unguided, and the imager's stars
//! must be measurably smaller. A guiding program that works here has really corrected
//! the mount's drift and periodic error.

use std::sync::Arc;

use stx_camera::{Camera, Frame};
use stx_protocol::{
    Ccd, ExposureDuration, ExposureRequest, FrameType, Pulse, PulseDuration, PulseRequest, Relay,
    SettingChange, SettingKey, SettingsUpdate,
};
use stx_sim::preset::ModelPreset;
use stx_sim::{ManualClock, SimCamera, SimConfig};

/// Simulated time guided and unguided, s.
const SESSION_S: f64 = 3600.0;
/// Guide exposure, s.
const GUIDE_EXPOSURE_S: f64 = 3.0;
/// Unguided, the guide star is only watched, every this many seconds.
const WATCH_INTERVAL_S: f64 = 30.0;
/// Imager exposure, s.
const IMAGER_EXPOSURE_S: f64 = 300.0;
/// Calibration pulse per axis, s (about 20 guider pixels at 0.5× sidereal).
const CALIBRATION_PULSE_S: f64 = 2.0;
/// How far from its last place the star is looked for after a calibration pulse, px.
const CALIBRATION_SEARCH_PX: i64 = 40;
/// Share of the measured error each correction removes (a common guider setting).
const AGGRESSIVENESS: f64 = 0.7;
/// Errors below this many guider pixels are left alone (they are mostly noise).
const MIN_MOVE_PX: f64 = 0.1;
/// Half the side of the box the guide star is centroided in, pixels.
const GUIDE_BOX: i64 = 10;
/// Half the side of the imager's central window, pixels.
const IMAGER_HALF_WINDOW: u32 = 256;
/// Radius the imager's star HFR is measured in, pixels: takes in an unguided trail.
const HFR_RADIUS: f64 = 30.0;
/// Pixels above this many noise σ enter the guide star's centroid: the box's other
/// pixels would only add noise (a common guider practice).
const GUIDE_FLOOR_SIGMAS: f64 = 3.0;
/// Median absolute deviation to σ for normal noise.
const MAD_TO_SIGMA: f64 = 1.4826;
/// Polling step while waiting for a frame, s.
const POLL_S: f64 = 0.05;

/// The camera on a manual clock. Hot pixels are switched off: they are not what this
/// test is about, and a simple test guider would mistake a hot one for a star.
fn rig() -> (Arc<ManualClock>, SimCamera) {
    let mut preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    for sensor in [&mut preset.imager, &mut preset.guider] {
        sensor.hot_pixel_fraction = 0.0;
    }
    let clock = Arc::new(ManualClock::new());
    let config = SimConfig { preset, seed: 2024, data_dir: None, clock: clock.clone() };
    let camera = SimCamera::new(config).expect("camera");
    let h = IMAGER_HALF_WINDOW;
    let (w, ht) = (camera.preset().imager.width, camera.preset().imager.height);
    let window = [
        (SettingKey::StartX, w / 2 - h),
        (SettingKey::StartY, ht / 2 - h),
        (SettingKey::NumX, 2 * h),
        (SettingKey::NumY, 2 * h),
    ];
    let changes = window.iter().map(|&(key, v)| SettingChange { key, value: Some(f64::from(v)) }).collect();
    camera.set_settings(Ccd::Imager, &SettingsUpdate { changes }).expect("imager window");
    (clock, camera)
}

fn light(seconds: f64) -> ExposureRequest {
    ExposureRequest {
        duration: ExposureDuration::from_secs(seconds).expect("valid duration"),
        frame_type: FrameType::Light,
        date_time: None,
    }
}

/// One guide frame: exposes the guider and waits for its frame, running the imager's
/// exposures alongside (each finished one is measured into `imager_hfrs`).
struct Session {
    clock: Arc<ManualClock>,
    camera: SimCamera,
    imager_hfrs: Vec<f64>,
}

impl Session {
    fn now(&self) -> f64 {
        use stx_sim::Clock;
        self.clock.now().secs()
    }

    /// Moves the clock on, collecting the imager's frames and starting the next.
    fn advance(&mut self, seconds: f64) {
        let end = self.now() + seconds;
        while self.now() < end {
            self.clock.advance(POLL_S.min(end - self.now()));
            if self.camera.image_ready(Ccd::Imager).expect("state") {
                let frame = self.camera.frame(Ccd::Imager).expect("frame").expect("ready");
                self.imager_hfrs.push(brightest_star_hfr(&frame));
                // As the server's pipeline does: a camera whose frames nobody takes
                // holds its imager back.
                self.camera.take_finished().expect("finished frames");
                self.camera.start_exposure(Ccd::Imager, &light(IMAGER_EXPOSURE_S)).expect("imager start");
            }
        }
    }

    /// Takes a guide frame.
    fn guide_frame(&mut self) -> Arc<Frame> {
        self.camera.start_exposure(Ccd::Guider, &light(GUIDE_EXPOSURE_S)).expect("guider start");
        self.advance(GUIDE_EXPOSURE_S);
        while !self.camera.image_ready(Ccd::Guider).expect("state") {
            self.advance(POLL_S);
        }
        self.camera.frame(Ccd::Guider).expect("frame").expect("ready")
    }

    fn pulse(&self, x: Option<(Relay, f64)>, y: Option<(Relay, f64)>) {
        let pulse = |p: Option<(Relay, f64)>| {
            p.and_then(|(relay, s)| {
                PulseDuration::from_secs(s.min(PulseDuration::MAX_SECONDS))
                    .map(|duration| Pulse { relay, duration })
            })
        };
        let request = PulseRequest { x: pulse(x), y: pulse(y) };
        if request.pulses().next().is_some() {
            self.camera.pulse_guide(&request).expect("pulse");
        }
    }
}

/// A frame's pixels as numbers, less its background (the median).
struct Image {
    light: Vec<f64>,
    width: i64,
    height: i64,
    /// The background's noise, σ (from the median absolute deviation).
    noise: f64,
}

impl Image {
    fn new(frame: &Frame) -> Image {
        let mut light: Vec<f64> = frame.pixels().iter().map(|&p| f64::from(p)).collect();
        let mut sorted = light.clone();
        let middle = sorted.len() / 2;
        let (_, &mut median, _) = sorted.select_nth_unstable_by(middle, f64::total_cmp);
        light.iter_mut().for_each(|v| *v -= median);
        let mut deviations: Vec<f64> = light.iter().map(|v| v.abs()).collect();
        let (_, &mut mad, _) = deviations.select_nth_unstable_by(middle, f64::total_cmp);
        let noise = MAD_TO_SIGMA * mad;
        Image { light, width: i64::from(frame.width()), height: i64::from(frame.height()), noise }
    }

    fn at(&self, x: i64, y: i64) -> f64 {
        self.light[(y * self.width + x) as usize]
    }

    /// The pixel (x, y) whose 5×5 neighbourhood holds the most light, among those
    /// within `reach` pixels of `near` (both axes) and at least `margin` pixels inside.
    fn brightest(&self, margin: i64, near: (i64, i64), reach: i64) -> (i64, i64) {
        let mut best = (0, 0, f64::MIN);
        for y in margin.max(near.1 - reach)..(self.height - margin).min(near.1 + reach + 1) {
            for x in margin.max(near.0 - reach)..(self.width - margin).min(near.0 + reach + 1) {
                let sum: f64 = (-2..=2)
                    .flat_map(|dy| (-2..=2).map(move |dx| (dx, dy)))
                    .map(|(dx, dy)| self.at(x + dx, y + dy))
                    .sum();
                if sum > best.2 {
                    best = (x, y, sum);
                }
            }
        }
        (best.0, best.1)
    }

    /// Pixels within `radius` of `centre`: (pixel centre, light).
    fn around(&self, centre: [f64; 2], radius: f64) -> Vec<([f64; 2], f64)> {
        let r = radius.ceil() as i64 + 1;
        let (cx, cy) = (centre[0] as i64, centre[1] as i64);
        let mut pixels = Vec::new();
        for y in (cy - r).max(0)..(cy + r + 1).min(self.height) {
            for x in (cx - r).max(0)..(cx + r + 1).min(self.width) {
                let p = [x as f64 + 0.5, y as f64 + 0.5];
                if (p[0] - centre[0]).hypot(p[1] - centre[1]) <= radius {
                    pixels.push((p, self.at(x, y)));
                }
            }
        }
        pixels
    }

    /// The centroid of the light within `radius` of `guess`, refined three times,
    /// counting only pixels more than `floor_sigmas` noise σ above the background.
    fn centroid_near(&self, guess: [f64; 2], radius: f64, floor_sigmas: f64) -> [f64; 2] {
        let floor = floor_sigmas * self.noise;
        let mut c = guess;
        for _ in 0..3 {
            let pixels: Vec<([f64; 2], f64)> =
                self.around(c, radius).into_iter().filter(|&(_, v)| v > floor).collect();
            c = centroid(&pixels);
        }
        c
    }
}

/// Anywhere in the frame.
const ANYWHERE: ((i64, i64), i64) = ((0, 0), i64::MAX / 4);

fn centroid(pixels: &[([f64; 2], f64)]) -> [f64; 2] {
    let total: f64 = pixels.iter().map(|(_, v)| v).sum();
    [0, 1].map(|a| pixels.iter().map(|(p, v)| p[a] * v).sum::<f64>() / total)
}

/// The guide star's centroid near `guess`.
fn guide_star(frame: &Frame, guess: [f64; 2]) -> [f64; 2] {
    Image::new(frame).centroid_near(guess, GUIDE_BOX as f64, GUIDE_FLOOR_SIGMAS)
}

/// The flux-weighted mean distance of the brightest star's light from its centroid.
fn brightest_star_hfr(frame: &Frame) -> f64 {
    let image = Image::new(frame);
    let (x, y) = image.brightest(HFR_RADIUS as i64 + 2, ANYWHERE.0, ANYWHERE.1);
    let c = image.centroid_near([x as f64 + 0.5, y as f64 + 0.5], HFR_RADIUS, f64::NEG_INFINITY);
    let pixels = image.around(c, HFR_RADIUS);
    let total: f64 = pixels.iter().map(|(_, v)| v).sum();
    pixels.iter().map(|(p, v)| v * (p[0] - c[0]).hypot(p[1] - c[1])).sum::<f64>() / total
}

/// Guider pixels per second of each relay's axis, measured by pulsing X+ and Y+.
fn calibrate(session: &mut Session, start: [f64; 2]) -> ([f64; 2], [f64; 2], [f64; 2]) {
    let mut here = start;
    let mut rates = [[0.0; 2]; 2];
    for (axis, relay) in [Relay::XPlus, Relay::YPlus].into_iter().enumerate() {
        let pulse = Some((relay, CALIBRATION_PULSE_S));
        if axis == 0 {
            session.pulse(pulse, None)
        } else {
            session.pulse(None, pulse)
        }
        session.advance(CALIBRATION_PULSE_S);
        // The star moved some way we do not presume: find it again near where it was.
        let image = Image::new(&session.guide_frame());
        let (x, y) = image.brightest(GUIDE_BOX, (here[0] as i64, here[1] as i64), CALIBRATION_SEARCH_PX);
        let moved =
            image.centroid_near([x as f64 + 0.5, y as f64 + 0.5], GUIDE_BOX as f64, GUIDE_FLOOR_SIGMAS);
        rates[axis] = [0, 1].map(|a| (moved[a] - here[a]) / CALIBRATION_PULSE_S);
        here = moved;
    }
    (rates[0], rates[1], here)
}

/// Runs a session; returns the guide star's RMS distance from where it was when
/// guiding (or watching) began, in guider pixels, and the imager's star HFRs.
fn session(guided: bool) -> (f64, Vec<f64>) {
    let (clock, camera) = rig();
    let mut session = Session { clock, camera, imager_hfrs: Vec::new() };
    let first = Image::new(&session.guide_frame());
    let (x, y) = first.brightest(2 * GUIDE_BOX, ANYWHERE.0, ANYWHERE.1);
    let mut star =
        first.centroid_near([x as f64 + 0.5, y as f64 + 0.5], GUIDE_BOX as f64, GUIDE_FLOOR_SIGMAS);
    let (rate_x, rate_y) = if guided {
        let (rx, ry, here) = calibrate(&mut session, star);
        star = here;
        (rx, ry)
    } else {
        ([0.0; 2], [0.0; 2])
    };
    let lock = star;
    session.camera.start_exposure(Ccd::Imager, &light(IMAGER_EXPOSURE_S)).expect("imager start");
    let start = session.now();
    let mut errors = Vec::new();
    while session.now() - start < SESSION_S {
        if !guided {
            session.advance(WATCH_INTERVAL_S - GUIDE_EXPOSURE_S);
        }
        star = guide_star(&session.guide_frame(), star);
        let error = [star[0] - lock[0], star[1] - lock[1]];
        errors.push(error[0].hypot(error[1]));
        if guided && error[0].hypot(error[1]) > MIN_MOVE_PX {
            // Solve rate_x·tx + rate_y·ty = −error·aggressiveness for the relay times.
            let det = rate_x[0] * rate_y[1] - rate_y[0] * rate_x[1];
            let goal = error.map(|e| -e * AGGRESSIVENESS);
            let tx = (goal[0] * rate_y[1] - rate_y[0] * goal[1]) / det;
            let ty = (rate_x[0] * goal[1] - goal[0] * rate_x[1]) / det;
            let relay = |t: f64, plus, minus| {
                (t.abs() >= PulseDuration::MIN_SECONDS)
                    .then_some((if t > 0.0 { plus } else { minus }, t.abs()))
            };
            session.pulse(relay(tx, Relay::XPlus, Relay::XMinus), relay(ty, Relay::YPlus, Relay::YMinus));
        }
    }
    let rms = (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
    (rms, session.imager_hfrs)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn guiding_holds_the_star_and_keeps_the_imager_stars_round() {
    let (guided_rms, guided_hfr) = session(true);
    let (unguided_rms, unguided_hfr) = session(false);
    println!(
        "guide star RMS: guided {guided_rms:.3} px, unguided {unguided_rms:.3} px; imager HFR: guided {:.3} px ({} frames), unguided {:.3} px ({} frames)",
        mean(&guided_hfr),
        guided_hfr.len(),
        mean(&unguided_hfr),
        unguided_hfr.len()
    );
    assert!(guided_rms * 3.0 <= unguided_rms, "guided {guided_rms} vs unguided {unguided_rms}");
    assert!(guided_hfr.len() >= 10 && unguided_hfr.len() >= 10);
    assert!(mean(&guided_hfr) < 0.8 * mean(&unguided_hfr), "{guided_hfr:?} vs {unguided_hfr:?}");
}
