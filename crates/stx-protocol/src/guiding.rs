//! Guide relays and the adaptive-optics element, as the API reads and drives them.

use crate::{Pulse, Relay};

/// A PulseGuide call: one pulse per axis at most, at least one in all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PulseRequest {
    /// The X relay to close, if any.
    pub x: Option<Pulse>,
    /// The Y relay to close, if any.
    pub y: Option<Pulse>,
}

impl PulseRequest {
    /// The pulses asked for.
    pub fn pulses(&self) -> impl Iterator<Item = Pulse> {
        self.x.into_iter().chain(self.y)
    }
}

/// Time left on each relay, in seconds (0 when open), in [`Relay::ALL`] order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RelayStatus {
    /// Seconds left per relay.
    pub remaining_s: [f64; 4],
}

impl RelayStatus {
    /// Whether any relay is closed (`IsPulseGuiding`).
    pub fn any_closed(&self) -> bool {
        self.remaining_s.iter().any(|&t| t > 0.0)
    }

    /// Seconds left on one relay.
    pub fn remaining(&self, relay: Relay) -> f64 {
        self.remaining_s[relay.index()]
    }
}

/// The relay the key names (`XPlus`, `XMinus`, `YPlus`, `YMinus`, any case).
pub fn parse_relay_key(name: &str) -> Option<Relay> {
    const NAMES: [(&str, Relay); 4] = [
        ("XPlus", Relay::XPlus),
        ("XMinus", Relay::XMinus),
        ("YPlus", Relay::YPlus),
        ("YMinus", Relay::YMinus),
    ];
    NAMES.into_iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, r)| r)
}
