//! The client against a real simulated stxd on loopback, on a manual clock, including
//! the simulator's faults: state 5, dropped downloads, slow answers, filter wheel errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stx_client::{Client, ClientConfig, Download, ErrorKind, Timeouts};
use stx_protocol::{
    Ccd, CcdState, ExposureDuration, ExposureRequest, FilterSlot, FrameType, SettingChange, SettingKey,
    SettingsUpdate, StxError,
};
use stx_sim::ManualClock;
use stxd::testing::TestStxd;

struct Camera {
    stxd: TestStxd,
    clock: Arc<ManualClock>,
}

impl Camera {
    fn start() -> Camera {
        let clock = Arc::new(ManualClock::new());
        let stxd = TestStxd::start_in(tempfile::tempdir().unwrap(), clock.clone(), |c| c.seed = 3);
        Camera { stxd, clock }
    }

    fn url(&self) -> String {
        self.stxd.stx_url()
    }

    /// A client that does not pace (tests need no 50 ms gaps) unless asked.
    fn client(&self) -> Client {
        Client::with_config(
            &self.url(),
            ClientConfig { min_interval: Duration::ZERO, ..ClientConfig::default() },
        )
        .unwrap()
    }

    fn faults(&self) -> stx_sim::sim::Faults {
        self.stxd.faults()
    }

    /// Exposes the imager and moves the clock until its state is `want`.
    fn expose_until(&self, client: &Client, want: CcdState) {
        let request = ExposureRequest {
            duration: ExposureDuration::from_secs(2.0).unwrap(),
            frame_type: FrameType::Light,
            date_time: None,
        };
        client.start_exposure(Ccd::Imager, &request).unwrap();
        for _ in 0..400 {
            if client.state(Ccd::Imager).unwrap() == want {
                return;
            }
            self.clock.advance(0.25);
        }
        panic!("the imager never reached {want:?}");
    }
}

fn set(client: &Client, ccd: Ccd, changes: &[(SettingKey, f64)]) -> Result<(), stx_client::Error> {
    let changes = changes.iter().map(|&(key, v)| SettingChange { key, value: Some(v) }).collect();
    client.set_settings(ccd, &SettingsUpdate { changes })
}

#[test]
fn typed_calls() {
    let camera = Camera::start();
    let client = camera.client();
    assert_eq!(client.description().unwrap(), "SBIG STX-16803");
    assert_eq!(client.versions().unwrap().http_api, "1.00.1");
    let s = client.settings(Ccd::Imager).unwrap();
    assert_eq!((s.sensor.width, s.sensor.height, s.sensor.max_bin_x), (4096, 4096, 9));
    assert_eq!(s.sensor.electrons_per_adu, 1.27);
    assert!(s.cooler.is_some() && s.fan.is_some());
    assert!(client.settings(Ccd::ExtGuider).unwrap().cooler.is_none());
    set(
        &client,
        Ccd::Imager,
        &[(SettingKey::BinX, 2.0), (SettingKey::NumX, 512.0), (SettingKey::NumY, 256.0)],
    )
    .unwrap();
    let s = client.settings(Ccd::Imager).unwrap();
    assert_eq!((s.binning.x, s.frame.num_x, s.frame.num_y), (2, 512, 256));
    let fits = client.fits_settings().unwrap();
    assert_eq!(fits.focal_length_mm, 2000.0);
    assert_eq!(client.filter_wheel().unwrap().names[0].as_str(), "Empty");
    assert!(!client.relays().unwrap().any_closed());
    assert!(!client.ao_moving().unwrap());
}

#[test]
fn camera_errors_come_typed_with_the_cameras_text() {
    let camera = Camera::start();
    let client = camera.client();
    let e = set(&client, Ccd::Imager, &[(SettingKey::BinX, 99.0)]).unwrap_err();
    assert_eq!(e.camera_error(), Some(StxError::BinX));
    assert_eq!(e.to_string(), "camera error 0x80001001: BinX < 1 or > MaxBin");
    let e = client
        .values(&stx_protocol::command::Command::GetSettings { ccd: Ccd::Imager, keys: vec![] })
        .unwrap_err();
    assert_eq!(e.camera_error(), Some(StxError::NoValidParameter));
}

#[test]
fn exposure_and_streaming_download_with_progress() {
    let camera = Camera::start();
    let client = camera.client();
    set(&client, Ccd::Imager, &[(SettingKey::NumX, 300.0), (SettingKey::NumY, 200.0)]).unwrap();
    camera.expose_until(&client, CcdState::Idle);
    assert!(client.image_ready(Ccd::Imager).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frame.bin");
    let mut calls = Vec::new();
    let n = client
        .download_to(Ccd::Imager, Download::Bin, &path, &mut |got, total| calls.push((got, total)))
        .unwrap();
    assert_eq!(n, 300 * 200 * 2);
    assert_eq!(std::fs::read(&path).unwrap().len(), 300 * 200 * 2);
    assert_eq!(calls.last(), Some(&(n, Some(n))), "progress ends at the total");
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "progress only grows");
    let fits = client.download(Ccd::Imager, Download::Fits).unwrap();
    assert!(fits.starts_with(b"SIMPLE  ="));
}

#[test]
fn remote_camera_reports_a_finished_frame_at_the_first_ask_after_it() {
    use stx_camera::Camera as _;
    let camera = Camera::start();
    let remote = stx_client::RemoteCamera::new(camera.client());
    set(remote.client(), Ccd::Imager, &[(SettingKey::NumX, 64.0), (SettingKey::NumY, 64.0)]).unwrap();
    let request = ExposureRequest {
        duration: ExposureDuration::from_secs(2.0).unwrap(),
        frame_type: FrameType::Light,
        date_time: None,
    };
    remote.start_exposure(Ccd::Imager, &request).unwrap();
    assert!(remote.take_finished().unwrap().is_empty(), "still exposing");
    for _ in 0..400 {
        if remote.client().state(Ccd::Imager).unwrap() == CcdState::Idle {
            break;
        }
        camera.clock.advance(0.25);
    }
    // Asked again at once (as a capture's drain does before its own start): no
    // rate limit of the camera's own may hide the frame.
    assert_eq!(remote.take_finished().unwrap().len(), 1);
    assert!(remote.take_finished().unwrap().is_empty(), "reported once");
}

#[test]
fn exposure_ending_in_state_5() {
    let camera = Camera::start();
    let client = camera.client();
    set(&client, Ccd::Imager, &[(SettingKey::NumX, 64.0), (SettingKey::NumY, 64.0)]).unwrap();
    camera.faults().fail_next_exposure(Ccd::Imager);
    camera.expose_until(&client, CcdState::Error);
    assert!(!client.image_ready(Ccd::Imager).unwrap());
}

#[test]
fn dropped_download_is_retried_or_reported_never_kept_short() {
    let camera = Camera::start();
    let client = camera.client();
    set(&client, Ccd::Imager, &[(SettingKey::NumX, 256.0), (SettingKey::NumY, 256.0)]).unwrap();
    camera.expose_until(&client, CcdState::Idle);
    let dir = tempfile::tempdir().unwrap();
    // With retries (the default), the second attempt is whole.
    camera.faults().drop_next_download();
    let path = dir.path().join("retried.bin");
    assert_eq!(client.download_to(Ccd::Imager, Download::Bin, &path, &mut |_, _| {}).unwrap(), 131072);
    // Without, the short download is an error and no file is left behind.
    let strict = Client::with_config(
        &camera.url(),
        ClientConfig { min_interval: Duration::ZERO, read_retries: 0, ..ClientConfig::default() },
    )
    .unwrap();
    camera.faults().drop_next_download();
    let path = dir.path().join("short.bin");
    let e = strict.download_to(Ccd::Imager, Download::Bin, &path, &mut |_, _| {}).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Truncated { expected: 131072, .. }), "{e}");
    assert!(!path.exists() && !path.with_extension("partial").exists());
    camera.faults().drop_next_download();
    let e = strict.download(Ccd::Imager, Download::Bin).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Truncated { .. }), "{e}");
}

#[test]
fn slow_answers_time_out_and_reads_are_retried() {
    let camera = Camera::start();
    camera.faults().set_answer_delay(Duration::from_millis(400));
    let impatient = Client::with_config(
        &camera.url(),
        ClientConfig {
            min_interval: Duration::ZERO,
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                io: Duration::from_millis(100),
                exchange: Duration::from_secs(30),
            },
            read_retries: 1,
        },
    )
    .unwrap();
    let asked = Instant::now();
    let e = impatient.state(Ccd::Imager).unwrap_err();
    // Two 100 ms waits: the read was tried again once before giving up.
    assert!(asked.elapsed() >= Duration::from_millis(200), "no retry: {:?}", asked.elapsed());
    assert!(matches!(e.kind(), ErrorKind::Timeout(_)), "{e}");
    assert_eq!(e.to_string(), "camera did not answer within 100ms");
    // A patient client gets its answer from the slow camera.
    assert_eq!(camera.client().state(Ccd::Imager).unwrap(), CcdState::Idle);
}

#[test]
fn filter_wheel_errors() {
    let camera = Camera::start();
    let client = camera.client();
    camera.faults().set_filter_wheel_absent(true);
    let e = client.change_filter(FilterSlot::new(2).unwrap()).unwrap_err();
    assert_eq!(e.camera_error(), Some(StxError::FilterNotFound));
    assert_eq!(e.to_string(), "camera error 0x8000100c: Filter Selector not found.");
    camera.faults().set_filter_wheel_absent(false);
    camera.faults().set_filter_wheel_failing(true);
    let e = client.change_filter(FilterSlot::new(2).unwrap()).unwrap_err();
    assert_eq!(e.camera_error(), Some(StxError::FilterCommunication));
    camera.faults().set_filter_wheel_failing(false);
    client.change_filter(FilterSlot::new(2).unwrap()).unwrap();
    let e = client.change_filter(FilterSlot::new(3).unwrap()).unwrap_err();
    assert_eq!(e.camera_error(), Some(StxError::FilterBusy));
}

#[test]
fn unreachable_camera_and_bad_urls() {
    let e = Client::new("ftp://camera").unwrap_err();
    assert_eq!(e.to_string(), "invalid camera URL 'ftp://camera': expected http://HOST[:PORT]");
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = Client::new(&format!("http://{free}")).unwrap();
    let e = client.description().unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Connect { .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("cannot reach camera at {free}:")), "{e}");
}

/// Pacing is a lower bound on elapsed time, which a slow machine cannot break: ten
/// commands through a 50 ms pacer take at least 9 × 50 ms.
#[test]
fn commands_are_paced() {
    let camera = Camera::start();
    let client = Client::new(&camera.url()).unwrap();
    let started = Instant::now();
    for _ in 0..10 {
        client.state(Ccd::Imager).unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(450), "{:?}", started.elapsed());
}
