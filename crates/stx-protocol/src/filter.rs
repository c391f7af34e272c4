//! The filter wheel as the API reads it.

use crate::{FilterName, FilterSlot, FilterWheelState};

/// The filter wheel at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterWheelStatus {
    /// `FilterState`.
    pub state: FilterWheelState,
    /// `CurrentFilter`: the slot in the beam (the target slot while moving).
    pub current: FilterSlot,
    /// `Filter1Name`..`Filter8Name`.
    pub names: [FilterName; 8],
}

impl FilterWheelStatus {
    /// `CurrentFilterName`: the current slot's name, empty for slot 0.
    pub fn current_name(&self) -> &str {
        self.current.filter_index().map_or("", |i| self.names[i].as_str())
    }
}

/// A name the filter settings call knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterKey {
    /// `CurrentFilter`.
    CurrentFilter,
    /// `CurrentFilterName`.
    CurrentFilterName,
    /// `Filter<n>Name` (also spelled `Filter<n>`), n in 1..=8.
    Name(FilterSlot),
}

impl FilterKey {
    /// The key of that name, in any case. `Filter3` is read as `Filter3Name`: the spec's
    /// own example of SetFilterName uses that spelling.
    pub fn parse(name: &str) -> Option<FilterKey> {
        if name.eq_ignore_ascii_case("CurrentFilter") {
            return Some(FilterKey::CurrentFilter);
        }
        if name.eq_ignore_ascii_case("CurrentFilterName") {
            return Some(FilterKey::CurrentFilterName);
        }
        let lower = name.to_ascii_lowercase();
        let rest = lower.strip_prefix("filter")?;
        let digit = rest.strip_suffix("name").unwrap_or(rest);
        match digit.as_bytes() {
            [d @ b'1'..=b'8'] => FilterSlot::new(i64::from(d - b'0')).map(FilterKey::Name),
            _ => None,
        }
    }

    /// This key's value in `s`, as the camera sends it.
    pub fn format(self, s: &FilterWheelStatus) -> String {
        match self {
            FilterKey::CurrentFilter => crate::reply::int(s.current.get()),
            FilterKey::CurrentFilterName => s.current_name().to_owned(),
            FilterKey::Name(slot) => slot.filter_index().map_or(String::new(), |i| s.names[i].to_string()),
        }
    }
}
