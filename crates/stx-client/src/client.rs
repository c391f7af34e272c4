//! The typed client: every call of the spec, paced, with timeouts and safe retries.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use stx_protocol::command::Command;
use stx_protocol::page::PageRequest;
use stx_protocol::reply::{parse_error, parse_flag, parse_int, parse_values};
use stx_protocol::{
    AoPosition, Ccd, CcdSettings, CcdState, ExposureRequest, FilterName, FilterSlot, FilterWheelStatus,
    FitsChange, FitsKey, FitsSettings, PulseRequest, Relay, RelayStatus, SettingKey, SettingsUpdate,
};

use crate::error::{Error, ErrorKind};
use crate::http::{self, Timeouts};
use crate::pacer::Pacer;

/// The longest frame download of any STX camera: the largest sensor (the STXL-16200's
/// 4499 × 3599 pixels, or the STX-16803's 4096²) at 2 bytes a pixel is under 33 MB;
/// with a FITS header and room to spare, 40 MiB.
pub const MAX_DOWNLOAD_BYTES: u64 = 40 << 20;

/// The longest answer of any other call (values, version lines, an error): a few
/// hundred bytes in practice.
pub const MAX_VALUES_BYTES: u64 = 64 << 10;

/// The longest answer `command` can have (an unknown target: a values answer).
fn reply_limit(command: Option<&Command>) -> u64 {
    match command {
        Some(Command::DataBin(_) | Command::DataFits(_)) => MAX_DOWNLOAD_BYTES,
        _ => MAX_VALUES_BYTES,
    }
}

/// How the client talks to the camera.
#[derive(Clone, Copy, Debug)]
pub struct ClientConfig {
    /// Least time between command starts (the spec asks for 50 ms).
    pub min_interval: Duration,
    /// Connect and per-read timeouts.
    pub timeouts: Timeouts,
    /// How often a read-only call is repeated after a lost answer.
    pub read_retries: u32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            min_interval: Duration::from_millis(50),
            timeouts: Timeouts {
                connect: Duration::from_secs(5),
                io: Duration::from_secs(15),
                exchange: Duration::from_secs(30),
            },
            read_retries: 2,
        }
    }
}

/// A whole answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Which download of a CCD's frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Download {
    /// `…Data.bin`: little-endian u16 pixels.
    Bin,
    /// `….FIT`: a FITS file.
    Fits,
}

/// A client of one STX-API camera.
#[derive(Debug)]
pub struct Client {
    addr: String,
    config: ClientConfig,
    pacer: Pacer,
}

impl Client {
    /// A client of the camera at `http://HOST[:PORT]` with the default pacing and timeouts.
    pub fn new(url: &str) -> Result<Client, Error> {
        Client::with_config(url, ClientConfig::default())
    }

    /// A client with its own pacing and timeouts.
    pub fn with_config(url: &str, config: ClientConfig) -> Result<Client, Error> {
        let bad = || Error::new(ErrorKind::BadUrl(url.to_owned()));
        let rest = url.strip_prefix("http://").ok_or_else(bad)?;
        let host_port = rest.trim_end_matches('/');
        if host_port.is_empty() || host_port.contains('/') {
            return Err(bad());
        }
        let has_port = host_port.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !host_port.ends_with(']');
        let addr = if has_port { host_port.to_owned() } else { format!("{host_port}:80") };
        Ok(Client { addr, config, pacer: Pacer::new(config.min_interval) })
    }

    /// `HOST:PORT` of the camera.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sends a command and returns the whole answer, whatever its status.
    pub fn send(&self, command: &Command) -> Result<Answer, Error> {
        self.exchange(&command.target(), command.is_read_only(), reply_limit(Some(command)))
    }

    /// Sends a request target as it is (the proxy's path); retried only if it is a
    /// read-only call of the API.
    pub fn forward(&self, target: &str) -> Result<Answer, Error> {
        let command =
            stx_protocol::request::RawRequest::parse(target).ok().and_then(|raw| Command::parse(&raw).ok());
        let read_only = command.as_ref().is_some_and(|c| c.is_read_only());
        // The web pages' `/Image.FIT` and `/Preview.jpg` are as large as a frame.
        let page_download =
            PageRequest::parse(target).and_then(Result::ok).is_some_and(|r| r.page.is_download());
        let limit = if page_download { MAX_DOWNLOAD_BYTES } else { reply_limit(command.as_ref()) };
        self.exchange(target, read_only, limit)
    }

    fn exchange(&self, target: &str, retry: bool, limit: u64) -> Result<Answer, Error> {
        let mut attempt = 0;
        loop {
            let mut body = Vec::new();
            let result = {
                let _turn = self.pacer.turn();
                http::get(&self.addr, target, self.config.timeouts, limit, &mut body, &mut |_, _| {})
            };
            match result {
                Ok(head) => return Ok(Answer { status: head.status, content_type: head.content_type, body }),
                Err(e) if retry && e.is_transient() && attempt < self.config.read_retries => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// The values of a call's 200 answer; a 400 becomes the camera's typed error.
    pub fn values(&self, command: &Command) -> Result<Vec<String>, Error> {
        let answer = self.send(command)?;
        let text = String::from_utf8_lossy(&answer.body);
        match answer.status {
            200 => Ok(parse_values(&text).into_iter().map(str::to_owned).collect()),
            _ => Err(refusal(&command.target(), answer.status, &text)),
        }
    }

    fn one(&self, command: &Command) -> Result<String, Error> {
        let values = self.values(command)?;
        values.into_iter().next().ok_or_else(|| protocol("an empty answer"))
    }

    fn unit(&self, command: &Command) -> Result<(), Error> {
        self.values(command).map(drop)
    }

    /// Raw values of a get-settings call, in request order.
    pub fn get_settings(&self, ccd: Ccd, keys: &[SettingKey]) -> Result<Vec<String>, Error> {
        self.values(&Command::GetSettings { ccd, keys: keys.to_vec() })
    }

    /// Everything `ccd`'s get-settings call can read, in one request.
    pub fn settings(&self, ccd: Ccd) -> Result<CcdSettings, Error> {
        let keys: Vec<SettingKey> = SettingKey::ALL.into_iter().filter(|k| k.readable_on(ccd)).collect();
        let values = self.get_settings(ccd, &keys)?;
        CcdSettings::from_values(ccd, &keys, &values).ok_or_else(|| protocol("settings the API cannot have"))
    }

    /// Applies settings (the camera applies them in spec order).
    pub fn set_settings(&self, ccd: Ccd, update: &SettingsUpdate) -> Result<(), Error> {
        self.unit(&Command::SetSettings { ccd, update: update.clone() })
    }

    /// The CCD's state.
    pub fn state(&self, ccd: Ccd) -> Result<CcdState, Error> {
        let v = self.one(&Command::State(ccd))?;
        parse_int(&v).and_then(CcdState::from_code).ok_or_else(|| protocol(&format!("state {v:?}")))
    }

    /// Whether a frame can be downloaded.
    pub fn image_ready(&self, ccd: Ccd) -> Result<bool, Error> {
        flag(&self.one(&Command::ImageReady(ccd))?)
    }

    /// Starts an exposure (never retried: a lost answer may mean it started).
    pub fn start_exposure(&self, ccd: Ccd, request: &ExposureRequest) -> Result<(), Error> {
        self.unit(&Command::StartExposure { ccd, request: *request })
    }

    /// Aborts an exposure.
    pub fn abort_exposure(&self, ccd: Ccd) -> Result<(), Error> {
        self.unit(&Command::AbortExposure(ccd))
    }

    /// Downloads the CCD's frame into memory.
    pub fn download(&self, ccd: Ccd, kind: Download) -> Result<Vec<u8>, Error> {
        let answer = self.send(&download_command(ccd, kind))?;
        match answer.status {
            200 => Ok(answer.body),
            status => Err(refusal(
                &download_command(ccd, kind).target(),
                status,
                &String::from_utf8_lossy(&answer.body),
            )),
        }
    }

    /// Streams the CCD's frame to `path` (written beside it, renamed when complete and
    /// of the announced length), calling `progress(received, total)`. Retried from the
    /// start on a lost connection. Returns the byte count.
    pub fn download_to(
        &self,
        ccd: Ccd,
        kind: Download,
        path: &Path,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<u64, Error> {
        let command = download_command(ccd, kind);
        let partial = path.with_extension("partial");
        let mut attempt = 0;
        loop {
            let mut file = std::fs::File::create(&partial).map_err(|e| Error::new(ErrorKind::Write(e)))?;
            let mut counting = CountingWriter { inner: &mut file, count: 0 };
            let result = {
                let _turn = self.pacer.turn();
                let limit = reply_limit(Some(&command));
                http::get(&self.addr, &command.target(), self.config.timeouts, limit, &mut counting, progress)
            };
            match result {
                Ok(head) if head.status == 200 => {
                    let count = counting.count;
                    file.sync_all().map_err(|e| Error::new(ErrorKind::Write(e)))?;
                    std::fs::rename(&partial, path).map_err(|e| Error::new(ErrorKind::Write(e)))?;
                    return Ok(count);
                }
                Ok(head) => {
                    let body = std::fs::read(&partial).unwrap_or_default();
                    let _ = std::fs::remove_file(&partial);
                    return Err(refusal(&command.target(), head.status, &String::from_utf8_lossy(&body)));
                }
                Err(e) if e.is_transient() && attempt < self.config.read_retries => attempt += 1,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e);
                }
            }
        }
    }

    /// The filter wheel (two requests: state, then settings).
    pub fn filter_wheel(&self) -> Result<FilterWheelStatus, Error> {
        let state = self.one(&Command::FilterState)?;
        let values = self.values(&Command::GetFilterSettings(FilterWheelStatus::keys()))?;
        FilterWheelStatus::from_values(&state, &values)
            .ok_or_else(|| protocol(&format!("filter state {state:?} and settings {values:?}")))
    }

    /// Starts a filter move.
    pub fn change_filter(&self, slot: FilterSlot) -> Result<(), Error> {
        self.unit(&Command::ChangeFilter(slot))
    }

    /// Renames filters.
    pub fn set_filter_names(&self, names: &[(FilterSlot, FilterName)]) -> Result<(), Error> {
        self.unit(&Command::SetFilterNames(names.to_vec()))
    }

    /// Closes guide relays.
    pub fn pulse_guide(&self, request: &PulseRequest) -> Result<(), Error> {
        self.unit(&Command::PulseGuide(*request))
    }

    /// Time left on each relay.
    pub fn relays(&self) -> Result<RelayStatus, Error> {
        let values = self.values(&Command::PulseGuideTimeRemaining(Relay::ALL.to_vec()))?;
        RelayStatus::from_values(&values).ok_or_else(|| protocol(&format!("relay times {values:?}")))
    }

    /// Moves the AO element.
    pub fn ao_guide(&self, x: AoPosition, y: AoPosition) -> Result<(), Error> {
        self.unit(&Command::AoGuide { x, y })
    }

    /// Whether the AO element is moving.
    pub fn ao_moving(&self) -> Result<bool, Error> {
        flag(&self.one(&Command::AoStatus)?)
    }

    /// The FITS header settings.
    pub fn fits_settings(&self) -> Result<FitsSettings, Error> {
        let values = self.values(&Command::GetFitsSettings(FitsKey::ALL.to_vec()))?;
        FitsSettings::from_values(&values).ok_or_else(|| protocol(&format!("FITS settings {values:?}")))
    }

    /// Changes FITS header settings.
    pub fn set_fits_settings(&self, changes: &[FitsChange]) -> Result<(), Error> {
        self.unit(&Command::SetFitsSettings(changes.to_vec()))
    }

    /// The camera model.
    pub fn description(&self) -> Result<String, Error> {
        self.one(&Command::Description)
    }

    /// The five version lines.
    pub fn versions(&self) -> Result<stx_camera::Versions, Error> {
        let values = self.values(&Command::VersionNumbers)?;
        stx_camera::Versions::from_lines(&values).ok_or_else(|| protocol("five version lines"))
    }
}

fn download_command(ccd: Ccd, kind: Download) -> Command {
    match kind {
        Download::Bin => Command::DataBin(ccd),
        Download::Fits => Command::DataFits(ccd),
    }
}

/// Counts what passes to a file.
struct CountingWriter<'a> {
    inner: &'a mut std::fs::File,
    count: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn protocol(what: &str) -> Error {
    Error::new(ErrorKind::Protocol(what.to_owned()))
}

fn flag(value: &str) -> Result<bool, Error> {
    parse_flag(value).ok_or_else(|| protocol(&format!("flag {value:?}")))
}

/// A non-200 answer as an error: the camera's code and text, a 404, or the body.
fn refusal(target: &str, status: u16, body: &str) -> Error {
    let kind = match (status, parse_error(body)) {
        (404, _) => ErrorKind::NotFound(target.split(['?', '&']).next().unwrap_or(target).to_owned()),
        (_, Some(error)) => {
            let text = parse_values(body).get(1).map_or_else(|| error.text().to_owned(), |t| (*t).to_owned());
            ErrorKind::Camera { error, text }
        }
        _ => ErrorKind::Rejected(format!("{status}: {}", body.trim_end())),
    };
    Error::new(kind)
}
