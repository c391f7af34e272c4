//! A frame that exists as a recipe until someone asks for its pixels.
//!
//! An exposure's circumstances are captured when it ends (under the camera's lock, which
//! is cheap); the pixels are rendered on the first download, outside the lock, and kept.
//! A 4096² render therefore never holds up another CCD's calls, and a frame nobody
//! downloads costs nothing.

use std::sync::{Arc, OnceLock};

use crate::render::{self, RenderJob};
use crate::{Frame, FrameMeta};

/// A finished exposure's frame, rendered at most once. Clones share the render.
#[derive(Clone, Debug)]
pub(super) struct LazyFrame(Arc<Recipe>);

#[derive(Debug)]
struct Recipe {
    job: RenderJob,
    meta: FrameMeta,
    frame: OnceLock<Arc<Frame>>,
}

impl LazyFrame {
    /// A frame to be rendered from `job`, described by `meta`.
    pub(super) fn new(job: RenderJob, meta: FrameMeta) -> LazyFrame {
        LazyFrame(Arc::new(Recipe { job, meta, frame: OnceLock::new() }))
    }

    /// The frame, rendering it on first use. Callers that arrive during the render wait
    /// for it rather than render again; call this without holding the camera's lock.
    pub(super) fn get(&self) -> Arc<Frame> {
        let recipe = &*self.0;
        Arc::clone(recipe.frame.get_or_init(|| {
            let (width, height) = recipe.job.frame.binned_size(recipe.job.binning);
            let pixels = render::render(&recipe.job);
            let frame = Frame::new(width, height, pixels, recipe.meta.clone());
            Arc::new(frame.expect("render gives (NumX/BinX) × (NumY/BinY) pixels, as its contract says"))
        }))
    }
}
