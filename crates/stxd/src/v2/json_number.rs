//! The one rule for every double the v2 port writes, in records, socket events and
//! equipment info alike: the text .NET's System.Text.Json writes, which the API's real
//! clients were written against and type-check.
//!
//! - A whole number has no fraction (`300`, `-20`), so a client reading `ExposureTime` or
//!   `FocalLength` as an integer accepts it; `300.0` is rejected by some.
//! - Any other finite value is the shortest text that reads back the same (`2.5`, `0.1`).
//! - NaN and the infinities are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
//!
//! Wire types hold [`Num`] for every double; none holds a bare `f64`.

use serde::{Serialize, Serializer};

/// Beyond this magnitude System.Text.Json writes whole numbers with an exponent
/// (`1E+15`), as the shortest round-trip text does; below it, plain digits.
const PLAIN_DIGITS_LIMIT: f64 = 1e15;

/// A double on the v2 wire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Num(pub(crate) f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            v if v.is_nan() => s.serialize_str("NaN"),
            v if v == f64::INFINITY => s.serialize_str("Infinity"),
            v if v == f64::NEG_INFINITY => s.serialize_str("-Infinity"),
            // Exact: a whole double below 1e15 is an integer an i64 holds.
            v if v.fract() == 0.0 && v.abs() < PLAIN_DIGITS_LIMIT => s.serialize_i64(v as i64),
            v => s.serialize_f64(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: f64, expect: &str) {
        assert_eq!(serde_json::to_string(&Num(value)).unwrap(), expect, "{value:?}");
    }

    #[test]
    fn doubles_are_written_as_system_text_json_writes_them() {
        check(300.0, "300");
        check(2000.0, "2000");
        check(33710.0, "33710");
        check(-20.0, "-20");
        check(0.0, "0");
        check(2.5, "2.5");
        check(-19.87, "-19.87");
        check(1085.25, "1085.25");
        check(0.1, "0.1");
        check(1.0 / 3.0, "0.3333333333333333");
        check(999_999_999_999_999.0, "999999999999999");
        check(f64::NAN, "\"NaN\"");
        check(f64::INFINITY, "\"Infinity\"");
        check(f64::NEG_INFINITY, "\"-Infinity\"");
    }

    #[test]
    fn every_finite_value_reads_back_the_same() {
        for v in [1e15, 1e300, 5e-324, 123.456e-7, -0.5, 4096.0 * 4096.0] {
            let text = serde_json::to_string(&Num(v)).unwrap();
            assert_eq!(text.parse::<f64>().unwrap(), v, "{text}");
        }
    }
}
