//! Reading the primary image of a FITS file: any 2-D image with BITPIX 8, 16, 32, −32
//! or −64 and BZERO/BSCALE, plus its header cards. The one FITS reader of the project:
//! `stx analyze` measures files with it, and stxd re-reads its own files after a crash.
//!
//! Our own reader rather than cfitsio: we need only the primary HDU, a few dozen lines
//! of card parsing and big-endian decoding, while cfitsio would bring a C build into
//! every build of the workspace.

use super::{BLOCK, CARD};

/// Pixels in the type the analysis takes, converted once, here.
#[derive(Clone, Debug, PartialEq)]
pub enum Pixels {
    /// Integer data whose physical values all fit 0..=65535 (camera frames).
    U16(Vec<u16>),
    /// Everything else, as physical values.
    F32(Vec<f32>),
}

/// The primary image of a FITS file.
#[derive(Clone, Debug, PartialEq)]
pub struct FitsImage {
    /// Columns (NAXIS1).
    pub width: usize,
    /// Rows (NAXIS2).
    pub height: usize,
    /// The physical pixel values, in file order.
    pub pixels: Pixels,
    /// Largest physical value the integer type can hold (its saturation); `None` for
    /// floating-point data.
    pub saturation: Option<f32>,
    cards: Vec<(String, String)>,
}

impl FitsImage {
    /// A card's value: strings without their quotes (doubled quotes undone, trailing
    /// blanks dropped), other values as written. The first card of that keyword wins.
    pub fn value(&self, key: &str) -> Option<&str> {
        card(&self.cards, key)
    }

    /// A card's value as a number.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.value(key)?.trim().parse().ok()
    }
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct ReadError {
    kind: ReadErrorKind,
}

/// The kinds of [`ReadError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The bytes are not a FITS file.
    #[error("not a FITS file (it does not start with a SIMPLE card)")]
    NotFits,
    /// A FITS file, but not a kind of image we read.
    #[error("unsupported {0}")]
    Unsupported(String),
    /// The header is broken.
    #[error("malformed FITS header: {0}")]
    Malformed(String),
    /// The file ends before the data the header announces.
    #[error("truncated: the header announces {expected} bytes of data, the file holds {found}")]
    Truncated {
        /// Data bytes announced.
        expected: usize,
        /// Data bytes present.
        found: usize,
    },
}

impl ReadError {
    fn new(kind: ReadErrorKind) -> ReadError {
        ReadError { kind }
    }

    /// What is wrong.
    pub fn kind(&self) -> &ReadErrorKind {
        &self.kind
    }
}

fn malformed(what: String) -> ReadError {
    ReadError::new(ReadErrorKind::Malformed(what))
}

fn unsupported(what: String) -> ReadError {
    ReadError::new(ReadErrorKind::Unsupported(what))
}

/// Reads the primary image of a FITS file held in memory.
pub fn read(bytes: &[u8]) -> Result<FitsImage, ReadError> {
    read_reusing(bytes, Vec::new())
}

/// [`read`], decoding u16 levels into `storage`'s allocation (its contents are
/// dropped): a program reading many frames in turn hands back the last one's
/// pixels, and a 4096² frame's 32 MiB are not faulted in afresh for every file.
pub fn read_reusing(bytes: &[u8], storage: Vec<u16>) -> Result<FitsImage, ReadError> {
    Ok(layout(bytes)?.decode(bytes, storage))
}

/// Where the primary image of a FITS file lies in it, and how it is stored: the
/// header read and checked (as [`read`] does), the data not decoded. For a program
/// that measures the data where they lie ([`FitsLayout::is_unsigned_16`]).
#[derive(Clone, Debug, PartialEq)]
pub struct FitsLayout {
    /// Columns (NAXIS1).
    pub width: usize,
    /// Rows (NAXIS2).
    pub height: usize,
    /// BITPIX: 8, 16, 32 (integers), −32, −64 (floating point).
    pub bitpix: i64,
    /// BZERO (0 when absent).
    pub bzero: f64,
    /// BSCALE (1 when absent).
    pub bscale: f64,
    /// Where the data are in the file's bytes (the image itself, without the
    /// padding of its last block).
    pub data: std::ops::Range<usize>,
    /// As [`FitsImage::saturation`].
    pub saturation: Option<f32>,
    cards: Vec<(String, String)>,
}

impl FitsLayout {
    /// A card's value, as [`FitsImage::value`].
    pub fn value(&self, key: &str) -> Option<&str> {
        card(&self.cards, key)
    }

    /// Whether the data are 16-bit unsigned levels as FITS stores them (BITPIX 16,
    /// BZERO 32768, BSCALE 1: every camera frame), which decode to [`Pixels::U16`].
    pub fn is_unsigned_16(&self) -> bool {
        self.bitpix == 16 && self.bzero == 32768.0 && self.bscale == 1.0
    }

    /// Decodes the image of `bytes`, the file this layout was read from, as
    /// [`read_reusing`] does (without reading the header again).
    pub fn decode(self, bytes: &[u8], storage: Vec<u16>) -> FitsImage {
        let pixels = decode(&bytes[self.data.clone()], self.bitpix, self.bzero, self.bscale, storage);
        let FitsLayout { width, height, saturation, cards, .. } = self;
        FitsImage { width, height, pixels, saturation, cards }
    }
}

/// The value of the first card of keyword `key`.
fn card<'a>(cards: &'a [(String, String)], key: &str) -> Option<&'a str> {
    cards.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Reads and checks the header of the primary image of a FITS file held in memory:
/// where its data lie and how they are stored.
pub fn layout(bytes: &[u8]) -> Result<FitsLayout, ReadError> {
    if bytes.len() < BLOCK || !bytes.starts_with(b"SIMPLE  =") {
        return Err(ReadError::new(ReadErrorKind::NotFits));
    }
    let (cards, data_start) = parse_header(bytes)?;
    let value = |key: &str| card(&cards, key);
    let int = |key: &str| -> Result<i64, ReadError> {
        let v = value(key).ok_or_else(|| malformed(format!("no {key} keyword")))?;
        v.trim().parse().map_err(|_| malformed(format!("{key} = {v} is not an integer")))
    };
    let real = |key: &str, default: f64| -> Result<f64, ReadError> {
        value(key).map_or(Ok(default), |v| {
            v.trim().parse().map_err(|_| malformed(format!("{key} = {v} is not a number")))
        })
    };
    if value("SIMPLE") != Some("T") {
        return Err(unsupported(
            "file: SIMPLE is not T, so it does not conform to the FITS standard".to_owned(),
        ));
    }
    let bitpix = int("BITPIX")?;
    let naxis = int("NAXIS")?;
    let extra_axes_are_one = (3..=naxis.max(2)).all(|n| int(&format!("NAXIS{n}")).ok() == Some(1));
    if naxis < 2 || !extra_axes_are_one {
        return Err(unsupported(format!("image: NAXIS = {naxis}; only 2-D images are supported")));
    }
    let (width, height) = (int("NAXIS1")?, int("NAXIS2")?);
    if width <= 0 || height <= 0 {
        return Err(unsupported(format!("image: empty ({width} × {height})")));
    }
    let (width, height) = (width as usize, height as usize);
    let bytes_per_pixel = match bitpix {
        8 => 1,
        16 => 2,
        32 | -32 => 4,
        -64 => 8,
        other => return Err(unsupported(format!("BITPIX {other}; supported: 8, 16, 32, -32, -64"))),
    };
    let size = width
        .checked_mul(height)
        .and_then(|n| n.checked_mul(bytes_per_pixel))
        .ok_or_else(|| unsupported("image: too large".to_owned()))?;
    let found = bytes.len().saturating_sub(data_start);
    if found < size {
        return Err(ReadError::new(ReadErrorKind::Truncated { expected: size, found }));
    }
    let (bzero, bscale) = (real("BZERO", 0.0)?, real("BSCALE", 1.0)?);
    let saturation = (bitpix > 0).then(|| {
        let raw_max = match bitpix {
            8 => 255.0,
            16 => f64::from(i16::MAX),
            _ => f64::from(i32::MAX),
        };
        (bzero + bscale * raw_max) as f32
    });
    let data = data_start..data_start + size;
    Ok(FitsLayout { width, height, bitpix, bzero, bscale, data, saturation, cards })
}

/// Reads header cards up to END; returns (keyword, value) pairs and the data offset.
fn parse_header(bytes: &[u8]) -> Result<(Vec<(String, String)>, usize), ReadError> {
    let mut cards = Vec::new();
    for (i, card) in bytes.chunks_exact(CARD).enumerate() {
        let card = std::str::from_utf8(card).map_err(|_| malformed("header is not ASCII".to_owned()))?;
        let key = card[..8].trim_end();
        if key == "END" {
            let end = (i + 1) * CARD;
            return Ok((cards, end.div_ceil(BLOCK) * BLOCK));
        }
        if &card[8..10] == "= " {
            cards.push((key.to_owned(), card_value(&card[10..])));
        }
    }
    Err(malformed("no END card: the header is truncated".to_owned()))
}

/// The value part of a card: a quoted string (with `''` for `'`), or the text before a
/// `/` comment.
fn card_value(field: &str) -> String {
    let field = field.trim_start();
    let Some(rest) = field.strip_prefix('\'') else {
        return field.split('/').next().unwrap_or("").trim().to_owned();
    };
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() != Some(&'\'') {
                break;
            }
            chars.next();
        }
        out.push(c);
    }
    out.trim_end().to_owned()
}

/// Decodes big-endian data into physical values: u16 when the data are integers that
/// all fit (every camera frame), f32 otherwise. Each value goes straight from its bytes
/// to its type: a 4096² frame is 32 MB, and wide intermediates would make it hundreds.
fn decode(data: &[u8], bitpix: i64, bzero: f64, bscale: f64, storage: Vec<u16>) -> Pixels {
    if bitpix > 0
        && bscale == 1.0
        && bzero.fract() == 0.0
        && let Some(levels) = integer_levels(data, bitpix, bzero as i64, storage)
    {
        return Pixels::U16(levels);
    }
    let physical = |raw: f64| (bzero + bscale * raw) as f32;
    Pixels::F32(match bitpix {
        8 => data.iter().map(|&b| physical(f64::from(b))).collect(),
        16 => data.chunks_exact(2).map(|c| physical(f64::from(i16::from_be_bytes([c[0], c[1]])))).collect(),
        32 => data
            .chunks_exact(4)
            .map(|c| physical(f64::from(i32::from_be_bytes([c[0], c[1], c[2], c[3]]))))
            .collect(),
        -32 => data
            .chunks_exact(4)
            .map(|c| physical(f64::from(f32::from_be_bytes([c[0], c[1], c[2], c[3]]))))
            .collect(),
        _ => data
            .chunks_exact(8)
            .map(|c| physical(f64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])))
            .collect(),
    })
}

/// Integer data plus an integral `zero` as u16 levels, in `levels`' allocation;
/// `None` if any value does not fit (or the data are not integers).
fn integer_levels(data: &[u8], bitpix: i64, zero: i64, mut levels: Vec<u16>) -> Option<Vec<u16>> {
    levels.clear();
    match bitpix {
        // Unsigned 16-bit as FITS stores it (every camera frame): each value fits,
        // and `raw + 32768` is the top bit flipped, a loop that vectorises.
        16 if zero == 32768 => {
            levels.extend(data.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]) ^ 0x8000));
            Some(levels)
        }
        8 => levels_of(data.iter().map(|&b| i64::from(b)), zero, levels),
        16 => {
            levels_of(data.chunks_exact(2).map(|c| i64::from(i16::from_be_bytes([c[0], c[1]]))), zero, levels)
        }
        32 => levels_of(
            data.chunks_exact(4).map(|c| i64::from(i32::from_be_bytes([c[0], c[1], c[2], c[3]]))),
            zero,
            levels,
        ),
        _ => None,
    }
}

fn levels_of(raws: impl ExactSizeIterator<Item = i64>, zero: i64, mut levels: Vec<u16>) -> Option<Vec<u16>> {
    levels.reserve(raws.len());
    for raw in raws {
        levels.push(u16::try_from(raw.checked_add(zero)?).ok()?);
    }
    Some(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes big-endian `raw` values of `bitpix` with BZERO and BSCALE.
    fn check_decode(bitpix: i64, raw: &[f64], bzero: f64, bscale: f64, expect: Pixels) {
        let data: Vec<u8> = raw
            .iter()
            .flat_map(|&v| match bitpix {
                8 => vec![v as u8],
                16 => (v as i16).to_be_bytes().to_vec(),
                32 => (v as i32).to_be_bytes().to_vec(),
                -32 => (v as f32).to_be_bytes().to_vec(),
                _ => v.to_be_bytes().to_vec(),
            })
            .collect();
        assert_eq!(decode(&data, bitpix, bzero, bscale, Vec::new()), expect, "BITPIX {bitpix} {raw:?}");
        // Into a used allocation: its old contents do not show.
        assert_eq!(decode(&data, bitpix, bzero, bscale, vec![9; 7]), expect, "BITPIX {bitpix} {raw:?}");
    }

    #[test]
    fn integers_that_fit_are_levels_and_the_rest_physical_values() {
        check_decode(16, &[-32768.0, 0.0, 32767.0], 32768.0, 1.0, Pixels::U16(vec![0, 32768, 65535]));
        check_decode(8, &[0.0, 255.0], 0.0, 1.0, Pixels::U16(vec![0, 255]));
        check_decode(32, &[7.0, 65535.0], 0.0, 1.0, Pixels::U16(vec![7, 65535]));
        // Out of 0..=65535 anywhere, a fractional zero, a scale or floats: physical f32.
        check_decode(16, &[1.0, -5.0], 0.0, 1.0, Pixels::F32(vec![1.0, -5.0]));
        check_decode(32, &[1.0, 70000.0], 0.0, 1.0, Pixels::F32(vec![1.0, 70000.0]));
        check_decode(8, &[3.0], 0.5, 1.0, Pixels::F32(vec![3.5]));
        check_decode(16, &[3.0], 1.0, 2.0, Pixels::F32(vec![7.0]));
        check_decode(16, &[1.0], 1e300, 1.0, Pixels::F32(vec![f32::INFINITY]));
        check_decode(-32, &[1.5], 0.0, 1.0, Pixels::F32(vec![1.5]));
        check_decode(-64, &[-2.25], 10.0, 1.0, Pixels::F32(vec![7.75]));
    }

    fn check(bytes: &[u8], expect: &str) {
        match read(bytes) {
            Ok(i) => panic!("read a {}×{} image, expected an error", i.width, i.height),
            Err(e) => assert_eq!(e.to_string(), expect),
        }
    }

    fn header(cards: &[&str]) -> Vec<u8> {
        let mut h: Vec<u8> = cards.iter().flat_map(|c| format!("{c:<80}").into_bytes()).collect();
        h.extend(format!("{:<80}", "END").bytes());
        h.resize(h.len().div_ceil(BLOCK) * BLOCK, b' ');
        h
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        check(b"hello", "not a FITS file (it does not start with a SIMPLE card)");
        check(
            &header(&[
                "SIMPLE  =                    T",
                "BITPIX  =                   24",
                "NAXIS   =                    2",
                "NAXIS1  =                    2",
                "NAXIS2  =                    2",
            ]),
            "unsupported BITPIX 24; supported: 8, 16, 32, -32, -64",
        );
        check(
            &header(&[
                "SIMPLE  =                    T",
                "BITPIX  =                   16",
                "NAXIS   =                    3",
                "NAXIS1  =                    2",
                "NAXIS2  =                    2",
                "NAXIS3  =                    3",
            ]),
            "unsupported image: NAXIS = 3; only 2-D images are supported",
        );
        check(
            &header(&[
                "SIMPLE  =                    T",
                "BITPIX  =                   16",
                "NAXIS   =                    2",
                "NAXIS1  =                  100",
                "NAXIS2  =                  100",
            ]),
            "truncated: the header announces 20000 bytes of data, the file holds 0",
        );
    }

    #[test]
    fn layout_locates_the_data_that_read_decodes() {
        let file = |bzero: &str| {
            let mut bytes = header(&[
                "SIMPLE  =                    T",
                "BITPIX  =                   16",
                "NAXIS   =                    2",
                "NAXIS1  =                    3",
                "NAXIS2  =                    2",
                bzero,
                "FILTER  = 'Ha      '",
            ]);
            bytes.extend([-32768i16, -1, 0, 1, 100, 32767].iter().flat_map(|v| v.to_be_bytes()));
            bytes.resize(2 * BLOCK, 0);
            bytes
        };
        let bytes = file("BZERO   =                32768");
        let layout = layout(&bytes).unwrap();
        assert_eq!((layout.width, layout.height, layout.data.clone()), (3, 2, BLOCK..BLOCK + 12));
        assert!(layout.is_unsigned_16());
        assert_eq!(layout.value("FILTER"), Some("Ha"));
        let stored: Vec<u16> =
            bytes[layout.data].chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]) ^ 0x8000).collect();
        assert_eq!(Pixels::U16(stored), read(&bytes).unwrap().pixels);
        assert!(!super::layout(&file("BZERO   =                    0")).unwrap().is_unsigned_16());
    }
}
