#!/usr/bin/env python3
"""Speed: our whole analysis against SEP (background + extract + flux_radius) on
the same rendered 4096x4096 frame with ~2000 stars, in one run, on this machine.

Also prints our time at 1k², 2k² and 4k² (same star density) to show linear
growth. Timings exclude rendering and file reading on both sides; each is the
median of --repeat runs after a warm-up.

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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--dir", default="/tmp/stx-analysis-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    lines = common.run_bench(args.dir, "1024,2048,4096", args.repeat)
    ours, ours_cpu = {}, {}
    print("== ours (stx-analysis, statistics + background + detection + centroids + HFR) ==")
    for line in lines:
        print("  " + line)
        m = re.match(r"ours (\d+)x\d+: ([0-9.]+) s  \(CPU ([0-9.]+) s", line)
        if m:
            ours[int(m.group(1))] = float(m.group(2))
            ours_cpu[int(m.group(1))] = float(m.group(3))

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
    print("  target: ours <= 0.100 s: %s;  >= 4x faster than SEP: %s" % (
        "yes" if t <= 0.1 else "NO", "yes" if sep_time / t >= 4 else "NO"))
    if 1024 in ours and 2048 in ours:
        print("  growth: 2k²/1k² = %.2f, 4k²/2k² = %.2f (linear: 4.00)" % (ours[2048] / ours[1024], ours[4096] / ours[2048]))


if __name__ == "__main__":
    main()
