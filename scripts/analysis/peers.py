#!/usr/bin/env python3
"""Agreement with independent peers: our stars against SEP and Source-Extractor
on the same rendered frames (Gaussian σ 1, 2, 4 and Moffat β 4.765 σ 2; 2048²,
stars from SNR 10 to 100× the SNR-20 flux, hot pixels and cosmic rays).

Prints, per frame and peer: the fraction of the peer's stars we matched and of
ours the peer matched (within 1.5 px), centroid differences (ours − peer, and
each against the truth for SNR ≥ 20), and our HFR against the HFR implied by the
peer's half-light radius (for the frame's PSF: HFR / r50 = 1.0645 for a Gaussian,
computed numerically for the Moffat; continuous profiles, so the conversion is
off by a few % for undersampled stars, σ ≈ 1: the truth is printed beside it).
The peers keep hot pixels and cosmic rays as objects, so the fraction of their
objects we match is low by design; the true-star line compares like with like.

Usage: python3 scripts/analysis/peers.py [--dir /tmp/stx-analysis-peers]
Needs: pip install sep astropy numpy; apt-get install source-extractor
(Source-Extractor is skipped with a note when it is not installed).
"""

import argparse
import math
import os
import shutil
import subprocess
import tempfile

import numpy as np

import common

FRAMES = [
    ("gauss1_2048", ("gauss", 1.0)),
    ("gauss2_2048", ("gauss", 2.0)),
    ("gauss4_2048", ("gauss", 4.0)),
    ("moffat2_2048", ("moffat", 2.0, 4.765)),
]
MATCH_RADIUS = 1.5  # pixels


def hfr_over_r50(psf):
    """Mean distance over half-light radius of the continuous profile."""
    if psf[0] == "gauss":
        return math.sqrt(math.pi / 2) / math.sqrt(2 * math.log(2))  # 1.2533 / 1.1774
    _, sigma, beta = psf
    fwhm = 2 * math.sqrt(2 * math.log(2)) * sigma
    alpha = fwhm / (2 * math.sqrt(2 ** (1 / beta) - 1))
    r = np.linspace(0, 200 * alpha, 2_000_001)[1:]
    w = (1 + (r / alpha) ** 2) ** (-beta) * r  # flux per unit radius
    cum = np.cumsum(w)
    mean_r = np.sum(w * r) / cum[-1]
    r50 = r[np.searchsorted(cum, 0.5 * cum[-1])]
    return mean_r / r50


def run_sep(data):
    import sep

    sep.set_extract_pixstack(10_000_000)
    sep.set_sub_object_limit(4096)
    bkg = sep.Background(data)
    sub = data - bkg
    objs = sep.extract(sub, 3.0, err=bkg.globalrms, minarea=5)
    r50, _ = sep.flux_radius(sub, objs["x"], objs["y"], 6.0 * objs["a"], 0.5, subpix=5)
    # SEP's windowed centroid for a fair comparison of positions (as ours is).
    sig = np.maximum(r50 * 2 / 2.3548, 0.5)
    xw, yw, _ = sep.winpos(sub, objs["x"], objs["y"], sig)
    return {"x": xw, "y": yw, "r50": r50, "flags": objs["flag"]}


def run_sextractor(fits_path):
    exe = shutil.which("source-extractor") or shutil.which("sex")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        params = os.path.join(d, "p.param")
        with open(params, "w") as f:
            f.write("XWIN_IMAGE\nYWIN_IMAGE\nFLUX_RADIUS\nFLUX_AUTO\nFLAGS\n")
        cat = os.path.join(d, "out.cat")
        cmd = [exe, fits_path, "-c", "/dev/null", "-CATALOG_NAME", cat, "-CATALOG_TYPE", "ASCII_HEAD",
               "-PARAMETERS_NAME", params, "-FILTER", "N", "-DETECT_THRESH", "3.0", "-ANALYSIS_THRESH", "3.0",
               "-DETECT_MINAREA", "5", "-PHOT_FLUXFRAC", "0.5", "-BACK_SIZE", "64", "-VERBOSE_TYPE", "QUIET",
               "-CHECKIMAGE_TYPE", "NONE", "-SATUR_LEVEL", "65535"]
        subprocess.run(cmd, check=True, cwd=d)
        rows = [l.split() for l in open(cat) if not l.startswith("#")]
    a = np.array(rows, dtype=float).reshape(-1, 5)
    # Source-Extractor counts pixels from 1.
    return {"x": a[:, 0] - 1, "y": a[:, 1] - 1, "r50": a[:, 2], "flags": a[:, 4]}


def compare(name, psf, ours, truth, peer, peer_name):
    good = ours["quality"] == "Good"
    ox, oy = ours["x"], ours["y"]
    m_peer = common.match(peer["x"], peer["y"], ox, oy, MATCH_RADIUS)
    m_ours = common.match(ox, oy, peer["x"], peer["y"], MATCH_RADIUS)
    print("  %-16s peer stars %5d, ours %5d; peer's matched by ours %.1f %%, ours matched by peer %.1f %%" % (
        peer_name, len(peer["x"]), len(ox), 100 * np.mean(m_peer >= 0), 100 * np.mean(m_ours >= 0)))
    # Restricted to the true stars (the peers keep hot pixels and cosmic rays).
    t10 = truth["snr"] >= 10
    t_o = common.match(truth["x"][t10], truth["y"][t10], ox, oy, MATCH_RADIUS)
    t_p = common.match(truth["x"][t10], truth["y"][t10], peer["x"], peer["y"], MATCH_RADIUS)
    print("  %-16s true stars of SNR >= 10 found: ours %.1f %%, peer %.1f %%, both %.1f %%" % (
        "", 100 * np.mean(t_o >= 0), 100 * np.mean(t_p >= 0), 100 * np.mean((t_o >= 0) & (t_p >= 0))))
    both = m_ours >= 0
    dx = ox[both] - peer["x"][m_ours[both]]
    dy = oy[both] - peer["y"][m_ours[both]]
    print("  %-16s centroid ours−peer: median (%.3f, %.3f) px, RMS %.3f px" % (
        "", np.median(dx), np.median(dy), math.sqrt(np.mean(dx ** 2 + dy ** 2))))
    # Against the truth, stars of SNR >= 20 found by both.
    t_idx = common.match(truth["x"], truth["y"], ox, oy, MATCH_RADIUS)
    t_peer = common.match(truth["x"], truth["y"], peer["x"], peer["y"], MATCH_RADIUS)
    sel = (truth["snr"] >= 20) & (t_idx >= 0) & (t_peer >= 0)
    e_ours = np.hypot(ox[t_idx[sel]] - truth["x"][sel], oy[t_idx[sel]] - truth["y"][sel])
    e_peer = np.hypot(peer["x"][t_peer[sel]] - truth["x"][sel], peer["y"][t_peer[sel]] - truth["y"][sel])
    print("  %-16s centroid RMS vs truth (SNR >= 20, %d stars): ours %.3f px, peer %.3f px" % (
        "", sel.sum(), math.sqrt(np.mean(e_ours ** 2)), math.sqrt(np.mean(e_peer ** 2))))
    # HFR: ours against the peer's r50 converted through the PSF shape (good stars,
    # unflagged by the peer, SNR >= 20 by truth).
    k = hfr_over_r50(psf)
    sel_h = both & good & (ours["snr"] >= 20)
    peer_flag_ok = peer["flags"][m_ours[sel_h]] == 0
    ours_hfr = ours["hfr"][sel_h][peer_flag_ok]
    implied = k * peer["r50"][m_ours[sel_h]][peer_flag_ok]
    true_hfr = np.mean(truth["true_hfr"])
    print("  %-16s HFR: ours median %.3f, peer-implied median %.3f (r50 × %.4f), ours/implied %+.2f %%; truth %.3f" % (
        "", np.median(ours_hfr), np.median(implied), k, 100 * (np.median(ours_hfr / implied) - 1), true_hfr))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/stx-analysis-peers")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    common.run_bench(args.dir, "1024", 1)
    have_sex = (shutil.which("source-extractor") or shutil.which("sex")) is not None
    if not have_sex:
        print("note: source-extractor not installed (apt-get install source-extractor); SEP only")
    for name, psf in FRAMES:
        path = os.path.join(args.dir, name + ".fits")
        data = common.read_fits(path)
        ours = common.read_csv(os.path.join(args.dir, name + ".ours.csv"))
        truth = common.read_csv(os.path.join(args.dir, name + ".truth.csv"))
        print("== %s (%s), %d true stars ==" % (name, psf, len(truth["x"])))
        compare(name, psf, ours, truth, run_sep(data), "SEP")
        if have_sex:
            compare(name, psf, ours, truth, run_sextractor(path), "Source-Extractor")


if __name__ == "__main__":
    main()
