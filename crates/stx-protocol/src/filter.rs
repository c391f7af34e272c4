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
    /// The keys [`from_values`](Self::from_values) reads: `CurrentFilter`, then the
    /// eight names.
    pub fn keys() -> Vec<FilterKey> {
        let mut keys = vec![FilterKey::CurrentFilter];
        keys.extend((1..=8).filter_map(|n| FilterSlot::new(n).map(FilterKey::Name)));
        keys
    }

    /// The wheel from its `FilterState` value and the values of a get of
    /// [`keys`](Self::keys), as [`FilterKey::format`] writes them; `None` if they are not.
    pub fn from_values(state: &str, values: &[impl AsRef<str>]) -> Option<FilterWheelStatus> {
        let state = crate::reply::parse_int(state).and_then(FilterWheelState::from_code)?;
        let [current, names @ ..] = values else { return None };
        let current = crate::reply::parse_int(current.as_ref()).and_then(FilterSlot::new)?;
        let names: Vec<FilterName> =
            names.iter().map(|n| FilterName::new(n.as_ref()).unwrap_or_else(FilterName::empty)).collect();
        Some(FilterWheelStatus { state, current, names: names.try_into().ok()? })
    }

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

    /// The key's name on the wire, as [`parse`](Self::parse) reads it.
    pub fn name(self) -> String {
        match self {
            FilterKey::CurrentFilter => "CurrentFilter".to_owned(),
            FilterKey::CurrentFilterName => "CurrentFilterName".to_owned(),
            FilterKey::Name(slot) => format!("Filter{}Name", slot.get()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_status_read_back() {
        for key in FilterWheelStatus::keys().into_iter().chain([FilterKey::CurrentFilterName]) {
            assert_eq!(FilterKey::parse(&key.name()), Some(key));
        }
        let mut names: [FilterName; 8] = std::array::from_fn(|_| FilterName::empty());
        names[2] = FilterName::new("H alpha").unwrap();
        let status = FilterWheelStatus {
            state: FilterWheelState::Moving,
            current: FilterSlot::new(3).unwrap(),
            names,
        };
        let values: Vec<String> = FilterWheelStatus::keys().into_iter().map(|k| k.format(&status)).collect();
        let state = crate::reply::int(status.state.code());
        assert_eq!(FilterWheelStatus::from_values(&state, &values), Some(status));
        assert_eq!(FilterWheelStatus::from_values("3", &values), None);
    }
}
