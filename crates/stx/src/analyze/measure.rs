//! Reading and measuring the frames, every core busy: a reader thread reads and
//! decodes the next file while measurers each analyse a frame, every measurer
//! with its own share of the cores (see [`share_cores`]). The channel from the
//! reader holds [`IN_FLIGHT`] frames, so the frames in memory at once are the one
//! being read, those waiting and one per measurer, plus the measured frames'
//! pixel buffers on their way back to the reader for reuse, and the file bytes of
//! the one being read (a buffer as large as the largest file).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use indicatif::ProgressBar;
use rayon::ThreadPool;
use stx_analysis::{Analysis, Frame, Options, StarQuality, Workspace, analyze_in};
use stx_camera::fits::{self, FitsImage, Pixels};

use super::file_bytes;
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

    /// Measures a decoded frame on this measurer's threads.
    fn measure(&mut self, path: PathBuf, image: &FitsImage, info: FrameInfo) -> Result<Measured, Skipped> {
        let workspace = &mut self.workspace;
        match &self.pool {
            Some(pool) => pool.install(|| measure(path, image, info, workspace)),
            None => measure(path, image, info, workspace),
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
    // Measured frames' pixel buffers, back to the reader for the next files.
    let (give_back, spares) = mpsc::sync_channel::<Vec<u16>>(IN_FLIGHT + at_once);
    let (done_tx, done) = mpsc::channel();
    let mut results = Vec::with_capacity(paths.len());
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // One buffer for every file's bytes, and the pixel buffers recycled: a
            // fresh 32 MiB each time costs as many page faults as reading it.
            let mut bytes = Vec::new();
            for (index, path) in paths.iter().enumerate() {
                let spare = spares.try_recv().unwrap_or_default();
                if tx.send((index, load(path, &mut bytes, spare))).is_err() {
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
                    let result = loaded.and_then(|(path, image, info)| {
                        let result = measurer.measure(path, &image, info);
                        if let Pixels::U16(pixels) = image.pixels {
                            // Full only if the reader has stopped taking them: then drop it.
                            let _ = give_back.try_send(pixels);
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

/// Reads and decodes one file (on the reader thread), through `bytes`, into
/// `pixels`' allocation.
fn load(
    path: &Path,
    bytes: &mut Vec<u8>,
    pixels: Vec<u16>,
) -> Result<(PathBuf, FitsImage, FrameInfo), Skipped> {
    let skip = |reason: String| Skipped { reason };
    let shown = path.display();
    let bytes = file_bytes::read(path, bytes).map_err(|e| skip(format!("cannot read {shown}: {e}")))?;
    if let Some(how) = compression(path, bytes) {
        return Err(skip(format!("{shown} is not a usable FITS image: compressed ({how})")));
    }
    let image = fits::read_reusing(bytes, pixels)
        .map_err(|e| skip(format!("{shown} is not a usable FITS image: {e}")))?;
    let info = FrameInfo::from_header(|key| image.value(key));
    Ok((path.to_owned(), image, info))
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

/// Measures a decoded frame (on the current thread pool).
fn measure(
    path: PathBuf,
    image: &FitsImage,
    info: FrameInfo,
    workspace: &mut Workspace,
) -> Result<Measured, Skipped> {
    let sky = info.shows_sky();
    let options = Options { saturation: image.saturation, detect_stars: sky, ..Options::default() };
    let (w, h) = (image.width, image.height);
    let analysis = match &image.pixels {
        Pixels::U16(p) => Frame::new(p, w, h).map(|f| analyze_in(&f, &options, workspace)),
        Pixels::F32(p) => Frame::new(p, w, h).map(|f| analyze_in(&f, &options, workspace)),
    };
    match analysis {
        Ok(a) => Ok(Measured { path, info, figures: Figures::of(&a, sky) }),
        Err(e) => Err(Skipped { reason: format!("cannot analyse {}: {e}", path.display()) }),
    }
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
