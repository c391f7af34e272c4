//! A file's bytes into a reused buffer, past the page cache where the system allows.
//!
//! A night's frames are read once. Through the page cache, the kernel reads each
//! file ahead into cache pages, copies them out and later reclaims them: on the
//! batch benchmark (frames of 32 MiB, read cold) 11–26 ms of kernel time per frame.
//! Direct I/O (`O_DIRECT`, Linux) reads the file straight into the buffer: about
//! 5 ms (`scripts/analysis/batch_bench.py` prints it; docs/analysis.md). Where direct I/O is refused (some file systems; systems other than
//! Linux) the file is read the ordinary way.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

/// Alignment of a direct read's buffer, length and file offset: the largest
/// logical block size of common devices.
const ALIGN: usize = 4096;

/// Reads the file at `path` into `buffer` (grown as needed, never shrunk, so that
/// reading many files in turn allocates once); where its bytes are in `buffer`.
pub(crate) fn read(path: &Path, buffer: &mut Vec<u8>) -> io::Result<Range<usize>> {
    read_direct(path, buffer).or_else(|_| read_ordinary(path, buffer))
}

/// Reads the file through the page cache into `buffer`.
fn read_ordinary(path: &Path, buffer: &mut Vec<u8>) -> io::Result<Range<usize>> {
    buffer.clear();
    File::open(path)?.read_to_end(buffer)?;
    Ok(0..buffer.len())
}

/// Reads the file with direct I/O into an aligned part of `buffer`; where its bytes
/// are in `buffer`. Any refusal on the way (opening, a read) is an error, and
/// [`read`] then reads the ordinary way.
fn read_direct(path: &Path, buffer: &mut Vec<u8>) -> io::Result<Range<usize>> {
    let mut file = open_direct(path)?;
    let len = usize::try_from(file.metadata()?.len()).map_err(|_| io::ErrorKind::FileTooLarge)?;
    let aligned_len = len.next_multiple_of(ALIGN);
    if buffer.len() < aligned_len + ALIGN {
        buffer.resize(aligned_len + ALIGN, 0);
    }
    let start = buffer.as_ptr().align_offset(ALIGN);
    let target = &mut buffer[start..start + aligned_len];
    // Every read but the last fills whole blocks, so the next starts aligned; a
    // file that grows meanwhile is read as long as it was when opened.
    let mut filled = 0;
    while filled < len {
        match file.read(&mut target[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(start..start + filled.min(len))
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // The flag's bits fit an i32 (0o40000).
    let direct = rustix::fs::OFlags::DIRECT.bits() as i32;
    std::fs::OpenOptions::new().read(true).custom_flags(direct).open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> io::Result<File> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(n: usize, seed: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + seed) as u8).collect()
    }

    /// Reads a file of `len` bytes (after one of `previous` bytes, through the same
    /// buffer) from `dir` each way and checks every byte: through [`read`], the
    /// ordinary read alone, and the direct read alone where the file system takes
    /// it (so that neither path can hide behind the other).
    fn check(dir: &Path, previous: usize, len: usize) {
        let mut buffer = Vec::new();
        for (name, n, seed) in [("previous", previous, 7), ("file", len, 3)] {
            let path = dir.join(name);
            std::fs::write(&path, content(n, seed)).unwrap();
            let range = read(&path, &mut buffer).unwrap();
            assert_eq!(buffer[range], content(n, seed), "{n} bytes in {}", dir.display());
            let range = read_ordinary(&path, &mut buffer).unwrap();
            assert_eq!(buffer[range], content(n, seed), "{n} bytes, ordinary");
            if open_direct(&path).is_ok() {
                let range = read_direct(&path, &mut buffer).unwrap();
                assert_eq!(buffer[range], content(n, seed), "{n} bytes, direct");
            }
        }
    }

    #[test]
    fn reads_every_byte_of_files_of_any_size_through_one_buffer() {
        let dir = tempfile::tempdir().unwrap();
        for (previous, len) in [(0, 0), (0, 1), (10_000, 4096), (4096, 10_001), (1 << 20, 33_554_432 + 2880)]
        {
            check(dir.path(), previous, len);
        }
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(&dir.path().join("missing.fits"), &mut Vec::new()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
