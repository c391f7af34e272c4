//! The camera's FITS header settings (`GetFITSSetting`/`SetFITSSetting`).

use crate::FitsText;

/// The header fields the camera writes into every FITS file, kept in its flash.
#[derive(Clone, Debug, PartialEq)]
pub struct FitsSettings {
    /// `ObjectName` → `OBJECT`.
    pub object_name: FitsText,
    /// `Observer` → `OBSERVER`.
    pub observer: FitsText,
    /// `Telescope` → `TELESCOP`.
    pub telescope: FitsText,
    /// `FL` → `FOCALLEN`, in mm.
    pub focal_length_mm: f64,
    /// `Aperture` → `APTDIA`, in mm.
    pub aperture_mm: f64,
    /// `Area` → `APTAREA`, in mm².
    pub area_mm2: f64,
}

impl FitsSettings {
    /// The settings from the values of a get of [`FitsKey::ALL`], as
    /// [`FitsKey::format`] writes them; `None` if they are not.
    pub fn from_values(values: &[impl AsRef<str>]) -> Option<FitsSettings> {
        let [object, observer, telescope, fl, aperture, area] = values else { return None };
        let text = |t: &dyn AsRef<str>| FitsText::new(t.as_ref());
        let real = |t: &dyn AsRef<str>| crate::reply::parse_real(t.as_ref());
        Some(FitsSettings {
            object_name: text(object)?,
            observer: text(observer)?,
            telescope: text(telescope)?,
            focal_length_mm: real(fl)?,
            aperture_mm: real(aperture)?,
            area_mm2: real(area)?,
        })
    }
}

impl Default for FitsSettings {
    /// The spec's defaults.
    fn default() -> Self {
        let text = |s| FitsText::new(s).expect("the spec's defaults are valid FITS text");
        FitsSettings {
            object_name: text("Object Description"),
            observer: text("STX Camera Operator"),
            telescope: text("Telescope Description"),
            focal_length_mm: 2000.0,
            aperture_mm: 200.0,
            area_mm2: 25000.0,
        }
    }
}

/// A name the FITS settings calls know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Each variant is the API parameter of the same name.
pub enum FitsKey {
    ObjectName,
    Observer,
    Telescope,
    FL,
    Aperture,
    Area,
}

impl FitsKey {
    /// Every key, in the spec's order.
    pub const ALL: [FitsKey; 6] = [
        FitsKey::ObjectName,
        FitsKey::Observer,
        FitsKey::Telescope,
        FitsKey::FL,
        FitsKey::Aperture,
        FitsKey::Area,
    ];

    /// The parameter's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            FitsKey::ObjectName => "ObjectName",
            FitsKey::Observer => "Observer",
            FitsKey::Telescope => "Telescope",
            FitsKey::FL => "FL",
            FitsKey::Aperture => "Aperture",
            FitsKey::Area => "Area",
        }
    }

    /// The key of that name, in any case.
    pub fn parse(name: &str) -> Option<FitsKey> {
        FitsKey::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// This key's value in `s`, as the camera sends it.
    pub fn format(self, s: &FitsSettings) -> String {
        use crate::reply::real;
        match self {
            FitsKey::ObjectName => s.object_name.to_string(),
            FitsKey::Observer => s.observer.to_string(),
            FitsKey::Telescope => s.telescope.to_string(),
            FitsKey::FL => real(s.focal_length_mm),
            FitsKey::Aperture => real(s.aperture_mm),
            FitsKey::Area => real(s.area_mm2),
        }
    }
}

/// One valid change of a FITS setting.
#[derive(Clone, Debug, PartialEq)]
pub enum FitsChange {
    /// A new `ObjectName`.
    ObjectName(FitsText),
    /// A new `Observer`.
    Observer(FitsText),
    /// A new `Telescope`.
    Telescope(FitsText),
    /// A new `FL` in mm.
    FocalLength(f64),
    /// A new `Aperture` in mm.
    Aperture(f64),
    /// A new `Area` in mm².
    Area(f64),
}

impl FitsChange {
    /// The change `key=value` asks for, if the value follows the rules (text: 67
    /// printable ASCII characters; numbers: finite reals). A value that breaks them is
    /// ignored, as the spec lists no error.
    pub fn parse(key: FitsKey, value: &str) -> Option<FitsChange> {
        let real = || crate::reply::parse_real(value);
        Some(match key {
            FitsKey::ObjectName => FitsChange::ObjectName(FitsText::new(value)?),
            FitsKey::Observer => FitsChange::Observer(FitsText::new(value)?),
            FitsKey::Telescope => FitsChange::Telescope(FitsText::new(value)?),
            FitsKey::FL => FitsChange::FocalLength(real()?),
            FitsKey::Aperture => FitsChange::Aperture(real()?),
            FitsKey::Area => FitsChange::Area(real()?),
        })
    }

    /// Applies the change.
    pub fn apply_to(&self, s: &mut FitsSettings) {
        match self.clone() {
            FitsChange::ObjectName(t) => s.object_name = t,
            FitsChange::Observer(t) => s.observer = t,
            FitsChange::Telescope(t) => s.telescope = t,
            FitsChange::FocalLength(v) => s.focal_length_mm = v,
            FitsChange::Aperture(v) => s.aperture_mm = v,
            FitsChange::Area(v) => s.area_mm2 = v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_back_as_they_are_written() {
        let mut written = FitsSettings::default();
        FitsChange::parse(FitsKey::ObjectName, "M27 'Dumbbell'").unwrap().apply_to(&mut written);
        FitsChange::parse(FitsKey::FL, "1234.56").unwrap().apply_to(&mut written);
        let values: Vec<String> = FitsKey::ALL.iter().map(|k| k.format(&written)).collect();
        assert_eq!(FitsSettings::from_values(&values), Some(written));
        assert_eq!(FitsSettings::from_values(&values[..5]), None);
        for key in FitsKey::ALL {
            assert_eq!(FitsKey::parse(key.name()), Some(key));
        }
    }
}
