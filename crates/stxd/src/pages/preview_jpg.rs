//! `/Preview.jpg`: the last imager frame, stretched for display by the project's one
//! stretch ([`crate::stretch`]), no wider than a screen, as a JPEG. Made once per frame
//! and shared: the lock is held while one is made, so however many clients ask, one
//! preview is made at a time and one is kept.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use stx_camera::{Camera, Frame};
use stx_protocol::Ccd;
use stx_protocol::reply::{ContentType, Reply};

use crate::v2::preview::{self, Format, Resize};

/// The widest preview: a laptop screen's worth; a 4096-pixel frame becomes a JPEG of a
/// few hundred kilobytes, quick over a camera's link.
const MAX_WIDTH: u32 = 1024;
/// JPEG quality: noise and faint detail stay visible, artefacts do not.
const QUALITY: u8 = 85;

/// The last preview made, for the frame it was made from.
#[derive(Debug, Default)]
pub(super) struct PreviewCache {
    last: Mutex<Option<(Arc<Frame>, Bytes)>>,
}

impl PreviewCache {
    /// The reply to `/Preview.jpg`. No frame yet: 200 with an empty body, as the API's
    /// `Imager.FIT` answers then.
    pub(super) fn answer(&self, camera: &dyn Camera) -> Reply {
        match camera.frame(Ccd::Imager) {
            Ok(Some(frame)) => match self.get(frame) {
                Some(bytes) => Reply::typed(ContentType::Jpeg, bytes),
                None => Reply::malformed("Cannot make a preview of this frame."),
            },
            Ok(None) => Reply::typed(ContentType::Jpeg, Bytes::new()),
            Err(e) => Reply::malformed(&e.to_string()),
        }
    }

    fn get(&self, frame: Arc<Frame>) -> Option<Bytes> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((f, bytes)) = &*last
            && Arc::ptr_eq(f, &frame)
        {
            return Some(bytes.clone());
        }
        let bytes = Bytes::from(jpeg(&frame)?);
        *last = Some((frame, bytes.clone()));
        Some(bytes)
    }
}

/// The frame as a stretched JPEG, at most [`MAX_WIDTH`] wide.
fn jpeg(frame: &Frame) -> Option<Vec<u8>> {
    let grey = crate::stretch::grey_of_levels(frame.width(), frame.height(), frame.pixels())?;
    let grey = preview::shrink(grey, Some(Resize::Width(MAX_WIDTH)));
    preview::encode(&grey, Format::Jpeg(QUALITY)).ok()
}
