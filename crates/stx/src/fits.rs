//! Reading the primary image of a FITS file, and the one place where pixel types
//! are converted for the analysis.
//!
//! A small reader of our own rather than the `fitsio` crate: we need only the
//! primary HDU of a 2-D image (BITPIX 8, 16, 32, −32, −64 with BZERO/BSCALE),
//! which is a few dozen lines of header parsing and big-endian decoding, while
//! `fitsio` would bring cfitsio and a C build into every build of the workspace.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

const BLOCK: usize = 2880;
const CARD: usize = 80;

/// The pixels of a primary image, in the type the analysis takes.
#[derive(Debug)]
pub(crate) enum Pixels {
    /// Integer data whose physical values all fit in 0..=65535 (camera frames).
    U16(Vec<u16>),
    /// Everything else, as physical values.
    F32(Vec<f32>),
}

/// A primary image read from a FITS file.
#[derive(Debug)]
pub(crate) struct Image {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) pixels: Pixels,
    /// Largest physical value the integer type can hold (its saturation), `None`
    /// for floating-point data.
    pub(crate) saturation: Option<f32>,
}

/// The header keywords the reader needs.
#[derive(Debug, Default)]
struct Header {
    simple: bool,
    bitpix: Option<i64>,
    naxis: Option<i64>,
    axes: Vec<(usize, i64)>,
    bzero: f64,
    bscale: f64,
}

/// Reads the primary image of a FITS file.
pub(crate) fn read(path: &Path) -> Result<Image> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes).with_context(|| format!("{} is not a usable FITS image", path.display()))
}

/// Parses a FITS file held in memory.
pub(crate) fn parse(bytes: &[u8]) -> Result<Image> {
    ensure!(bytes.len() >= BLOCK && bytes.starts_with(b"SIMPLE  ="), "not a FITS file (no SIMPLE card)");
    let (header, data_start) = parse_header(bytes)?;
    ensure!(header.simple, "SIMPLE is not T: the file does not conform to the FITS standard");
    let bitpix = header.bitpix.context("no BITPIX keyword")?;
    let naxis = header.naxis.context("no NAXIS keyword")?;
    let axis = |n: usize| header.axes.iter().find(|a| a.0 == n).map(|a| a.1);
    let extra_axes_are_one = (3..=naxis.max(2) as usize).all(|n| axis(n) == Some(1));
    if naxis < 2 || !extra_axes_are_one {
        bail!("unsupported image: NAXIS = {naxis}; only 2-D images are supported");
    }
    let (width, height) = (axis(1).context("no NAXIS1")?, axis(2).context("no NAXIS2")?);
    ensure!(width > 0 && height > 0, "empty image ({width} × {height})");
    let (width, height) = (width as usize, height as usize);
    let bytes_per_pixel = match bitpix {
        8 => 1,
        16 => 2,
        32 => 4,
        -32 => 4,
        -64 => 8,
        other => bail!("unsupported BITPIX {other}; supported: 8, 16, 32, -32, -64"),
    };
    let count = width.checked_mul(height).context("image too large")?;
    let size = count.checked_mul(bytes_per_pixel).context("image too large")?;
    let data = bytes.get(data_start..data_start + size).with_context(|| {
        format!(
            "truncated: the header announces {size} bytes of data, the file holds {}",
            bytes.len() - data_start
        )
    })?;
    let (bzero, bscale) = (header.bzero, header.bscale);
    let saturation = (bitpix > 0).then(|| {
        let raw_max = match bitpix {
            8 => 255.0,
            16 => f64::from(i16::MAX),
            _ => f64::from(i32::MAX),
        };
        (bzero + bscale * raw_max) as f32
    });
    let pixels = decode(data, bitpix, bzero, bscale);
    Ok(Image { width, height, pixels, saturation })
}

/// Reads header cards up to END; returns the header and the offset of the data.
fn parse_header(bytes: &[u8]) -> Result<(Header, usize)> {
    let mut header = Header { bscale: 1.0, ..Header::default() };
    for (i, card) in bytes.chunks_exact(CARD).enumerate() {
        let card = std::str::from_utf8(card).context("header is not ASCII")?;
        let key = card[..8].trim_end();
        if key == "END" {
            let end = (i + 1) * CARD;
            return Ok((header, end.div_ceil(BLOCK) * BLOCK));
        }
        if &card[8..10] != "= " {
            continue; // COMMENT, HISTORY, blank
        }
        let value = card[10..].split('/').next().unwrap_or("").trim();
        let number = || value.parse::<f64>().with_context(|| format!("{key} = {value} is not a number"));
        match key {
            "SIMPLE" => header.simple = value == "T",
            "BITPIX" => header.bitpix = Some(number()? as i64),
            "NAXIS" => header.naxis = Some(number()? as i64),
            "BZERO" => header.bzero = number()?,
            "BSCALE" => header.bscale = number()?,
            k if k.starts_with("NAXIS") => {
                if let Ok(n) = k[5..].parse::<usize>() {
                    header.axes.push((n, number()? as i64));
                }
            }
            _ => {}
        }
    }
    bail!("no END card: the header is truncated")
}

/// Decodes big-endian data into physical values: u16 when the data are integers
/// that all fit, f32 otherwise.
fn decode(data: &[u8], bitpix: i64, bzero: f64, bscale: f64) -> Pixels {
    let raw: Vec<f64> = match bitpix {
        8 => data.iter().map(|&b| f64::from(b)).collect(),
        16 => data.chunks_exact(2).map(|c| f64::from(i16::from_be_bytes([c[0], c[1]]))).collect(),
        32 => data.chunks_exact(4).map(|c| f64::from(i32::from_be_bytes(c.try_into().unwrap()))).collect(),
        -32 => data.chunks_exact(4).map(|c| f64::from(f32::from_be_bytes(c.try_into().unwrap()))).collect(),
        _ => data.chunks_exact(8).map(|c| f64::from_be_bytes(c.try_into().unwrap())).collect(),
    };
    let physical = raw.into_iter().map(|v| bzero + bscale * v);
    let integer_scaling = bitpix > 0 && bscale == 1.0 && bzero.fract() == 0.0;
    if integer_scaling {
        let values: Vec<f64> = physical.collect();
        if values.iter().all(|&v| (0.0..=65535.0).contains(&v)) {
            return Pixels::U16(values.into_iter().map(|v| v as u16).collect());
        }
        return Pixels::F32(values.into_iter().map(|v| v as f32).collect());
    }
    Pixels::F32(physical.map(|v| v as f32).collect())
}
