//! The filter wheel: where it is, how long a move takes, and what it says when it is
//! missing or failing. Like everything in the camera it is evaluated lazily from the
//! clock: a move is a start and an arrival time, nothing ticks in between.

use stx_protocol::{FilterName, FilterSlot, FilterWheelState, FilterWheelStatus, StxError};

use crate::SimTime;
use crate::preset::{FilterPreset, FilterWheelPreset};

/// The wheel (if the camera has one) and the filter names kept in the camera's flash.
#[derive(Clone, Debug)]
pub(super) struct FilterWheel {
    preset: Option<FilterWheelPreset>,
    /// `Filter1Name`..`Filter8Name`: the camera keeps them whether or not a wheel answers.
    names: [FilterName; 8],
    /// The slot in the beam, or the one being moved to.
    position: FilterSlot,
    /// When the current move ends; in the past once the wheel is at rest.
    arrives_at: SimTime,
    /// Fault: the wheel does not show up at all.
    absent: bool,
    /// Fault: the wheel is there but does not answer.
    failing: bool,
}

impl FilterWheel {
    /// A wheel at slot 0 (no filter) with the given names.
    pub(super) fn new(preset: Option<&FilterWheelPreset>, names: [FilterName; 8]) -> FilterWheel {
        FilterWheel {
            preset: preset.cloned(),
            names,
            position: FilterSlot::NONE,
            arrives_at: SimTime::ZERO,
            absent: false,
            failing: false,
        }
    }

    /// What the API reads at `at`. A wheel that is missing or failing reports Error; the
    /// names are still the camera's.
    pub(super) fn status(&self, at: SimTime) -> FilterWheelStatus {
        let state = if self.preset.is_none() || self.absent || self.failing {
            FilterWheelState::Error
        } else if at < self.arrives_at {
            FilterWheelState::Moving
        } else {
            FilterWheelState::Idle
        };
        FilterWheelStatus { state, current: self.position, names: self.names.clone() }
    }

    /// Starts a move to `slot` at `at`. It takes the slots travelled the shorter way
    /// round times the preset's time per slot; a move to the current slot takes none.
    pub(super) fn change(&mut self, at: SimTime, slot: FilterSlot) -> Result<(), StxError> {
        let preset = match &self.preset {
            Some(preset) if !self.absent => preset,
            _ => return Err(StxError::FilterNotFound),
        };
        if self.failing {
            return Err(StxError::FilterCommunication);
        }
        if at < self.arrives_at {
            return Err(StxError::FilterBusy);
        }
        let slots = i32::from(preset.slots.max(1));
        let distance = (i32::from(slot.get()) - i32::from(self.position.get())).rem_euclid(slots);
        let travelled = distance.min(slots - distance);
        self.arrives_at = at.plus(f64::from(travelled) * preset.seconds_per_slot);
        self.position = slot;
        Ok(())
    }

    /// Sets the names of slots 1..=8.
    pub(super) fn set_names(&mut self, names: [FilterName; 8]) {
        self.names = names;
    }

    /// The names, slot 1 first.
    pub(super) fn names(&self) -> &[FilterName; 8] {
        &self.names
    }

    /// The filter in the beam: its name and optics. While the wheel moves this is the
    /// filter it moves to (as `CurrentFilter` says); with no wheel, none.
    pub(super) fn in_beam(&self) -> Option<(&FilterName, &FilterPreset)> {
        let preset = self.preset.as_ref().filter(|_| !self.absent)?;
        let i = self.position.filter_index()?;
        Some((&self.names[i], preset.filters.get(i)?))
    }

    /// Makes the wheel vanish or return (a fault on demand).
    pub(super) fn set_absent(&mut self, absent: bool) {
        self.absent = absent;
    }

    /// Makes the wheel stop or resume answering (a fault on demand).
    pub(super) fn set_failing(&mut self, failing: bool) {
        self.failing = failing;
    }

    /// Whether the wheel is made to vanish.
    pub(super) fn is_absent(&self) -> bool {
        self.absent
    }

    /// Whether the wheel is made to fail.
    pub(super) fn is_failing(&self) -> bool {
        self.failing
    }
}
