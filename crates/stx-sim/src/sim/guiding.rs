//! Mount motion, guide relays and the AO element: where the sky is at any moment.
//!
//! The image offset is a sum of four independent terms, each known in closed form:
//! constant tracking drift, a sinusoidal periodic error in x, the integral of the guide
//! relays' closures, and the AO element's tilt. Relay closures and AO moves are kept as
//! logs of intervals, so the offset at any retained moment is exact rather than the
//! result of stepping a simulation; intervals that ended long ago are folded into one
//! accumulated offset to keep the logs bounded.
//!
//! Sign convention: a positive offset moves the star images towards +x / +y on every
//! CCD. A closed `XPlus` relay moves the image towards +x, `XMinus` towards −x, and
//! likewise for y; an AO position above 50 moves the image towards + on its axis.

use std::f64::consts::TAU;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stx_protocol::{AoPosition, Relay, RelayStatus};

use crate::SimTime;
use crate::preset::{AoPreset, MountPreset};

/// How long a relay interval or AO move is kept exactly after it ended, s. Exposures
/// and the renderer's pointing samples look back at most one exposure, and no sensible
/// exposure lasts two hours; older history is folded into one offset.
const RETAIN_S: f64 = 7200.0;

/// Interval between the samples `track` takes, s: fine enough that a star trail drawn
/// through them looks continuous at guide rates and periodic-error speeds.
const TRACK_STEP_S: f64 = 0.5;

/// Most samples `track` returns, so a long exposure costs the renderer a bounded amount.
const TRACK_MAX_SAMPLES: usize = 64;

/// Salt mixed into the camera seed for the periodic-error phase, so that the phase does
/// not correlate with the other uses of the same seed.
const PHASE_SEED_SALT: u64 = 0x5045_5048_4153_4531;

/// One closure of one relay: from `start` until `end` (which a later pulse on the same
/// relay, or one on the opposite relay, may bring forward).
#[derive(Clone, Copy, Debug)]
struct Closure {
    relay: Relay,
    start: f64,
    end: f64,
}

/// A move of the AO element: from `from` at `start`, towards `to` at a fixed speed.
#[derive(Clone, Copy, Debug)]
struct AoMove {
    start: f64,
    from: [f64; 2],
    to: [f64; 2],
}

/// The mount and everything that moves the image: tracking drift, periodic error, guide
/// pulses through the relays, and the AO element's tilt.
#[derive(Debug)]
pub struct Guiding {
    mount: MountPreset,
    ao: Option<AoPreset>,
    /// Periodic-error phase at time zero, radians.
    pe_phase: f64,
    /// Relay closures that may still matter, in order of start.
    closures: Vec<Closure>,
    /// The summed image offset of all closures folded out of `closures`, arcsec.
    folded: [f64; 2],
    /// AO moves that may still matter, in order of start; the first is the position
    /// everything before it is at.
    ao_moves: Vec<AoMove>,
}

impl Guiding {
    /// A mount at rest with the AO centred, its periodic-error phase from `seed`.
    pub fn new(mount: &MountPreset, ao: Option<&AoPreset>, seed: u64) -> Guiding {
        let pe_phase = ChaCha8Rng::seed_from_u64(seed ^ PHASE_SEED_SALT).gen_range(0.0..TAU);
        let centre = [AoPosition::CENTRE.get(); 2];
        Guiding {
            mount: mount.clone(),
            ao: ao.cloned(),
            pe_phase,
            closures: Vec::new(),
            folded: [0.0; 2],
            ao_moves: vec![AoMove { start: f64::NEG_INFINITY, from: centre, to: centre }],
        }
    }

    /// Closes `relay` at `at` for `duration_s`: restarts it if already closed, opens the
    /// opposite relay of the axis.
    pub fn pulse(&mut self, at: SimTime, relay: Relay, duration_s: f64) {
        let now = at.secs();
        for c in &mut self.closures {
            if (c.relay == relay || c.relay == relay.opposite()) && c.end > now {
                c.end = now.max(c.start);
            }
        }
        self.closures.push(Closure { relay, start: now, end: now + duration_s.max(0.0) });
        self.fold_before(now - RETAIN_S);
    }

    /// Time left on each relay at `at`.
    pub fn relays(&self, at: SimTime) -> RelayStatus {
        let now = at.secs();
        let mut status = RelayStatus::default();
        for c in self.closures.iter().filter(|c| c.start <= now && now < c.end) {
            status.remaining_s[c.relay.index()] = c.end - now;
        }
        status
    }

    /// Starts a move of the AO element at `at`.
    pub fn ao_move(&mut self, at: SimTime, x: AoPosition, y: AoPosition) {
        let now = at.secs();
        let from = self.ao_position(now);
        self.ao_moves.push(AoMove { start: now, from, to: [x.get(), y.get()] });
        // Keep the latest move that started before the horizon: it fixes the position
        // from then on.
        let horizon = now - RETAIN_S;
        let keep_from = self.ao_moves.iter().rposition(|m| m.start <= horizon).unwrap_or(0);
        self.ao_moves.drain(..keep_from);
    }

    /// Whether the AO element is moving at `at`.
    pub fn ao_moving(&self, at: SimTime) -> bool {
        let Some(ao) = &self.ao else { return false };
        let now = at.secs();
        let m = self.ao_move_at(now);
        let travel = (m.to[0] - m.from[0]).abs().max((m.to[1] - m.from[1]).abs());
        now < m.start + travel * ao.seconds_per_unit
    }

    /// The image offset on the sky at `at`, arcsec (x, y), relative to where the mount
    /// pointed at time zero. `ao` says whether the CCD looks through the AO element
    /// (imager and internal guider do; the external guider does not).
    ///
    /// Exact for any moment no more than two hours before the latest pulse or AO move
    /// (older history is folded, see `RETAIN_S`).
    pub fn offset_at(&self, at: SimTime, ao: bool) -> (f64, f64) {
        let t = at.secs();
        let m = &self.mount;
        let pe = m.periodic_error_arcsec
            * ((TAU * t / m.periodic_period_s + self.pe_phase).sin() - self.pe_phase.sin());
        let relays = self.relay_offset(t);
        let ao_shift = if ao { self.ao_shift(t) } else { [0.0; 2] };
        (
            m.drift_arcsec_per_s[0] * t + pe + relays[0] + ao_shift[0],
            m.drift_arcsec_per_s[1] * t + relays[1] + ao_shift[1],
        )
    }

    /// `offset_at` sampled evenly over `[from, to]`, enough samples to show the motion.
    pub fn track(&self, from: SimTime, to: SimTime, ao: bool) -> Vec<(f64, f64)> {
        let span = to.since(from).max(0.0);
        let steps = ((span / TRACK_STEP_S).ceil() as usize).clamp(1, TRACK_MAX_SAMPLES - 1);
        (0..=steps).map(|i| self.offset_at(from.plus(span * i as f64 / steps as f64), ao)).collect()
    }

    /// The summed image offset of all relay closures at `t`, arcsec.
    fn relay_offset(&self, t: f64) -> [f64; 2] {
        let rate = self.mount.guide_rate_arcsec_per_s;
        let mut offset = self.folded;
        for c in &self.closures {
            let closed_for = (t.min(c.end) - c.start).max(0.0);
            let (axis, sign) = axis_sign(c.relay);
            offset[axis] += sign * rate * closed_for;
        }
        offset
    }

    /// Moves every closure that ended before `horizon` into the folded offset.
    fn fold_before(&mut self, horizon: f64) {
        let rate = self.mount.guide_rate_arcsec_per_s;
        let folded = &mut self.folded;
        self.closures.retain(|c| {
            if c.end >= horizon {
                return true;
            }
            let (axis, sign) = axis_sign(c.relay);
            folded[axis] += sign * rate * (c.end - c.start);
            false
        });
    }

    /// The move in force at `t`: the latest that started at or before it.
    fn ao_move_at(&self, t: f64) -> &AoMove {
        let i = self.ao_moves.partition_point(|m| m.start <= t);
        &self.ao_moves[i.saturating_sub(1)]
    }

    /// The AO element's position at `t`, 0..100 per axis. Without an AO unit the
    /// commanded position is taken at once (nothing moves).
    fn ao_position(&self, t: f64) -> [f64; 2] {
        let m = self.ao_move_at(t);
        let Some(ao) = &self.ao else { return m.to };
        let speed = 1.0 / ao.seconds_per_unit.max(f64::MIN_POSITIVE);
        let step = (t - m.start).max(0.0) * speed;
        [0, 1].map(|i| {
            let delta = m.to[i] - m.from[i];
            m.from[i] + delta.signum() * step.min(delta.abs())
        })
    }

    /// The image shift the AO element gives at `t`, arcsec.
    fn ao_shift(&self, t: f64) -> [f64; 2] {
        let Some(ao) = &self.ao else { return [0.0; 2] };
        self.ao_position(t).map(|p| (p - AoPosition::CENTRE.get()) / 100.0 * ao.travel_arcsec)
    }
}

/// The axis (0 = x, 1 = y) a relay moves the image along, and which way.
fn axis_sign(relay: Relay) -> (usize, f64) {
    match relay {
        Relay::XPlus => (0, 1.0),
        Relay::XMinus => (0, -1.0),
        Relay::YPlus => (1, 1.0),
        Relay::YMinus => (1, -1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f64 = 7.5;

    fn still_mount() -> MountPreset {
        MountPreset {
            guide_rate_arcsec_per_s: RATE,
            drift_arcsec_per_s: [0.0, 0.0],
            periodic_error_arcsec: 0.0,
            periodic_period_s: 480.0,
        }
    }

    fn ao_preset() -> AoPreset {
        AoPreset { travel_arcsec: 20.0, seconds_per_unit: 0.01 }
    }

    fn t(s: f64) -> SimTime {
        SimTime::from_secs(s)
    }

    fn pos(v: f64) -> AoPosition {
        AoPosition::new(v).expect("in range")
    }

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9
    }

    #[test]
    fn drift_and_periodic_error_start_at_zero_and_follow_the_preset() {
        let mount =
            MountPreset { drift_arcsec_per_s: [0.02, -0.01], periodic_error_arcsec: 5.0, ..still_mount() };
        let g = Guiding::new(&mount, None, 7);
        assert!(close(g.offset_at(t(0.0), true), (0.0, 0.0)));
        // Over one whole worm period the periodic error returns to where it started.
        let (x, y) = g.offset_at(t(480.0), true);
        assert!((x - 0.02 * 480.0).abs() < 1e-9 && (y + 0.01 * 480.0).abs() < 1e-9);
        // Its peak-to-peak excursion is twice the amplitude.
        let xs: Vec<f64> = (0..4800)
            .map(|i| g.offset_at(t(f64::from(i) * 0.1), true).0 - 0.02 * f64::from(i) * 0.1)
            .collect();
        let span = xs.iter().cloned().fold(f64::MIN, f64::max) - xs.iter().cloned().fold(f64::MAX, f64::min);
        assert!((span - 10.0).abs() < 1e-3, "{span}");
    }

    #[test]
    fn the_seed_sets_the_periodic_error_phase() {
        let mount = MountPreset { periodic_error_arcsec: 5.0, ..still_mount() };
        let a = Guiding::new(&mount, None, 1).offset_at(t(100.0), true);
        let b = Guiding::new(&mount, None, 1).offset_at(t(100.0), true);
        let c = Guiding::new(&mount, None, 2).offset_at(t(100.0), true);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_pulse_moves_the_image_at_the_guide_rate_while_closed() {
        let mut g = Guiding::new(&still_mount(), None, 0);
        g.pulse(t(10.0), Relay::XPlus, 2.0);
        assert!(close(g.offset_at(t(10.0), true), (0.0, 0.0)));
        assert!(close(g.offset_at(t(11.0), true), (RATE, 0.0)));
        assert!(close(g.offset_at(t(20.0), true), (2.0 * RATE, 0.0)));
        g.pulse(t(30.0), Relay::YMinus, 1.0);
        assert!(close(g.offset_at(t(40.0), true), (2.0 * RATE, -RATE)));
        // Exact for moments before later pulses, too.
        assert!(close(g.offset_at(t(10.5), true), (0.5 * RATE, 0.0)));
    }

    #[test]
    fn relays_report_time_left() {
        let mut g = Guiding::new(&still_mount(), None, 0);
        assert!(!g.relays(t(0.0)).any_closed());
        g.pulse(t(1.0), Relay::YPlus, 0.5);
        let s = g.relays(t(1.2));
        assert!((s.remaining(Relay::YPlus) - 0.3).abs() < 1e-12);
        assert_eq!(s.remaining(Relay::XPlus), 0.0);
        assert!(!g.relays(t(1.5)).any_closed());
    }

    #[test]
    fn a_new_pulse_restarts_a_closed_relay() {
        let mut g = Guiding::new(&still_mount(), None, 0);
        g.pulse(t(0.0), Relay::XMinus, 2.0);
        g.pulse(t(1.0), Relay::XMinus, 2.0);
        assert!((g.relays(t(1.5)).remaining(Relay::XMinus) - 1.5).abs() < 1e-12);
        // Closed from 0 to 3 in all.
        assert!(close(g.offset_at(t(10.0), true), (-3.0 * RATE, 0.0)));
    }

    #[test]
    fn closing_one_relay_opens_the_opposite() {
        let mut g = Guiding::new(&still_mount(), None, 0);
        g.pulse(t(0.0), Relay::XPlus, 5.0);
        g.pulse(t(0.0), Relay::YPlus, 5.0);
        g.pulse(t(1.0), Relay::XMinus, 0.5);
        let s = g.relays(t(1.2));
        assert_eq!(s.remaining(Relay::XPlus), 0.0);
        assert!(s.remaining(Relay::YPlus) > 0.0);
        assert!(close(g.offset_at(t(10.0), true), (RATE - 0.5 * RATE, 5.0 * RATE)));
    }

    #[test]
    fn old_closures_fold_without_changing_the_offset() {
        let mut g = Guiding::new(&still_mount(), None, 0);
        for i in 0..20_000 {
            let relay = if i % 3 == 0 { Relay::XMinus } else { Relay::XPlus };
            g.pulse(t(f64::from(i)), relay, 0.25);
        }
        assert!(g.closures.len() < 8000, "log stays bounded: {}", g.closures.len());
        let expect = RATE * 0.25 * (f64::from(13_333) - f64::from(6_667));
        assert!(close(g.offset_at(t(30_000.0), true), (expect, 0.0)));
    }

    #[test]
    fn the_ao_shifts_the_image_after_its_travel_time() {
        let mut g = Guiding::new(&still_mount(), Some(&ao_preset()), 0);
        assert!(!g.ao_moving(t(0.0)));
        g.ao_move(t(1.0), pos(100.0), pos(25.0));
        // 50 units at 0.01 s/unit: moving for 0.5 s.
        assert!(g.ao_moving(t(1.4)));
        assert!(!g.ao_moving(t(1.5)));
        assert!(close(g.offset_at(t(1.1), true), (2.0, -2.0)));
        assert!(close(g.offset_at(t(2.0), true), (10.0, -5.0)));
        // The external guider does not look through the AO.
        assert!(close(g.offset_at(t(2.0), false), (0.0, 0.0)));
        // A move from mid-travel starts where the element is.
        g.ao_move(t(1.2), pos(50.0), pos(50.0));
        assert!(close(g.offset_at(t(1.2), true), (4.0, -4.0)));
        assert!(close(g.offset_at(t(5.0), true), (0.0, 0.0)));
    }

    #[test]
    fn without_an_ao_positions_are_accepted_and_nothing_moves() {
        let mut g = Guiding::new(&still_mount(), None, 0);
        g.ao_move(t(1.0), pos(0.0), pos(100.0));
        assert!(!g.ao_moving(t(1.0)));
        assert!(close(g.offset_at(t(2.0), true), (0.0, 0.0)));
    }

    #[test]
    fn track_samples_evenly_and_enough() {
        let mut g = Guiding::new(&still_mount(), None, 0);
        g.pulse(t(0.0), Relay::XPlus, 10.0);
        let track = g.track(t(0.0), t(4.0), true);
        assert_eq!(track.len(), 9);
        for (i, p) in track.iter().enumerate() {
            assert!(close(*p, (RATE * 0.5 * i as f64, 0.0)));
        }
        assert_eq!(g.track(t(1.0), t(1.0), true).len(), 2);
        assert_eq!(g.track(t(0.0), t(3600.0), true).len(), TRACK_MAX_SAMPLES);
    }
}
