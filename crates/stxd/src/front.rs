//! The STX front: one typed [`Command`] in, one call on the [`Camera`], one [`Reply`] out.
//! Every error ends here as a reply; nothing below the HTTP layer can drop a request.

use stx_camera::{Camera, ErrorKind};
use stx_protocol::command::{Command, Rejection};
use stx_protocol::reply::{Reply, int, real};
use stx_protocol::request::RawRequest;
use stx_protocol::{Ccd, FilterKey};

/// Answers one request target (e.g. `/api/ImagerState.cgi`) of the STX API.
pub fn answer_target(camera: &dyn Camera, target: &str) -> Reply {
    let raw = match RawRequest::parse(target) {
        Ok(raw) => raw,
        Err(e) => return Reply::malformed(&e.to_string()),
    };
    match Command::parse(&raw) {
        Ok(command) => answer(camera, &command),
        Err(Rejection::NotFound) => Reply::not_found(),
        Err(Rejection::Stx(e)) => Reply::error(e),
    }
}

/// Carries out a command on the camera.
pub fn answer(camera: &dyn Camera, command: &Command) -> Reply {
    match run(camera, command) {
        Ok(reply) => reply,
        Err(e) => match e.kind() {
            ErrorKind::Stx(code) => Reply::error(*code),
            // The spec knows only 200/400/404; a camera we cannot reach is a failed
            // request, said in words a person can act on.
            _ => Reply::malformed(&e.to_string()),
        },
    }
}

fn run(camera: &dyn Camera, command: &Command) -> Result<Reply, stx_camera::Error> {
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
        Command::ImageReady(ccd) => Reply::values([int(u8::from(camera.image_ready(*ccd)?))]),
        Command::DataBin(ccd) => Reply::binary(camera.frame(*ccd)?.map(|f| f.le_bytes()).unwrap_or_default()),
        Command::DataFits(ccd) => Reply::binary(fits_download(camera, *ccd)?),
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
        Command::IsPulseGuiding => Reply::values([int(u8::from(camera.relays()?.any_closed()))]),
        Command::PulseGuideTimeRemaining(relays) => {
            let status = camera.relays()?;
            Reply::values(relays.iter().map(|r| real(status.remaining(*r))))
        }
        Command::AoGuide { x, y } => {
            camera.ao_guide(*x, *y)?;
            Reply::empty()
        }
        Command::AoStatus => Reply::values([int(u8::from(camera.ao_moving()?))]),
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
fn fits_download(camera: &dyn Camera, ccd: Ccd) -> Result<Vec<u8>, stx_camera::Error> {
    let Some(frame) = camera.frame(ccd)? else { return Ok(Vec::new()) };
    Ok(stx_camera::fits::encode(&frame, &camera.fits_settings()?))
}
