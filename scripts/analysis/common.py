"""Shared helpers of the analysis peer scripts: building and running our bench
example (which renders the frames and writes our catalogues), reading the frames,
and matching catalogues."""

import csv
import os
import subprocess
import sys

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
BENCH = os.path.join(TARGET, "release", "examples", "bench")


def build_bench():
    """cargo build --release of the stx-analysis bench example."""
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "stx-analysis", "--example", "bench"],
        cwd=REPO,
        check=True,
    )


def run_bench(out_dir, sizes="1024,2048,4096", repeat=7, cold=False):
    """Runs our bench: renders the frames and times our analysis (with cold=True,
    caches evicted before each run); unless out_dir is None, writes the frames,
    the truth and our catalogues there. Returns its stdout lines."""
    build_bench()
    cmd = [BENCH, "--sizes", sizes, "--repeat", str(repeat)]
    if out_dir is not None:
        cmd += ["--out", out_dir]
    if cold:
        cmd.append("--cold")
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return res.stdout.splitlines()


def read_fits(path):
    """The primary image as float32 in native byte order (SEP needs that)."""
    from astropy.io import fits

    with fits.open(path) as hdul:
        return np.ascontiguousarray(hdul[0].data.astype(np.float32))


def read_csv(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    out = {}
    for key in rows[0].keys() if rows else []:
        try:
            out[key] = np.array([float(r[key]) for r in rows])
        except ValueError:
            out[key] = np.array([r[key] for r in rows])
    return out


def match(ax, ay, bx, by, radius):
    """For each point of a, the index of the nearest point of b within radius, or -1."""
    idx = np.full(len(ax), -1)
    if len(bx) == 0:
        return idx
    order = np.argsort(by)
    sby = by[order]
    for i, (x, y) in enumerate(zip(ax, ay)):
        lo = np.searchsorted(sby, y - radius)
        hi = np.searchsorted(sby, y + radius)
        cand = order[lo:hi]
        if len(cand) == 0:
            continue
        d = np.hypot(bx[cand] - x, by[cand] - y)
        k = np.argmin(d)
        if d[k] < radius:
            idx[i] = cand[k]
    return idx


def eprint(*args):
    print(*args, file=sys.stderr)
