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

    /// The status from the values of a time-remaining call for [`Relay::ALL`], as
    /// [`remaining`](Self::remaining) is written; `None` if they are not.
    pub fn from_values(values: &[impl AsRef<str>]) -> Option<RelayStatus> {
        let mut status = RelayStatus::default();
        if values.len() != status.remaining_s.len() {
            return None;
        }
        for (slot, v) in status.remaining_s.iter_mut().zip(values) {
            *slot = crate::reply::parse_real(v.as_ref())?;
        }
        Some(status)
    }

    /// Seconds left on one relay.
    pub fn remaining(&self, relay: Relay) -> f64 {
        self.remaining_s[relay.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_names_and_times_read_back() {
        for relay in Relay::ALL {
            assert_eq!(Relay::parse(relay.name()), Some(relay));
            assert_eq!(Relay::parse(&relay.name().to_ascii_lowercase()), Some(relay));
            assert_eq!(Relay::on_axis(relay.axis(), relay.direction().into()), Some(relay));
        }
        let status = RelayStatus { remaining_s: [0.0, 1.25, 0.0, 655.35] };
        let values: Vec<String> =
            Relay::ALL.iter().map(|r| crate::reply::real(status.remaining(*r))).collect();
        assert_eq!(RelayStatus::from_values(&values), Some(status));
        assert_eq!(RelayStatus::from_values(&values[..3]), None);
    }
}
