//! The STX front: one typed [`Command`] in, one call on the [`Camera`], one [`Reply`] out.
//! Every error ends here as a reply; nothing below the HTTP layer can drop a request.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use stx_camera::{Camera, ErrorKind, Frame};
use stx_protocol::command::{Command, Rejection};
use stx_protocol::reply::{Reply, flag, int, real};
use stx_protocol::request::RawRequest;
use stx_protocol::{Ccd, FilterKey, FitsSettings};

/// The last `.FIT` download made, for the frame and FITS settings it was made from:
/// every client downloading the same file shares one encoding (32 MiB for a full
/// frame) instead of each holding its own.
#[derive(Debug, Default)]
pub struct FitsDownloads {
    last: Mutex<Option<(Arc<Frame>, FitsSettings, Bytes)>>,
}

impl FitsDownloads {
    /// The FITS file of `frame` with `settings`, encoded once. Held while encoding, so
    /// clients asking at once wait for the one encoding.
    fn get(&self, frame: Arc<Frame>, settings: FitsSettings) -> Bytes {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match &*last {
            Some((f, s, bytes)) if Arc::ptr_eq(f, &frame) && *s == settings => bytes.clone(),
            _ => {
                let bytes = Bytes::from(stx_camera::fits::encode(&frame, &settings));
                *last = Some((frame, settings, bytes.clone()));
                bytes
            }
        }
    }
}

/// Answers one request target (e.g. `/api/ImagerState.cgi`) of the STX API.
pub fn answer_target(camera: &dyn Camera, downloads: &FitsDownloads, target: &str) -> Reply {
    let raw = match RawRequest::parse(target) {
        Ok(raw) => raw,
        Err(e) => return Reply::malformed(&e.to_string()),
    };
    match Command::parse(&raw) {
        Ok(command) => answer(camera, downloads, &command),
        Err(Rejection::NotFound) => Reply::not_found(),
        Err(Rejection::Stx(e)) => Reply::error(e),
    }
}

/// Carries out a command on the camera.
pub fn answer(camera: &dyn Camera, downloads: &FitsDownloads, command: &Command) -> Reply {
    match run(camera, downloads, command) {
        Ok(reply) => reply,
        Err(e) => match e.kind() {
            ErrorKind::Stx(code) => Reply::error(*code),
            // The spec knows only 200/400/404; a camera we cannot reach is a failed
            // request, said in words a person can act on.
            _ => Reply::malformed(&e.to_string()),
        },
    }
}

fn run(
    camera: &dyn Camera,
    downloads: &FitsDownloads,
    command: &Command,
) -> Result<Reply, stx_camera::Error> {
    Ok(match command {
        Command::GetSettings { ccd, keys } => {
            let settings = camera.settings(*ccd)?;
            Reply::values(keys.iter().filter_map(|k| k.format(&settings)))
        }
        Command::SetSettings { ccd, update } => {
            camera.set_settings(*ccd, update)?;
            Reply::empty()
        }
        Command::State(ccd) => Reply::values([int(camera.state(*ccd)?.code())]),
        Command::ImageReady(ccd) => Reply::values([flag(camera.image_ready(*ccd)?)]),
        Command::DataBin(ccd) => Reply::binary(camera.frame(*ccd)?.map(|f| f.le_bytes()).unwrap_or_default()),
        Command::DataFits(ccd) => Reply::binary(fits_download(camera, downloads, *ccd)?),
        Command::StartExposure { ccd, request } => {
            camera.start_exposure(*ccd, request)?;
            Reply::empty()
        }
        Command::AbortExposure(ccd) => {
            camera.abort_exposure(*ccd)?;
            Reply::empty()
        }
        Command::FilterState => Reply::values([int(camera.filter_wheel()?.state.code())]),
        Command::GetFilterSettings(keys) => {
            let wheel = camera.filter_wheel()?;
            Reply::values(keys.iter().map(|k: &FilterKey| k.format(&wheel)))
        }
        Command::ChangeFilter(slot) => {
            camera.change_filter(*slot)?;
            Reply::empty()
        }
        Command::SetFilterNames(names) => {
            camera.set_filter_names(names)?;
            Reply::empty()
        }
        Command::PulseGuide(request) => {
            camera.pulse_guide(request)?;
            Reply::empty()
        }
        Command::IsPulseGuiding => Reply::values([flag(camera.relays()?.any_closed())]),
        Command::PulseGuideTimeRemaining(relays) => {
            let status = camera.relays()?;
            Reply::values(relays.iter().map(|r| real(status.remaining(*r))))
        }
        Command::AoGuide { x, y } => {
            camera.ao_guide(*x, *y)?;
            Reply::empty()
        }
        Command::AoStatus => Reply::values([flag(camera.ao_moving()?)]),
        Command::GetFitsSettings(keys) => {
            let settings = camera.fits_settings()?;
            Reply::values(keys.iter().map(|k| k.format(&settings)))
        }
        Command::SetFitsSettings(changes) => {
            camera.set_fits_settings(changes)?;
            Reply::empty()
        }
        Command::Description => Reply::values([camera.description()?]),
        Command::VersionNumbers => Reply::values(camera.versions()?.lines()),
    })
}

/// The `.FIT` download: the last frame with the FITS settings as they are now (the
/// spec's own example sets them after the exposure, then downloads). No frame → empty.
fn fits_download(
    camera: &dyn Camera,
    downloads: &FitsDownloads,
    ccd: Ccd,
) -> Result<Bytes, stx_camera::Error> {
    let Some(frame) = camera.frame(ccd)? else { return Ok(Bytes::new()) };
    Ok(downloads.get(frame, camera.fits_settings()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Arc<Frame> {
        crate::test_frame::frame(4, 2, vec![7; 8])
    }

    #[test]
    fn one_fits_encoding_is_shared_until_the_frame_or_settings_change() {
        let downloads = FitsDownloads::default();
        let (frame, settings) = (frame(), FitsSettings::default());
        let first = downloads.get(frame.clone(), settings.clone());
        assert_eq!(first.as_ptr(), downloads.get(frame.clone(), settings.clone()).as_ptr());
        let moved = FitsSettings { focal_length_mm: 800.0, ..settings.clone() };
        assert_ne!(first.as_ptr(), downloads.get(frame.clone(), moved).as_ptr());
        assert_ne!(first.as_ptr(), downloads.get(super::tests::frame(), settings).as_ptr());
    }
}
