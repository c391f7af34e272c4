//! How long each step of an analysis took, so that a benchmark can say where the
//! time goes (`examples/bench.rs --steps`) without a build of its own.

use std::time::{Duration, Instant};

/// Wall time of each step of one analysis (zero for steps it skipped).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepTimes {
    /// Steps 1 and 2: the statistics and (when stars are detected) the 2×2-binned
    /// frame, made in one pass over the pixels.
    pub statistics: Duration,
    /// Step 3: the first background estimate.
    pub background: Duration,
    /// Step 4: the matched filter, its maxima and the star mask.
    pub detect: Duration,
    /// Step 3 again: the background with the stars masked.
    pub refine: Duration,
    /// Step 5: each candidate measured.
    pub measure: Duration,
    /// Steps 6 and 7: the frame HFR and shape.
    pub summary: Duration,
    /// Step 8: the column profile.
    pub columns: Duration,
}

impl StepTimes {
    /// Every step, named, in pipeline order.
    pub fn named(&self) -> [(&'static str, Duration); 7] {
        [
            ("statistics and bin", self.statistics),
            ("background", self.background),
            ("detect", self.detect),
            ("refine", self.refine),
            ("measure", self.measure),
            ("summary", self.summary),
            ("columns", self.columns),
        ]
    }
}

/// Runs `step`, adding its wall time to `slot`.
pub(crate) fn timed<T>(slot: &mut Duration, step: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = step();
    *slot += start.elapsed();
    result
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::{Frame, Options, Workspace, analyze, analyze_timed};

    #[test]
    fn the_timed_analysis_is_the_analysis_and_skipped_steps_take_no_time() {
        let pixels: Vec<u16> = (0..64 * 64).map(|i| 1000 + (i % 7) as u16).collect();
        let frame = Frame::new(&pixels, 64, 64).unwrap();
        for detect_stars in [false, true] {
            let options = Options { detect_stars, ..Options::default() };
            let (analysis, times) = analyze_timed(&frame, &options, &mut Workspace::new());
            assert_eq!(analysis, analyze(&frame, &options));
            let star_steps = [times.background, times.detect, times.refine, times.measure];
            assert_eq!(star_steps.iter().all(|t| *t > Duration::ZERO), detect_stars, "{times:?}");
            assert!(times.statistics > Duration::ZERO && times.columns > Duration::ZERO);
        }
    }
}
