#!/usr/bin/env python3
"""Speed: our whole analysis against SEP (background + extract + flux_radius) on
the same rendered 4096x4096 frame with ~2000 stars, in one run, on this machine.

Also prints our time at 1k², 2k² and 4k² (same star density) with the caches
evicted before each run, to show linear growth: repeated runs on a warm cache
favour the small frames, which fit in it. Timings exclude rendering and file
reading on both sides; each is the median of --repeat runs after a warm-up.

Usage: python3 scripts/analysis/bench.py [--repeat 7] [--dir /tmp/stx-analysis-bench]
Needs: pip install sep astropy numpy; cargo.
"""

import argparse
import os
import re
import time

import numpy as np

import common

# SEP settings: SExtractor's defaults except the threshold, raised from 1.5 to
# 3 σ per pixel (after SEP's default 3x3 filter) so that SEP does not spend its
# time on thousands of noise detections; minarea 5 (default).
SEP_THRESH = 3.0


def cpu_seconds():
    t = os.times()
    return t.user + t.system


def time_sep(data, repeat):
    import sep

    sep.set_extract_pixstack(10_000_000)
    sep.set_sub_object_limit(4096)

    def once():
        bkg = sep.Background(data)
        sub = data - bkg
        objs = sep.extract(sub, SEP_THRESH, err=bkg.globalrms, minarea=5)
        r, flag = sep.flux_radius(sub, objs["x"], objs["y"], 6.0 * objs["a"], 0.5, subpix=5)
        return objs, r

    once()
    times = []
    cpu0 = cpu_seconds()
    for _ in range(repeat):
        t = time.perf_counter()
        objs, r = once()
        times.append(time.perf_counter() - t)
    cpu = (cpu_seconds() - cpu0) / repeat
    return float(np.median(times)), cpu, len(objs)


def parse_ours(title, lines):
    """Prints our bench's lines under a title; returns {size: wall s}, {size: CPU s}."""
    wall, cpu = {}, {}
    print("== %s ==" % title)
    for line in lines:
        print("  " + line)
        m = re.match(r"ours (\d+)x\d+: ([0-9.]+) s  \(CPU ([0-9.]+) s", line)
        if m:
            wall[int(m.group(1))] = float(m.group(2))
            cpu[int(m.group(1))] = float(m.group(3))
    return wall, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--dir", default="/tmp/stx-analysis-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    ours, ours_cpu = parse_ours(
        "ours (stx-analysis, statistics + background + detection + centroids + HFR)",
        common.run_bench(args.dir, "4096", args.repeat),
    )
    cold, _ = parse_ours(
        "ours, caches evicted before each run (a fresh frame's memory traffic at every size)",
        common.run_bench(None, "1024,2048,4096", args.repeat, cold=True),
    )

    data = common.read_fits(os.path.join(args.dir, "gauss2_4096.fits"))
    sep_time, sep_cpu, sep_n = time_sep(data, args.repeat)
    print("== SEP (Background + extract(thresh=%.1f*globalrms) + flux_radius) ==" % SEP_THRESH)
    print("  sep 4096x4096: %.4f s  (CPU %.4f s; %d objects)" % (sep_time, sep_cpu, sep_n))

    print("== summary (4096x4096, %d cores) ==" % os.cpu_count())
    t = ours[4096]
    print("  load average now: %.1f (2 idle cores: ~0)" % os.getloadavg()[0])
    print("  wall: ours %.4f s   SEP %.4f s   SEP/ours %.1fx" % (t, sep_time, sep_time / t))
    print("  CPU:  ours %.4f s   SEP %.4f s   SEP/ours %.1fx  (SEP runs on one core)" % (
        ours_cpu[4096], sep_cpu, sep_cpu / ours_cpu[4096]))
    print("  target: ours <= 0.100 s: %s (caches evicted: %.4f s, %s);  >= 4x faster than SEP: %s" % (
        "yes" if t <= 0.1 else "NO", cold[4096], "yes" if cold[4096] <= 0.1 else "NO",
        "yes" if sep_time / t >= 4 else "NO"))
    print("  growth, caches evicted: 2k²/1k² = %.2f, 4k²/2k² = %.2f (linear: 4.00); ns/pixel %s" % (
        cold[2048] / cold[1024], cold[4096] / cold[2048],
        " / ".join("%.2f" % (cold[n] * 1e9 / (n * n)) for n in (1024, 2048, 4096))))


if __name__ == "__main__":
    main()
