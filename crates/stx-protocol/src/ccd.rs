//! The three CCDs of an STX camera.

use std::fmt;

/// One of the camera's three CCDs, each with its own settings, state and image buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ccd {
    /// The main imaging CCD (`Imager…` calls).
    Imager,
    /// The internal guide CCD beside the imager (`Guider…` calls).
    Guider,
    /// An external guide head on the camera's guider port (`ExtGuider…` calls).
    ExtGuider,
}

impl Ccd {
    /// All three, in the spec's order.
    pub const ALL: [Ccd; 3] = [Ccd::Imager, Ccd::Guider, Ccd::ExtGuider];

    /// The prefix of this CCD's API calls (`Imager`, `Guider`, `ExtGuider`).
    pub fn prefix(self) -> &'static str {
        match self {
            Ccd::Imager => "Imager",
            Ccd::Guider => "Guider",
            Ccd::ExtGuider => "ExtGuider",
        }
    }

    /// Index into arrays kept in [`Ccd::ALL`] order.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Ccd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ccd::Imager => "imager",
            Ccd::Guider => "guider",
            Ccd::ExtGuider => "external guider",
        })
    }
}
