//! Guiding through Alpaca, as PHD2 guides an STX through stxd: guide frames from
//! Camera 1 (the internal guide CCD) downloaded as ImageBytes, the guide star
//! centroided (`stx-analysis`), and corrections sent by Camera 1's PulseGuide onto the
//! STX's relays, against the simulated mount's drift and periodic error on the manual
//! clock. Guided, the star's RMS distance from where guiding began must be at least
//! three times smaller than unguided.

mod common;

use common::{TestServer, exchange};

/// Simulated time guided and unguided, s.
const SESSION_S: f64 = 1800.0;
/// Guide exposure, s.
const GUIDE_EXPOSURE_S: f64 = 2.0;
/// Unguided, the star is only watched, every this many seconds.
const WATCH_INTERVAL_S: f64 = 30.0;
/// Calibration pulse per axis, ms.
const CALIBRATION_PULSE_MS: f64 = 2000.0;
/// Share of the measured error each correction removes (a common guider setting).
const AGGRESSIVENESS: f64 = 0.7;
/// Errors below this many guider pixels are left alone (mostly noise).
const MIN_MOVE_PX: f64 = 0.1;
/// How far from its last place the guide star is looked for, pixels.
const SEARCH_PX: f64 = 40.0;
/// Stars this close to an edge are not chosen to guide on, pixels.
const EDGE_PX: f64 = 60.0;
/// Alpaca's PulseGuide directions that move the image along +x and +y (E→X+, S→Y+)
/// and their opposites.
const EAST: u8 = 2;
const WEST: u8 = 3;
const SOUTH: u8 = 1;
const NORTH: u8 = 0;

/// A guider driving Camera 1 over real sockets.
struct Guider {
    server: TestServer,
}

impl Guider {
    fn put(&self, member: &str, body: &str) {
        let addr = self.server.stxd().alpaca_addr().unwrap();
        let request = format!(
            "PUT /api/v1/camera/1/{member} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let reply = exchange(addr, request.as_bytes()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(reply.body()).unwrap();
        assert_eq!(json["ErrorNumber"], 0, "{member} {body}: {json}");
    }

    fn get(&self, member: &str, accept: &str) -> Vec<u8> {
        let addr = self.server.stxd().alpaca_addr().unwrap();
        let request = format!(
            "GET /api/v1/camera/1/{member} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        );
        exchange(addr, request.as_bytes()).unwrap().body().to_vec()
    }

    fn image_ready(&self) -> bool {
        let json: serde_json::Value =
            serde_json::from_slice(&self.get("imageready", "application/json")).unwrap();
        json["Value"] == true
    }

    /// One guide frame: exposes, moves the clock until it is ready, downloads it as
    /// ImageBytes and returns it rows from the top, with its width and height.
    fn frame(&self) -> (Vec<u16>, usize, usize) {
        self.put("startexposure", &format!("Duration={GUIDE_EXPOSURE_S}&Light=true"));
        self.server.advance(GUIDE_EXPOSURE_S);
        while !self.image_ready() {
            self.server.advance(0.05);
        }
        let bytes = self.get("imagearray", "application/imagebytes");
        let word = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap()) as usize;
        let (width, height) = (word(8), word(9));
        let x_major: Vec<u16> =
            bytes[44..].chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        let rows =
            (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).map(|(x, y)| x_major[x * height + y]);
        (rows.collect(), width, height)
    }

    /// The guide star's centroid: the star nearest `near` within the search box, or
    /// (with no `near`) the highest-SNR star away from the edges.
    fn star(&self, near: Option<[f64; 2]>) -> [f64; 2] {
        let (pixels, width, height) = self.frame();
        let frame = stx_analysis::Frame::new(&pixels, width, height).unwrap();
        let stars = stx_analysis::analyze(&frame, &stx_analysis::Options::default()).stars;
        let star = match near {
            Some(p) => stars
                .iter()
                .map(|s| ((s.x - p[0]).hypot(s.y - p[1]), s))
                .filter(|(d, _)| *d < SEARCH_PX)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, s)| s),
            None => stars
                .iter()
                .filter(|s| s.x > EDGE_PX && s.y > EDGE_PX)
                .filter(|s| s.x < width as f64 - EDGE_PX && s.y < height as f64 - EDGE_PX)
                .max_by(|a, b| a.snr.total_cmp(&b.snr)),
        };
        let star = star.expect("a guide star");
        [star.x, star.y]
    }

    fn pulse(&self, direction: u8, ms: f64) {
        self.put("pulseguide", &format!("Direction={direction}&Duration={}", ms.round()));
    }
}

/// Simulated seconds now.
fn now(guider: &Guider) -> f64 {
    use stx_sim::Clock;
    guider.server.clock.now().secs()
}

/// Runs a session; returns the guide star's RMS distance from where guiding (or
/// watching) began, guider pixels.
fn session(guided: bool) -> f64 {
    let guider = Guider { server: TestServer::start() };
    guider.put("connect", "");
    let mut star = guider.star(None);
    // Guider pixels per ms of E and S pulses, measured.
    let mut rates = [[0.0; 2]; 2];
    if guided {
        for (axis, direction) in [EAST, SOUTH].into_iter().enumerate() {
            guider.pulse(direction, CALIBRATION_PULSE_MS);
            guider.server.advance(CALIBRATION_PULSE_MS / 1000.0);
            let moved = guider.star(Some(star));
            rates[axis] = [0, 1].map(|a| (moved[a] - star[a]) / CALIBRATION_PULSE_MS);
            star = moved;
        }
    }
    let lock = star;
    let mut errors = Vec::new();
    let start = now(&guider);
    while now(&guider) - start < SESSION_S {
        if !guided {
            guider.server.advance(WATCH_INTERVAL_S - GUIDE_EXPOSURE_S);
        }
        star = guider.star(Some(star));
        let error = [star[0] - lock[0], star[1] - lock[1]];
        errors.push(error[0].hypot(error[1]));
        if guided && error[0].hypot(error[1]) > MIN_MOVE_PX {
            // Solve east·te + south·ts = −error·aggressiveness for the pulse times.
            let [east, south] = rates;
            let det = east[0] * south[1] - south[0] * east[1];
            let goal = error.map(|e| -e * AGGRESSIVENESS);
            let te = (goal[0] * south[1] - south[0] * goal[1]) / det;
            let ts = (east[0] * goal[1] - goal[0] * east[1]) / det;
            for (t, plus, minus) in [(te, EAST, WEST), (ts, SOUTH, NORTH)] {
                if t.abs() >= 1.0 {
                    guider.pulse(if t > 0.0 { plus } else { minus }, t.abs());
                }
            }
        }
    }
    (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt()
}

#[test]
fn guiding_through_alpaca_cuts_the_drift() {
    let guided = session(true);
    let unguided = session(false);
    println!("guide star RMS through Alpaca: guided {guided:.3} px, unguided {unguided:.3} px");
    assert!(guided * 3.0 <= unguided, "guided {guided} vs unguided {unguided}");
}
