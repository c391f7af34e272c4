//! The camera's error codes: each code's number and reply text live here and nowhere else.

use std::fmt;

/// An error the STX API reports in a `400 Bad Request` reply, as `0x8000100X\r\n<text>\r\n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StxError {
    /// `0x80001000`: a get call named no parameter this call knows.
    NoValidParameter,
    /// `0x80001001`: BinX out of 1..=MaxBinX or not a number.
    BinX,
    /// `0x80001002`: BinY out of 1..=MaxBinY or not a number.
    BinY,
    /// `0x80001003`: StartX out of 0..CameraXSize or not a number.
    StartX,
    /// `0x80001004`: StartY out of 0..CameraYSize or not a number.
    StartY,
    /// `0x80001005`: NumX out of 1..=CameraXSize-StartX or not a number.
    NumX,
    /// `0x80001006`: NumY out of 1..=CameraYSize-StartY or not a number.
    NumY,
    /// `0x80001007`: an abort that cannot be carried out (the CCD is reading out).
    AbortFailed,
    /// `0x80001008`: the CCD is exposing or reading out.
    Busy,
    /// `0x80001009`: a value out of range or malformed.
    BadParameter,
    /// `0x8000100a`: a required parameter is missing.
    ParameterMissing,
    /// `0x8000100b`: the filter wheel is moving.
    FilterBusy,
    /// `0x8000100c`: this camera has no filter wheel.
    FilterNotFound,
    /// `0x8000100d`: the filter wheel did not answer.
    FilterCommunication,
}

impl StxError {
    /// Every error, in code order.
    pub const ALL: [StxError; 14] = [
        StxError::NoValidParameter,
        StxError::BinX,
        StxError::BinY,
        StxError::StartX,
        StxError::StartY,
        StxError::NumX,
        StxError::NumY,
        StxError::AbortFailed,
        StxError::Busy,
        StxError::BadParameter,
        StxError::ParameterMissing,
        StxError::FilterBusy,
        StxError::FilterNotFound,
        StxError::FilterCommunication,
    ];

    /// The numeric code, e.g. `0x80001000`.
    pub fn code(self) -> u32 {
        0x8000_1000 + self as u32
    }

    /// The text the camera sends after the code, as the spec's tables give it.
    pub fn text(self) -> &'static str {
        match self {
            StxError::NoValidParameter => "No valid parameter.",
            StxError::BinX => "BinX < 1 or > MaxBin",
            StxError::BinY => "BinY < 1 or > MaxBin",
            StxError::StartX => "StartX < 0 or > (CameraXSize - 1)",
            StxError::StartY => "StartY < 0 or > (CameraYSize - 1)",
            StxError::NumX => "NumX < 1 or > (CameraXSize - StartX)",
            StxError::NumY => "NumY < 1 or > (CameraYSize - StartY)",
            StxError::AbortFailed => "Abort failed.",
            StxError::Busy => "Camera is busy.",
            StxError::BadParameter => "Bad parameter.",
            StxError::ParameterMissing => "Parameter(s) missing.",
            StxError::FilterBusy => "Filter Selector is busy.",
            StxError::FilterNotFound => "Filter Selector not found.",
            StxError::FilterCommunication => "Filter Selector communication error.",
        }
    }

    /// The error a camera's code stands for, if it is one of the spec's.
    pub fn from_code(code: u32) -> Option<StxError> {
        StxError::ALL.into_iter().find(|e| e.code() == code)
    }

    /// The code as the camera writes it: `0x` and eight lower-case hex digits.
    pub fn code_text(self) -> String {
        format!("{:#010x}", self.code())
    }
}

impl fmt::Display for StxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code_text(), self.text())
    }
}

impl std::error::Error for StxError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_texts_are_the_specs() {
        assert_eq!(StxError::NoValidParameter.code_text(), "0x80001000");
        assert_eq!(StxError::ParameterMissing.code_text(), "0x8000100a");
        assert_eq!(StxError::FilterCommunication.code(), 0x8000_100d);
        for e in StxError::ALL {
            assert_eq!(StxError::from_code(e.code()), Some(e));
        }
        assert_eq!(StxError::from_code(0x8000_100e), None);
    }
}
