//! A file's bytes into a reused buffer, past the page cache where the system
//! allows, in memory backed by huge pages where the system offers them.
//!
//! A night's frames are read once. Through the page cache, the kernel reads each
//! file ahead into cache pages, copies them out and later reclaims them: on the
//! batch benchmark (frames of 32 MiB, read cold) 11–26 ms of kernel time per frame.
//! Direct I/O (`O_DIRECT`, Linux) reads the file straight into the buffer: about
//! 5 ms (`scripts/analysis/batch_bench.py` prints it; docs/analysis.md). Where
//! direct I/O is refused (some file systems; systems other than Linux) the file is
//! read the ordinary way.
//!
//! The measurement cuts a small square out of the frame around every star: some
//! thirty rows 8 KiB apart, each on its own 4 KiB page, so with ordinary pages
//! nearly every row of every cutout missed the TLB (on a virtual machine, a walk
//! of two page tables). A [`FileBuffer`] asks for transparent huge pages (2 MiB,
//! `MADV_HUGEPAGE`) and starts the file's bytes on one: a cutout then lies on one
//! or two pages (`scripts/analysis/ab_analyze.py`: `stx analyze` 11 % faster, half
//! the time stolen by the hypervisor; docs/analysis.md).

use std::fs::File;
use std::io::{self, Read};
use std::ops::{Deref, DerefMut, Range};
use std::path::Path;

use memmap2::MmapMut;

/// Alignment of a direct read's buffer, length and file offset: the largest
/// logical block size of common devices.
const ALIGN: usize = 4096;
/// Where a file's bytes start in a [`FileBuffer`]: a huge page's boundary (a
/// multiple of [`ALIGN`]), so that every page of the file's bytes can be huge.
const HUGE_PAGE: usize = 2 << 20;

/// Memory for one file at a time, grown as needed and never shrunk, so that
/// reading many files in turn allocates once: an anonymous mapping (none until
/// the first file). Derefs to all its bytes; [`read`] says where a file's are.
#[derive(Debug, Default)]
pub(crate) struct FileBuffer {
    map: Option<MmapMut>,
}

impl FileBuffer {
    /// Whether memory has been allocated (a buffer not yet used has none).
    pub(crate) fn is_allocated(&self) -> bool {
        self.map.is_some()
    }

    /// Room for `len` bytes from a huge page's boundary: where it starts. A
    /// mapping starts on a page, so the boundary lies within the slack.
    fn make_room(&mut self, len: usize) -> io::Result<usize> {
        let needed = len + HUGE_PAGE;
        if self.len() < needed {
            let map = MmapMut::map_anon(needed)?;
            advise_huge_pages(&map);
            self.map = Some(map);
        }
        Ok(self.as_ptr().align_offset(HUGE_PAGE))
    }
}

impl Deref for FileBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }
}

impl DerefMut for FileBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.map.as_deref_mut().unwrap_or_default()
    }
}

/// Asks the kernel to back `map` with transparent huge pages. Only a hint: where
/// they are switched off or unsupported, the pages stay ordinary.
#[cfg(target_os = "linux")]
fn advise_huge_pages(map: &MmapMut) {
    let _ = map.advise(memmap2::Advice::HugePage);
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_: &MmapMut) {}

/// Reads the file at `path` into `buffer`; where its bytes are in `buffer`.
pub(crate) fn read(path: &Path, buffer: &mut FileBuffer) -> io::Result<Range<usize>> {
    read_direct(path, buffer).or_else(|_| read_ordinary(path, buffer))
}

/// Reads the file through the page cache into `buffer`.
fn read_ordinary(path: &Path, buffer: &mut FileBuffer) -> io::Result<Range<usize>> {
    let mut file = File::open(path)?;
    let len = file_len(&file)?;
    let start = buffer.make_room(len)?;
    let filled = fill(&mut file, &mut buffer[start..start + len])?;
    Ok(start..start + filled)
}

/// Reads the file with direct I/O into `buffer`; where its bytes are in `buffer`.
/// Any refusal on the way (opening, a read) is an error, and [`read`] then reads
/// the ordinary way.
fn read_direct(path: &Path, buffer: &mut FileBuffer) -> io::Result<Range<usize>> {
    let mut file = open_direct(path)?;
    let len = file_len(&file)?;
    // Direct reads fill whole blocks: room for the last one.
    let aligned_len = len.next_multiple_of(ALIGN);
    let start = buffer.make_room(aligned_len)?;
    let filled = fill(&mut file, &mut buffer[start..start + aligned_len])?;
    Ok(start..start + filled.min(len))
}

/// The file's length when opened: a file that grows meanwhile is read as long as
/// it was then.
fn file_len(file: &File) -> io::Result<usize> {
    usize::try_from(file.metadata()?.len()).map_err(|_| io::ErrorKind::FileTooLarge.into())
}

/// Reads from `file` into `target` until it is full or the file ends; how many
/// bytes were read. (With direct I/O every read but the last fills whole blocks,
/// so the next starts aligned.)
fn fill(file: &mut File, target: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < target.len() {
        match file.read(&mut target[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
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

    /// One way of reading a file into a buffer.
    type ReadWay = fn(&Path, &mut FileBuffer) -> io::Result<Range<usize>>;

    fn content(n: usize, seed: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 + seed) as u8).collect()
    }

    /// Reads a file of `len` bytes (after one of `previous` bytes, through the same
    /// buffer) from `dir` each way and checks every byte and where they start:
    /// through [`read`], the ordinary read alone, and the direct read alone where
    /// the file system takes it (so that neither path can hide behind the other).
    fn check(dir: &Path, previous: usize, len: usize) {
        let mut buffer = FileBuffer::default();
        let ways: [(&str, ReadWay); 3] =
            [("read", read), ("ordinary", read_ordinary), ("direct", read_direct)];
        for (name, n, seed) in [("previous", previous, 7), ("file", len, 3)] {
            let path = dir.join(name);
            std::fs::write(&path, content(n, seed)).unwrap();
            for (way, read) in ways {
                if way == "direct" && open_direct(&path).is_err() {
                    continue;
                }
                let range = read(&path, &mut buffer).unwrap();
                assert_eq!(buffer[range.clone()], content(n, seed), "{n} bytes, {way}, in {}", dir.display());
                assert_eq!(buffer[range].as_ptr().align_offset(HUGE_PAGE), 0, "{n} bytes, {way}: start");
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
    fn a_buffer_grows_only_when_a_file_needs_more_room() {
        let dir = tempfile::tempdir().unwrap();
        let (big, small) = (dir.path().join("big"), dir.path().join("small"));
        std::fs::write(&big, content(3 << 20, 1)).unwrap();
        std::fs::write(&small, content(5000, 2)).unwrap();
        let mut buffer = FileBuffer::default();
        assert!(!buffer.is_allocated());
        read(&big, &mut buffer).unwrap();
        let memory = buffer.as_ptr();
        let range = read(&small, &mut buffer).unwrap();
        assert_eq!(buffer.as_ptr(), memory, "the small file reuses the big one's memory");
        assert_eq!(buffer[range], content(5000, 2));
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(&dir.path().join("missing.fits"), &mut FileBuffer::default()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
