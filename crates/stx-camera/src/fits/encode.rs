//! FITS encoding of a finished frame, as the camera's `Imager.FIT` download gives it: a
//! primary header with the SBIG convention's cards, then 16-bit data.
//!
//! FITS has no unsigned 16-bit type, so pixels are stored as signed values with
//! `BZERO = 32768` (the standard's convention for unsigned data); readers add it back.

use stx_protocol::FitsSettings;

use super::{BLOCK, CARD};
use crate::Frame;

/// Most characters a string value can hold between its quotes (columns 12 to 79).
const MAX_STRING: usize = stx_protocol::FitsText::MAX_ENCODED_LEN;
/// Fewest characters between a string's quotes (the standard pads shorter ones).
const MIN_STRING: usize = 8;

/// Encodes `frame` as a FITS file, with the user's header `settings` (object, observer,
/// telescope, optics). The data are the frame's pixels in the order of the `.bin`
/// download, rows from the top.
pub fn encode(frame: &Frame, settings: &FitsSettings) -> Vec<u8> {
    let mut bytes = header(frame, settings).into_bytes();
    bytes.reserve(frame.pixels().len() * 2 + BLOCK);
    // Flipping the top bit is `value − 32768` as two's complement, what BZERO undoes.
    bytes.extend(frame.pixels().iter().flat_map(|p| (p ^ 0x8000).to_be_bytes()));
    pad(&mut bytes, 0);
    bytes
}

/// The header of `frame`'s file.
fn header(frame: &Frame, settings: &FitsSettings) -> FitsHeader {
    let meta = frame.meta();
    let (bin_x, bin_y) = (meta.binning.x, meta.binning.y);
    let mut h = FitsHeader::new();
    h.logical("SIMPLE", true, "file conforms to the FITS standard");
    h.integer("BITPIX", 16, "16-bit pixels");
    h.integer("NAXIS", 2, "two axes");
    h.integer("NAXIS1", frame.width().into(), "columns");
    h.integer("NAXIS2", frame.height().into(), "rows");
    h.integer("BZERO", 32768, "data are unsigned: physical = stored + 32768");
    h.integer("BSCALE", 1, "no scaling");
    h.string("OBJECT", settings.object_name.as_str(), "object observed");
    h.string("OBSERVER", settings.observer.as_str(), "observer");
    h.string("TELESCOP", settings.telescope.as_str(), "telescope");
    h.real("FOCALLEN", settings.focal_length_mm, "focal length, mm");
    h.real("APTDIA", settings.aperture_mm, "aperture diameter, mm");
    h.real("APTAREA", settings.area_mm2, "aperture area, mm^2");
    h.string("DATE-OBS", &meta.date_obs.to_fits(), "start of exposure, UTC");
    h.real("EXPTIME", meta.duration.as_secs_f64(), "exposure time, s");
    h.string("IMAGETYP", meta.frame_type.fits_imagetyp(), "type of image");
    h.real("CCD-TEMP", hundredths(meta.ccd_temp_c), "CCD temperature at end of exposure, C");
    if let Some(setpoint) = meta.setpoint_c {
        h.real("SET-TEMP", hundredths(setpoint), "CCD temperature setpoint, C");
    }
    h.integer("XBINNING", bin_x.into(), "binning factor in width");
    h.integer("YBINNING", bin_y.into(), "binning factor in height");
    h.integer("XORGSUBF", meta.origin.x.into(), "subframe origin, x, unbinned pixels");
    h.integer("YORGSUBF", meta.origin.y.into(), "subframe origin, y, unbinned pixels");
    h.real("XPIXSZ", meta.pixel_size.x_um * f64::from(bin_x), "pixel width, microns (binned)");
    h.real("YPIXSZ", meta.pixel_size.y_um * f64::from(bin_y), "pixel height, microns (binned)");
    h.real("EGAIN", meta.electrons_per_adu, "gain, electrons per ADU");
    if let Some(filter) = &meta.filter {
        h.string("FILTER", filter.as_str(), "filter in the beam");
    }
    h.string("INSTRUME", &meta.instrument, "camera model");
    h.string("SBSTDVER", "SBFITSEXT Version 1.0", "SBIG FITS extensions followed");
    h.string("SWCREATE", concat!("stxd ", env!("CARGO_PKG_VERSION")), "software that wrote this file");
    h
}

/// A FITS primary header under construction: 80-character cards in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FitsHeader {
    cards: Vec<String>,
}

impl FitsHeader {
    /// An empty header.
    pub fn new() -> FitsHeader {
        FitsHeader::default()
    }

    /// Adds a logical card (`T` or `F`).
    pub fn logical(&mut self, key: &str, value: bool, comment: &str) {
        self.fixed(key, if value { "T" } else { "F" }, comment);
    }

    /// Adds an integer card.
    pub fn integer(&mut self, key: &str, value: i64, comment: &str) {
        self.fixed(key, &value.to_string(), comment);
    }

    /// Adds a real card. Non-finite values have no FITS form; they are written as 0.0
    /// rather than producing an invalid file (the camera's own values are all finite).
    pub fn real(&mut self, key: &str, value: f64, comment: &str) {
        self.fixed(key, &real_text(if value.is_finite() { value } else { 0.0 }), comment);
    }

    /// Adds a string card: quotes doubled, padded to at least 8 characters, cut at the
    /// 68 that fit a card. Characters outside printable ASCII become `?`, as FITS allows
    /// no others.
    pub fn string(&mut self, key: &str, value: &str, comment: &str) {
        let mut quoted = String::from("'");
        let mut inside = 0;
        for c in value.chars() {
            let c = if (' '..='~').contains(&c) { c } else { '?' };
            let width = if c == '\'' { 2 } else { 1 };
            if inside + width > MAX_STRING {
                break;
            }
            quoted.push(c);
            if c == '\'' {
                quoted.push('\'');
            }
            inside += width;
        }
        // Trailing spaces in a FITS string are not significant, so padding is safe.
        quoted.extend(std::iter::repeat_n(' ', MIN_STRING.saturating_sub(inside)));
        quoted.push('\'');
        self.push(format!("{key:<8}= {quoted:<20}"), comment);
    }

    /// The header as bytes: the cards, `END`, then spaces to a whole block.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut bytes: Vec<u8> = self.cards.concat().into_bytes();
        bytes.extend(format!("{:<CARD$}", "END").bytes());
        pad(&mut bytes, b' ');
        bytes
    }

    /// A card whose value is right-justified to column 30 (the standard's fixed format).
    fn fixed(&mut self, key: &str, value: &str, comment: &str) {
        self.push(format!("{key:<8}= {value:>20}"), comment);
    }

    /// Appends the comment if it fits, and pads or cuts the card to 80 characters.
    fn push(&mut self, mut card: String, comment: &str) {
        if !comment.is_empty() && card.len() + 3 < CARD {
            card.push_str(" / ");
            card.push_str(comment);
        }
        card.truncate(CARD);
        self.cards.push(format!("{card:<CARD$}"));
    }
}

/// A real in a form every FITS reader takes: a decimal point always, an upper-case `E`
/// exponent only for very large or small magnitudes, and no float noise (`22.2`, not
/// `22.200000000000003`).
fn real_text(value: f64) -> String {
    // `-0.0` is a valid FITS number, but a reader showing it confuses people.
    let value = if value == 0.0 { 0.0 } else { value };
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-4..1e15).contains(&magnitude) {
        return format!("{value:.9E}");
    }
    let text = format!("{value:.10}");
    let trimmed = text.trim_end_matches('0');
    if trimmed.ends_with('.') { format!("{trimmed}0") } else { trimmed.to_owned() }
}

/// `value` rounded to 0.01, the precision the camera reports temperatures with.
fn hundredths(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Pads `bytes` with `fill` to a whole number of FITS blocks.
fn pad(bytes: &mut Vec<u8>, fill: u8) {
    let len = bytes.len().next_multiple_of(BLOCK);
    bytes.resize(len, fill);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_valid_fits_numbers() {
        assert_eq!(real_text(2000.0), "2000.0");
        assert_eq!(real_text(7.4 * 3.0), "22.2");
        assert_eq!(real_text(-20.15), "-20.15");
        assert_eq!(real_text(0.01), "0.01");
        assert_eq!(real_text(0.0), "0.0");
        assert_eq!(real_text(-0.0), "0.0");
        assert_eq!(real_text(1e-5), "1.000000000E-5");
    }

    #[test]
    fn strings_double_quotes_pad_and_cut() {
        let card = |value: &str| {
            let mut h = FitsHeader::new();
            h.string("OBJECT", value, "");
            h.cards.remove(0)
        };
        assert_eq!(card("M27").trim_end(), "OBJECT  = 'M27     '");
        assert_eq!(card("it's").trim_end(), "OBJECT  = 'it''s   '");
        let long = card(&"'".repeat(67));
        assert_eq!(long.len(), 80);
        assert_eq!(long.trim_end(), format!("OBJECT  = '{}'", "''".repeat(34)));
    }

    #[test]
    fn fixed_values_end_in_column_30() {
        let mut h = FitsHeader::new();
        h.integer("NAXIS1", 4096, "columns");
        assert_eq!(&h.cards[0][..33], "NAXIS1  =                 4096 / ");
    }
}
