//! Times the whole analysis (statistics, background, detection, centroids, HFR) on
//! rendered frames of 1k², 2k² and 4k² with the same star density (~2000 stars on
//! 4096²), and optionally writes the frames, the truth and our catalogue for the
//! peer scripts in `scripts/analysis/`.
//!
//! Run with `cargo run --release -p stx-analysis --example bench -- [--out DIR] [--repeat N] [--sizes 1024,4096] [--cold] [--steps] [--fits]`.
//! Timings exclude rendering and file I/O; each is the median of N runs after one
//! warm-up run. Repeated runs find a small frame (and its working grids) still in
//! the caches, which a fresh camera frame would not be; `--cold` evicts the caches
//! before each run, so that frames of every size pay the same memory traffic.
//! `--steps` also prints each step's median time (`stx_analysis::StepTimes`); with
//! `RAYON_NUM_THREADS=1` those are its CPU time. `--fits` measures each frame as
//! the data of a FITS file in place (`FitsU16`, as `stx analyze` does) rather than
//! as decoded `u16` levels.
#![allow(missing_docs)]

#[path = "../tests/common/synth.rs"]
mod synth;

use std::io::Write;
use std::time::Instant;

use stx_analysis::{Analysis, Frame, Options, Pixel, StepTimes, Workspace, analyze, analyze_timed};
use synth::{Psf, Scene};

/// Stars per pixel: 2000 on a 4096×4096 frame.
const STAR_DENSITY: f64 = 2000.0 / (4096.0 * 4096.0);

fn scene(size: usize, psf: Psf, seed: u64) -> Scene {
    let mut rng = synth::rng(seed);
    let mut scene = Scene::new(size, size, psf);
    scene.gradient = (0.05, -0.03);
    let (f10, f20) = (scene.flux_for_snr(10.0), scene.flux_for_snr(20.0));
    // A jittered grid at this density, fluxes from SNR 10 to 100× the SNR-20 flux.
    let spacing = (1.0 / STAR_DENSITY).sqrt();
    scene.add_star_grid(&mut rng, spacing, spacing / 2.0, f10, 100.0 * f20);
    let n_art = (size * size) as f64 / (2048.0 * 2048.0);
    scene.add_hot_pixels(&mut rng, (600.0 * n_art) as usize);
    scene.add_cosmic_rays(&mut rng, (240.0 * n_art) as usize);
    scene
}

/// CPU seconds used by this process so far (all threads; Linux, 10 ms ticks).
/// With other load on the machine, wall time says little; CPU time still tells
/// what one run costs.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return f64::NAN };
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (tick(11) + tick(12)) / 100.0
}

/// Bytes read before each run with `--cold`: more than this machine's caches.
const EVICTION_BYTES: usize = 512 << 20;

/// Reads one byte of every cache line of `buffer`, so that the next analysis
/// reads its frame and working grids from memory, as with a fresh camera frame.
/// (Reads, not writes: evicting dirty lines would add write-back traffic that a
/// real frame does not meet.)
fn evict_caches(buffer: &[u8]) {
    std::hint::black_box(buffer.iter().step_by(64).fold(0u8, |sum, &b| sum.wrapping_add(b)));
}

/// One size's timings: median wall time and mean CPU time per run (eviction
/// excluded), each step's median time, and the analysis.
struct Timing {
    wall: f64,
    cpu: f64,
    steps: Vec<(&'static str, f64)>,
    analysis: Analysis,
}

/// Times `repeat` runs, each in a fresh workspace as a camera frame would be.
fn time<P: Pixel>(frame: &Frame<'_, P>, repeat: usize, cold: Option<&[u8]>) -> Timing {
    let options = Options::default();
    let mut analysis = analyze(frame, &options);
    let (mut walls, mut cpu, mut steps) = (Vec::with_capacity(repeat), 0.0, Vec::<StepTimes>::new());
    for _ in 0..repeat {
        if let Some(buffer) = cold {
            evict_caches(buffer);
        }
        let (t, cpu_start) = (Instant::now(), cpu_seconds());
        let times;
        (analysis, times) = analyze_timed(frame, &options, &mut Workspace::new());
        walls.push(t.elapsed().as_secs_f64());
        cpu += cpu_seconds() - cpu_start;
        steps.push(times);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let names = StepTimes::default().named().map(|(name, _)| name);
    let steps = names
        .iter()
        .enumerate()
        .map(|(i, &name)| (name, median(steps.iter().map(|s| s.named()[i].1.as_secs_f64()).collect())))
        .collect();
    Timing { wall: median(walls), cpu: cpu / repeat as f64, steps, analysis }
}

/// Writes a BITPIX 16 / BZERO 32768 FITS file.
fn write_fits(path: &std::path::Path, pixels: &[u16], size: usize) {
    let mut bytes = Vec::new();
    let cards = [
        "SIMPLE  =                    T".to_string(),
        "BITPIX  =                   16".to_string(),
        "NAXIS   =                    2".to_string(),
        format!("NAXIS1  = {size:>20}"),
        format!("NAXIS2  = {size:>20}"),
        "BZERO   =                32768".to_string(),
        "BSCALE  =                    1".to_string(),
        "END".to_string(),
    ];
    for c in &cards {
        bytes.extend_from_slice(format!("{c:<80}").as_bytes());
    }
    bytes.resize(bytes.len().div_ceil(2880) * 2880, b' ');
    bytes.extend(fits_data(pixels));
    std::fs::write(path, bytes).unwrap();
}

/// The data unit of a BITPIX 16 / BZERO 32768 FITS file holding `pixels`.
fn fits_data(pixels: &[u16]) -> Vec<u8> {
    let mut data = synth::fits_stored(pixels);
    data.resize(data.len().div_ceil(2880) * 2880, 0);
    data
}

fn write_outputs(dir: &std::path::Path, name: &str, scene: &Scene, pixels: &[u16], a: &Analysis) {
    std::fs::create_dir_all(dir).unwrap();
    write_fits(&dir.join(format!("{name}.fits")), pixels, scene.width);
    let mut truth = std::fs::File::create(dir.join(format!("{name}.truth.csv"))).unwrap();
    writeln!(truth, "x,y,flux,snr,true_hfr").unwrap();
    for t in &scene.stars {
        writeln!(truth, "{},{},{},{},{}", t.x, t.y, t.flux, scene.snr(t.flux), scene.psf.true_hfr(t.x, t.y))
            .unwrap();
    }
    let mut ours = std::fs::File::create(dir.join(format!("{name}.ours.csv"))).unwrap();
    writeln!(ours, "x,y,flux,snr,hfr,radius,quality").unwrap();
    for s in &a.stars {
        writeln!(ours, "{},{},{},{},{},{},{:?}", s.x, s.y, s.flux, s.snr, s.hfr, s.radius, s.quality)
            .unwrap();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).map(|i| args[i + 1].clone());
    let out = arg("--out").map(std::path::PathBuf::from);
    let repeat: usize = arg("--repeat").map(|r| r.parse().unwrap()).unwrap_or(7);
    // Filled with ones, not zeros: pages of zeros would all map the one zero page.
    let steps = args.iter().any(|a| a == "--steps");
    let fits = args.iter().any(|a| a == "--fits");
    let eviction = args.iter().any(|a| a == "--cold").then(|| vec![1u8; EVICTION_BYTES]);
    let threads = rayon::current_num_threads();
    println!(
        "threads: {threads}{}",
        if eviction.is_some() { ", caches evicted before each run" } else { "" }
    );
    if fits {
        println!("frames measured in place as FITS data (FitsU16)");
    }
    let psf = Psf::Gaussian { sigma: 2.0 };
    let sizes: Vec<usize> = arg("--sizes")
        .map(|s| s.split(',').map(|v| v.parse().unwrap()).collect())
        .unwrap_or(vec![1024, 2048, 4096]);
    for size in sizes {
        let scene = scene(size, psf, 1);
        let pixels = scene.render(2);
        let cold = eviction.as_deref();
        let data = if fits { fits_data(&pixels) } else { Vec::new() };
        let Timing { wall: t, cpu, steps: step_times, analysis: a } = if fits {
            time(&Frame::from_fits_u16(&data, size, size).unwrap(), repeat, cold)
        } else {
            time(&Frame::new(&pixels, size, size).unwrap(), repeat, cold)
        };
        println!(
            "ours {size}x{size}: {:.4} s  (CPU {:.4} s over all threads; {:.2} ns/pixel; {} stars rendered, {} found, HFR {:.3})",
            t,
            cpu,
            t * 1e9 / (size * size) as f64,
            scene.stars.len(),
            a.stars.len(),
            a.hfr
        );
        if steps {
            let shown: Vec<String> =
                step_times.iter().map(|(name, s)| format!("{name} {:.1} ms", s * 1e3)).collect();
            println!("  steps (median): {}", shown.join(", "));
        }
        if size == 4096
            && let Some(dir) = &out
        {
            write_outputs(dir, "gauss2_4096", &scene, &pixels, &a);
        }
    }
    if let Some(dir) = &out {
        // Peer-comparison frames: 2048² each, several PSFs.
        for (name, psf) in [
            ("gauss1_2048", Psf::Gaussian { sigma: 1.0 }),
            ("gauss2_2048", Psf::Gaussian { sigma: 2.0 }),
            ("gauss4_2048", Psf::Gaussian { sigma: 4.0 }),
            ("moffat2_2048", Psf::Moffat { sigma: 2.0, beta: 4.765 }),
        ] {
            let scene = scene(2048, psf, 3);
            let pixels = scene.render(4);
            let a = analyze(&Frame::new(&pixels, 2048, 2048).unwrap(), &Options::default());
            write_outputs(dir, name, &scene, &pixels, &a);
        }
        println!("wrote frames, truth and our catalogues to {}", dir.display());
    }
}
