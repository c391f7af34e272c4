//! Reading and measuring the frames, every core busy: a reader thread reads the
//! next file while measurers each analyse a frame, every measurer with its own
//! share of the cores (see [`share_cores`]). Camera frames (16-bit unsigned) are
//! measured in the file's bytes as they were read ([`stx_analysis::FitsU16`]);
//! other layouts are decoded by the reader. The channel from the reader holds
//! [`IN_FLIGHT`] frames, so the frames in memory at once are the one being read,
//! those waiting and one per measurer, plus the measured frames' buffers on their
//! way back to the reader for reuse.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use indicatif::ProgressBar;
use rayon::ThreadPool;
use stx_analysis::{Analysis, Frame, Options, Pixel, StarQuality, Workspace, analyze_in};
use stx_camera::fits::{self, FitsImage, Pixels};

use super::file_bytes::{self, FileBuffer};
use super::header::FrameInfo;

/// Decoded frames waiting for a measurer: two, so that a slow read (the disk's
/// pace varies from file to file) does not leave a measurer idle (measured: one
/// waiting frame left about 6 % of the CPU time idle, `batch_bench.py`).
const IN_FLIGHT: usize = 2;
/// Most frames measured at once: each holds a frame and a [`Workspace`] (about
/// 70 MB for a 4096² frame).
const MAX_AT_ONCE: usize = 4;

/// How many frames are measured at once, and with how many threads each. A frame
/// per core first: frames need no coordination, while one frame's analysis spread
/// over the cores leaves them idle in its serial steps and pays for every fork and
/// join (measured in docs/analysis.md). Beyond [`MAX_AT_ONCE`] frames, each frame's
/// analysis is itself parallel.
fn share_cores(cores: usize) -> (usize, usize) {
    let at_once = cores.clamp(1, MAX_AT_ONCE);
    (at_once, (cores / at_once).max(1))
}

/// One measurer: its working memory and its share of the cores.
struct Measurer {
    workspace: Workspace,
    /// `None` if the threads could not be started: then the shared pool.
    pool: Option<ThreadPool>,
}

impl Measurer {
    fn new(threads: usize) -> Measurer {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().ok();
        Measurer { workspace: Workspace::new(), pool }
    }

    /// Measures a loaded frame on this measurer's threads.
    fn measure(&mut self, loaded: &Loaded) -> Result<Measured, Skipped> {
        let workspace = &mut self.workspace;
        match &self.pool {
            Some(pool) => pool.install(|| measure(loaded, workspace)),
            None => measure(loaded, workspace),
        }
    }
}

/// What was measured on one frame. The star figures are `None` for frames that do
/// not show the sky (darks, biases, flats), as in the image history.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Figures {
    pub(crate) mean: f64,
    pub(crate) median: f64,
    pub(crate) std_dev: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) stars: Option<usize>,
    pub(crate) hfr: Option<f64>,
    pub(crate) hfr_std_dev: Option<f64>,
    /// The frame's star elongation a/b; `None` also when no star made the HFR.
    pub(crate) elongation: Option<f64>,
    /// Stars with a saturated core.
    pub(crate) saturated: Option<usize>,
    /// The highest column median over the median column's, in their robust σ.
    pub(crate) column_excess: f64,
}

impl Figures {
    fn of(a: &Analysis, sky: bool) -> Figures {
        let s = &a.stats;
        let star = |v: usize| sky.then_some(v);
        let star_figure = |v: f64| sky.then_some(v);
        Figures {
            mean: s.mean,
            median: s.median,
            std_dev: s.std_dev,
            min: s.min,
            max: s.max,
            stars: star(a.stars.len()),
            hfr: star_figure(a.hfr),
            hfr_std_dev: star_figure(a.hfr_std_dev),
            elongation: a.shape.map(|shape| shape.elongation()).filter(|e| sky && e.is_finite()),
            saturated: star(a.stars.iter().filter(|s| s.quality == StarQuality::Saturated).count()),
            column_excess: a.column_excess,
        }
    }
}

/// A measured frame.
#[derive(Clone, Debug)]
pub(crate) struct Measured {
    pub(crate) path: PathBuf,
    pub(crate) info: FrameInfo,
    pub(crate) figures: Figures,
}

/// A file that could not be measured, and why (a whole sentence naming the file).
#[derive(Clone, Debug)]
pub(crate) struct Skipped {
    pub(crate) reason: String,
}

/// A file read and checked, ready to measure.
struct Loaded {
    path: PathBuf,
    info: FrameInfo,
    /// The saturation level of the file's integer type.
    saturation: Option<f32>,
    pixels: LoadedPixels,
}

/// A loaded frame's pixels.
enum LoadedPixels {
    /// 16-bit unsigned data as stored: `bytes[data]`, `width × height` pixels.
    Stored { bytes: FileBuffer, data: Range<usize>, width: usize, height: usize },
    /// Any other layout, decoded.
    Decoded(FitsImage),
}

/// A measured frame's buffer, back to the reader for the next files: a fresh
/// 32 MiB each time would cost as many page faults as reading it.
enum Spare {
    Bytes(FileBuffer),
    Levels(Vec<u16>),
}

impl LoadedPixels {
    /// The buffer, for reuse.
    fn into_spare(self) -> Option<Spare> {
        match self {
            LoadedPixels::Stored { bytes, .. } => Some(Spare::Bytes(bytes)),
            LoadedPixels::Decoded(FitsImage { pixels: Pixels::U16(levels), .. }) => {
                Some(Spare::Levels(levels))
            }
            LoadedPixels::Decoded(_) => None,
        }
    }
}

/// The reader's buffers: those file bytes are read into, and those levels are
/// decoded into, each taken back from a measured frame (as many as are in flight).
#[derive(Default)]
struct Buffers {
    bytes: Vec<FileBuffer>,
    levels: Vec<Vec<u16>>,
}

impl Buffers {
    /// Keeps the buffers measured frames gave back.
    fn keep_all(&mut self, spares: impl Iterator<Item = Spare>) {
        for spare in spares {
            match spare {
                Spare::Bytes(bytes) => self.bytes.push(bytes),
                Spare::Levels(levels) => self.levels.push(levels),
            }
        }
    }
}

/// Measures every file; the results are in the order of `paths`. `on_skip` hears
/// of each file that cannot be measured as it happens. Advances `progress` by one
/// per file.
pub(crate) fn measure_all(
    paths: &[PathBuf],
    progress: &ProgressBar,
    mut on_skip: impl FnMut(&Skipped),
) -> (Vec<Measured>, Vec<Skipped>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (at_once, threads_each) = share_cores(cores);
    let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
    let rx = Mutex::new(rx);
    let (give_back, spares) = mpsc::sync_channel::<Spare>(IN_FLIGHT + at_once);
    let (done_tx, done) = mpsc::channel();
    let mut results = Vec::with_capacity(paths.len());
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut buffers = Buffers::default();
            for (index, path) in paths.iter().enumerate() {
                buffers.keep_all(spares.try_iter());
                if tx.send((index, load(path, &mut buffers))).is_err() {
                    break;
                }
            }
        });
        for _ in 0..at_once {
            let (rx, give_back, done_tx) = (&rx, give_back.clone(), done_tx.clone());
            scope.spawn(move || {
                let mut measurer = Measurer::new(threads_each);
                // The lock is held only to take the next frame, never while measuring.
                while let Ok((index, loaded)) = rx.lock().map_err(drop).and_then(|rx| rx.recv().map_err(drop))
                {
                    let result = loaded.and_then(|loaded: Loaded| {
                        let result = measurer.measure(&loaded);
                        if let Some(spare) = loaded.pixels.into_spare() {
                            // Full only if the reader has stopped taking them: then drop it.
                            let _ = give_back.try_send(spare);
                        }
                        result
                    });
                    if done_tx.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        for (index, result) in done {
            if let Err(s) = &result {
                on_skip(s);
            }
            results.push((index, result));
            progress.inc(1);
        }
    });
    results.sort_by_key(|(index, _)| *index);
    let (mut measured, mut skipped) = (Vec::new(), Vec::new());
    for (_, result) in results {
        match result {
            Ok(m) => measured.push(m),
            Err(s) => skipped.push(s),
        }
    }
    (measured, skipped)
}

/// Reads one file (on the reader thread) into one of `buffers`: a camera frame
/// is only checked, and goes with its bytes; any other layout is decoded (into a
/// levels buffer, if its values are levels) and its bytes buffer kept.
fn load(path: &Path, buffers: &mut Buffers) -> Result<Loaded, Skipped> {
    let mut bytes = buffers.bytes.pop().unwrap_or_default();
    let loaded = read_into(path, &mut bytes, &mut buffers.levels);
    // Kept unless the frame took it.
    if bytes.is_allocated() {
        buffers.bytes.push(bytes);
    }
    loaded
}

/// [`load`] into `bytes` (taken, for a camera frame), decoding other layouts into
/// one of `levels`.
fn read_into(path: &Path, bytes: &mut FileBuffer, levels: &mut Vec<Vec<u16>>) -> Result<Loaded, Skipped> {
    let skip = |reason: String| Skipped { reason };
    let shown = path.display();
    let unusable = |e: fits::ReadError| skip(format!("{shown} is not a usable FITS image: {e}"));
    let range = file_bytes::read(path, bytes).map_err(|e| skip(format!("cannot read {shown}: {e}")))?;
    let file = &bytes[range.clone()];
    if let Some(how) = compression(path, file) {
        return Err(skip(format!("{shown} is not a usable FITS image: compressed ({how})")));
    }
    let layout = fits::layout(file).map_err(unusable)?;
    let info = FrameInfo::from_header(|key| layout.value(key));
    let saturation = layout.saturation;
    let pixels = if layout.is_unsigned_16() {
        let data = range.start + layout.data.start..range.start + layout.data.end;
        let (width, height) = (layout.width, layout.height);
        LoadedPixels::Stored { bytes: std::mem::take(bytes), data, width, height }
    } else {
        LoadedPixels::Decoded(layout.decode(file, levels.pop().unwrap_or_default()))
    };
    Ok(Loaded { path: path.to_owned(), info, saturation, pixels })
}

/// How a file is compressed, if it is in a form we recognise but do not read.
fn compression(path: &Path, bytes: &[u8]) -> Option<&'static str> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some("gzip; gunzip it first")
    } else if bytes.starts_with(b"BZh") {
        Some("bzip2; bunzip2 it first")
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some("zip; unzip it first")
    } else if name.ends_with(".fz") {
        Some("fpack tile compression; funpack it first")
    } else {
        None
    }
}

/// Measures a loaded frame (on the current thread pool).
fn measure(loaded: &Loaded, workspace: &mut Workspace) -> Result<Measured, Skipped> {
    let sky = loaded.info.shows_sky();
    let options = Options { saturation: loaded.saturation, detect_stars: sky, ..Options::default() };
    let analysis = match &loaded.pixels {
        LoadedPixels::Stored { bytes, data, width, height } => {
            Frame::from_fits_u16(&bytes[data.clone()], *width, *height)
                .map(|f| analyze_in(&f, &options, workspace))
        }
        LoadedPixels::Decoded(image) => match &image.pixels {
            Pixels::U16(p) => analyze_decoded(p, image, &options, workspace),
            Pixels::F32(p) => analyze_decoded(p, image, &options, workspace),
        },
    };
    let (path, info) = (loaded.path.clone(), loaded.info.clone());
    match analysis {
        Ok(a) => Ok(Measured { path, info, figures: Figures::of(&a, sky) }),
        Err(e) => Err(Skipped { reason: format!("cannot analyse {}: {e}", path.display()) }),
    }
}

/// Analyses a decoded image's `pixels`.
fn analyze_decoded<P: Pixel>(
    pixels: &[P],
    image: &FitsImage,
    options: &Options,
    workspace: &mut Workspace,
) -> Result<Analysis, stx_analysis::Error> {
    Frame::new(pixels, image.width, image.height).map(|f| analyze_in(&f, options, workspace))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cores: usize, expect: (usize, usize)) {
        assert_eq!(share_cores(cores), expect, "{cores} cores");
    }

    #[test]
    fn a_frame_per_core_then_threads_per_frame() {
        check(1, (1, 1));
        check(2, (2, 1));
        check(4, (4, 1));
        check(6, (4, 1));
        check(8, (4, 2));
        check(64, (4, 16));
    }
}
