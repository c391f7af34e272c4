//! The image files: their names, and how one is put in place durably.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use crate::{Error, ImageType};

/// Where the FITS files live, inside the history's directory.
pub(crate) const IMAGES_DIR: &str = "images";

/// Every temporary file starts with this, and no final name does (final names start
/// with a digit), so a leftover temp file is recognised by its name alone.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// The smallest FITS file is one 2880-byte block; every FITS file is whole blocks.
const FITS_BLOCK: usize = 2880;

/// Whether `bytes` can be a FITS file: whole blocks, starting with the SIMPLE card.
/// Cheap, so a caller's bug cannot fill the history with something else.
pub(crate) fn looks_like_fits(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.chunks_exact(FITS_BLOCK).remainder().is_empty()
        && bytes.starts_with(b"SIMPLE  =")
}

/// The final name of image file `number`: `000123_LIGHT_20261121T221345.fits`.
/// The number alone makes it unique (it comes from a counter that never goes back);
/// type and local time are there for people browsing the directory. No colons, so
/// the names also survive a copy to a FAT or SMB volume.
pub(crate) fn final_name(number: u64, image_type: ImageType, date: &DateTime<FixedOffset>) -> String {
    format!("{number:06}_{image_type}_{}.fits", date.format("%Y%m%dT%H%M%S"))
}

/// The number and image type of an image file, if `name` is a final name this
/// crate gives.
pub(crate) fn parse_final_name(name: &str) -> Option<(u64, ImageType)> {
    let (number, rest) = name.split_once('_')?;
    let (image_type, rest) = rest.split_once('_')?;
    let stem = rest.strip_suffix(".fits")?;
    let image_type = ImageType::ALL.into_iter().find(|t| t.wire_name() == image_type)?;
    let valid =
        !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) && !stem.contains(['/', '\\']);
    if valid { Some((number.parse().ok()?, image_type)) } else { None }
}

/// The number of an image file, if `name` is a final name this crate gives.
pub(crate) fn file_number(name: &str) -> Option<u64> {
    parse_final_name(name).map(|(number, _)| number)
}

/// How [`publish`] ended.
pub(crate) enum Published {
    /// The file is under its final name, durably.
    Done,
    /// A file (or leftover temp file) of that name exists already; nothing was
    /// changed, so the caller picks another number.
    NameTaken,
}

/// Puts `bytes` under `dir/final_name` so that after any crash the file is either
/// complete under its final name or absent from it:
/// write a temp file → fsync it → hard-link it to the final name → unlink the temp
/// file → fsync the directory.
///
/// A hard link rather than a rename because `link` fails when the target exists
/// while `rename` would silently replace it: an existing image is never
/// overwritten, whatever state the counter is in.
pub(crate) fn publish(dir: &Path, final_name: &str, bytes: &[u8]) -> Result<Published, Error> {
    let temp = dir.join(format!("{TEMP_PREFIX}{final_name}"));
    let target = dir.join(final_name);
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&temp) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(Published::NameTaken),
        Err(e) => return Err(Error::io(&temp)(e)),
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        discard(&temp);
        return Err(Error::io(&temp)(e));
    }
    match fs::hard_link(&temp, &target) {
        Ok(()) => {}
        Err(e) => {
            discard(&temp);
            return if e.kind() == io::ErrorKind::AlreadyExists {
                Ok(Published::NameTaken)
            } else {
                Err(Error::io(&target)(e))
            };
        }
    }
    fs::remove_file(&temp).map_err(Error::io(&temp))?;
    sync_dir(dir)?;
    Ok(Published::Done)
}

/// Removes a file we no longer want, ignoring failure: whatever stays behind is a
/// temp file or an orphan, which [`History::reconcile`](crate::History::reconcile)
/// finds.
pub(crate) fn discard(path: &Path) {
    let _ = fs::remove_file(path);
}

/// Makes the directory's entries (created, renamed, removed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(Error::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_not_ours() {
        let date = DateTime::parse_from_rfc3339("2026-11-21T22:13:45.123+01:00").unwrap();
        let name = final_name(123, ImageType::Light, &date);
        assert_eq!(name, "000123_LIGHT_20261121T221345.fits");
        assert_eq!(file_number(&name), Some(123));
        assert_eq!(file_number("1234567_SNAPSHOT_x.fits"), Some(1_234_567));
        assert_eq!(parse_final_name(&name), Some((123, ImageType::Light)));
        assert_eq!(parse_final_name("000007_SNAPSHOT_x.fits"), Some((7, ImageType::Snapshot)));
        for stranger in [
            "notes.txt",
            "x_LIGHT_y.fits",
            "12_light_y.fits",
            "12_LIGHT_y.fit",
            ".tmp-000001_LIGHT_y.fits",
            "_LIGHT_y.fits",
        ] {
            assert_eq!(file_number(stranger), None, "{stranger}");
        }
    }

    #[test]
    fn fits_check_wants_whole_blocks_and_simple() {
        let mut block = vec![b' '; FITS_BLOCK];
        block[..9].copy_from_slice(b"SIMPLE  =");
        assert!(looks_like_fits(&block));
        assert!(!looks_like_fits(&block[..100]));
        assert!(!looks_like_fits(&[]));
        block[0] = b'X';
        assert!(!looks_like_fits(&block));
    }
}
