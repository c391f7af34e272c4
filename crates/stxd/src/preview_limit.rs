//! Previews one or two at a time: making a preview reads a whole FITS file and holds
//! several copies of the frame (up to a few hundred MB for a 4096² frame), so a burst
//! of them must queue rather than all run at once. The queue is bounded by the v2
//! port's connection cap.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use tokio::sync::Semaphore;

/// Previews made at once: one per core of a small machine; more only add memory, not
/// speed, since each is CPU-bound.
pub(crate) const PREVIEWS_AT_ONCE: usize = 2;

/// The paths whose requests make a preview or read a whole image file.
const IMAGE_PATHS: &str = "/v2/api/image/";

/// `router` with its image requests limited to [`PREVIEWS_AT_ONCE`] at a time.
pub(crate) fn layer(router: Router) -> Router {
    let turns = Arc::new(Semaphore::new(PREVIEWS_AT_ONCE));
    router.layer(middleware::from_fn(move |request: Request, next: Next| {
        let turns = turns.clone();
        async move {
            if !request.uri().path().starts_with(IMAGE_PATHS) {
                return next.run(request).await;
            }
            let _turn = turns.acquire_owned().await.expect("the semaphore is never closed");
            next.run(request).await
        }
    }))
}
