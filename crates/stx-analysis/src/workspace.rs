//! The analysis's working memory, kept between frames.
//!
//! Steps 2–4 each fill a buffer the size of the binned frame. Fresh, such a
//! buffer costs a page fault per 4 KiB (the kernel zeroing each page: about 9000
//! faults for a 4096² frame); kept, only its own writes.

/// Buffers for analysing one frame at a time, reused from frame to frame: about
/// 2.3 bytes per frame pixel once grown (a 4096² frame: 38 MB). Pass the same one
/// to [`crate::analyze_in`] for every frame of a batch; [`crate::analyze`] uses a
/// fresh one each time.
#[derive(Debug, Default)]
pub struct Workspace {
    /// The 2×2-binned frame.
    pub(crate) binned: Vec<f32>,
    /// The matched filter's S/N on the binned grid.
    pub(crate) snr: Vec<f32>,
    /// The matched filter's detections and star light, a bit per binned pixel.
    pub(crate) peaks: Vec<u64>,
    pub(crate) light: Vec<u64>,
    /// The binned pixels holding star light.
    pub(crate) mask: Vec<bool>,
}

impl Workspace {
    /// An empty workspace; its buffers grow to the first frame's size.
    pub fn new() -> Self {
        Workspace::default()
    }
}

/// `buffer` emptied and filled with `len` copies of `fill`: written before it is
/// ever read. (A buffer read first, like a zeroed `vec![0; n]`, maps the shared
/// zero page; the first write to each page then copies it and flushes every
/// core's TLB, which cost a third of the star-mask step.)
pub(crate) fn filled<T: Copy>(mut buffer: Vec<T>, len: usize, fill: T) -> Vec<T> {
    buffer.clear();
    buffer.resize(len, fill);
    buffer
}

/// `buffer` at `len` elements, for a step that writes every element before it
/// reads any: only elements it never held are filled (written, so not the zero
/// page either); the others keep the last frame's values until overwritten. Saves
/// [`filled`]'s pass over the whole buffer.
pub(crate) fn overwritable<T: Copy>(mut buffer: Vec<T>, len: usize, fill: T) -> Vec<T> {
    buffer.resize(len, fill);
    buffer
}
