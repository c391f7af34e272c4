//! Frame measurement: exact statistics, a mesh background, star detection, refined
//! centroids and HFR, on one camera frame held in memory.
//!
//! The pipeline is a short driver, [`analyze`], over small named steps, each in its
//! own module:
//!
//! 1. `stats`: mean, population standard deviation, exact median, min and max
//!    (a 65 536-bin histogram for integer frames, split across cores and merged).
//! 2. `bin`: a 2×2-binned copy of the frame, the working grid for background and
//!    detection (a quarter of the pixels, and the first half of the matched filter).
//!    For integer frames steps 1 and 2 are one pass over the pixels (`first_pass`).
//! 3. `background`: sigma-clipped statistics per mesh cell, median-filtered, then
//!    interpolated bilinearly: background level and noise anywhere in the frame.
//!    Estimated twice: for detection, then with the detected star light masked.
//! 4. `detect`: background-subtracted, noise-normalised, Gaussian matched filter;
//!    threshold; local maxima; merging of maxima that are not separated by a dip.
//! 5. `measure`: on the full-resolution frame, per candidate: rejection of hot
//!    pixels and cosmic rays, windowed centroid, measuring radius sized from the
//!    star, flux, SNR and HFR; flags for saturated, edge-cut and blended stars.
//! 6. `summary`: the frame HFR (outlier-rejected mean) and HFRStDev.
//! 7. `shape`: each star's second moments (Gaussian-windowed, window divided out,
//!    measured in step 5) and the frame's: the median moments of the bright stars,
//!    whose elongation a/b shows trailing, tilt or astigmatism.
//! 8. `columns`: the highest column median over the median column's, in robust σ
//!    of the column medians (of the binned grid, on 512 rows spread over it): a
//!    hot or bleeding column, or a trail along the columns; stars, a few rows
//!    tall, do not count.
//!
//! Steps 2–4 work in a [`Workspace`], which a batch keeps from frame to frame
//! ([`analyze_in`]); [`analyze_timed`] also says how long each step took.
//!
//! **Invariant:** no I/O and no serialization here. Pixel types are normalised once,
//! at the boundary, through the sealed [`Pixel`] trait (`u16`, `f32`, and
//! [`FitsU16`]: a FITS file's 16-bit data as stored, measured in place).
//!
//! ```
//! use stx_analysis::{analyze, Frame, Options};
//! let pixels = vec![1000u16; 64 * 64];
//! let frame = Frame::new(&pixels, 64, 64).unwrap();
//! let analysis = analyze(&frame, &Options::default());
//! assert_eq!(analysis.stats.median, 1000.0);
//! assert!(analysis.stars.is_empty());
//! assert_eq!(analysis.hfr, 0.0);
//! ```

mod background;
mod bin;
mod bits;
mod columns;
mod detect;
mod error;
mod first_pass;
mod frame;
mod lanes;
mod mask;
mod measure;
mod neighbours;
mod shape;
mod stats;
mod summary;
mod timing;
mod workspace;

use timing::timed;

pub use error::{Error, ErrorKind};
pub use frame::{FitsU16, Frame, Pixel};
pub use measure::{Star, StarQuality};
pub use shape::Shape;
pub use stats::{FrameStats, Histogram};
pub use timing::StepTimes;
pub use workspace::Workspace;

/// Tuning of an analysis. `Options::default()` suits STX frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Detection threshold, in standard deviations of the matched-filtered noise
    /// (default 5). The noise maxima that pass it (a few per 4096×4096 frame) are
    /// dropped by the measurement's S/N checks (windowed S/N ≥ 5, SNR ≥ 6).
    pub detect_nsigma: f32,
    /// Pixel value at or above which a pixel is saturated; stars containing one
    /// are counted but kept out of the frame HFR. `None`: 65535 for `u16` frames,
    /// no saturation check for `f32` frames.
    pub saturation: Option<f32>,
    /// Minimum SNR (noise-equivalent-area SNR, see [`Star::snr`]) for a star to
    /// enter the frame HFR (default 10): fainter stars add noise and a downward
    /// ratio bias to the HFR but little information.
    pub hfr_min_snr: f32,
    /// Whether to detect stars at all (`false`: statistics only; e.g. for bias,
    /// dark and flat frames).
    pub detect_stars: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { detect_nsigma: 5.0, saturation: None, hfr_min_snr: 10.0, detect_stars: true }
    }
}

/// Everything measured on one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Statistics of the raw pixel values.
    pub stats: FrameStats,
    /// Every detected star (hot pixels and cosmic rays excluded), including the
    /// saturated, edge-cut and blended ones, in no particular order.
    pub stars: Vec<Star>,
    /// Frame HFR in pixels: outlier-rejected mean of the HFRs of the good stars
    /// ([`StarQuality::Good`] with SNR ≥ [`Options::hfr_min_snr`]); 0 when none.
    pub hfr: f64,
    /// Sample standard deviation of the HFRs that made up [`Analysis::hfr`];
    /// 0 for fewer than two stars.
    pub hfr_std_dev: f64,
    /// How many stars made up [`Analysis::hfr`].
    pub hfr_star_count: usize,
    /// The frame's star shape: the component-wise median of the [`Star::shape`]s
    /// of the good stars of SNR ≥ 30; `None` with fewer than 10 of them.
    pub shape: Option<Shape>,
    /// The highest column median minus the median of the column medians, in their
    /// robust σ (medians on 512 rows): a hot column or a trail along the columns
    /// raises it; a clean frame reads about 3–4.
    pub column_excess: f64,
}

impl Analysis {
    /// The frame's elongation a/b (1 for round stars); 0 without a shape, like
    /// the HFR without stars.
    pub fn elongation(&self) -> f64 {
        self.shape.map_or(0.0, |s| s.elongation())
    }
}

/// Measures a frame: statistics, then (if [`Options::detect_stars`]) stars and HFR.
pub fn analyze<P: Pixel>(frame: &Frame<'_, P>, options: &Options) -> Analysis {
    analyze_in(frame, options, &mut Workspace::new())
}

/// [`analyze`], with working memory kept in `workspace` from frame to frame: for
/// batches, where fresh buffers would cost page faults on every frame.
pub fn analyze_in<P: Pixel>(frame: &Frame<'_, P>, options: &Options, workspace: &mut Workspace) -> Analysis {
    analyze_timed(frame, options, workspace).0
}

/// [`analyze_in`], and how long each step took.
pub fn analyze_timed<P: Pixel>(
    frame: &Frame<'_, P>,
    options: &Options,
    workspace: &mut Workspace,
) -> (Analysis, StepTimes) {
    let mut times = StepTimes::default();
    // The binned grid serves the column profile too, so every frame large enough
    // for detection is binned, whether its stars are detected or not.
    let mut binned =
        detect::detectable(frame).then(|| bin::Grid::binning(frame, std::mem::take(&mut workspace.binned)));
    let stats =
        timed(&mut times.statistics, || P::stats_and_bin(frame, binned.as_mut().map(|g| &mut g.data[..])));
    let stars = match &binned {
        Some(binned) if options.detect_stars => stars_in(frame, binned, options, workspace, &mut times),
        _ => Vec::new(),
    };
    let (hfr, shape) = timed(&mut times.summary, || {
        (summary::frame_hfr(&stars, options.hfr_min_snr), shape::frame_shape(&stars))
    });
    let column_excess = timed(&mut times.columns, || binned.as_ref().map_or(0.0, columns::column_excess));
    if let Some(binned) = binned {
        workspace.binned = binned.data;
    }
    let analysis = Analysis {
        stats,
        stars,
        hfr: hfr.mean,
        hfr_std_dev: hfr.std_dev,
        hfr_star_count: hfr.count,
        shape,
        column_excess,
    };
    (analysis, times)
}

/// Detects and measures the stars of a frame (steps 2–5 of the pipeline).
pub fn find_stars<P: Pixel>(frame: &Frame<'_, P>, options: &Options) -> Vec<Star> {
    if !detect::detectable(frame) {
        return Vec::new();
    }
    let binned = bin::bin2x2(frame, Vec::new());
    stars_in(frame, &binned, options, &mut Workspace::new(), &mut StepTimes::default())
}

/// Steps 3–5 on a frame and its `binned` grid, in a kept workspace, adding each
/// step's time to `times`.
fn stars_in<P: Pixel>(
    frame: &Frame<'_, P>,
    binned: &bin::Grid,
    options: &Options,
    workspace: &mut Workspace,
    times: &mut StepTimes,
) -> Vec<Star> {
    let background = timed(&mut times.background, || background::Background::estimate(binned));
    let candidates =
        timed(&mut times.detect, || detect::detect(binned, &background, options.detect_nsigma, workspace));
    let background = timed(&mut times.refine, || background.refine(binned, &workspace.mask));
    let saturation = options.saturation.or(P::DEFAULT_SATURATION);
    timed(&mut times.measure, || measure::measure_all(frame, &background, &candidates, saturation))
}
