#!/usr/bin/env python3
"""Two builds of `stx analyze` compared on the same directory of frames, run after
run in turn (A, B, A, B, ...), so that the shared machine's drift in CPU and disk
speed falls on both alike.

Per run: wall seconds, user and system CPU seconds, and the CPU time the hypervisor
stole from the machine meanwhile (/proc/stat); then the median of each for A and
B, and how many of the pairs B won. Files are read with O_DIRECT by `stx analyze`,
so the page cache does not favour the later run. The frames: those of
batch_bench.py (run it once first), or any directory.

Usage: python3 scripts/analysis/ab_analyze.py STX_A STX_B [--dir /tmp/stx-batch-bench] [--pairs 4]
(build each: `cargo build --release -p stx --bin stx` and copy target/release/stx aside.)
"""

import argparse
import os
import resource
import statistics
import subprocess
import time


def steal_ticks():
    """The machine's stolen time so far, in clock ticks over all CPUs (0 if unknown)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) if len(fields) > 8 else 0
    except OSError:
        return 0


def run(stx, directory):
    """Wall, user, system and stolen seconds of one `stx analyze DIR`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    steal0, start = steal_ticks(), time.perf_counter()
    subprocess.run([stx, "analyze", directory], stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stolen = (steal_ticks() - steal0) / os.sysconf("SC_CLK_TCK")
    return wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, stolen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--dir", default="/tmp/stx-batch-bench")
    ap.add_argument("--pairs", type=int, default=4)
    args = ap.parse_args()
    results = {"A": [], "B": []}
    for pair in range(args.pairs):
        for name, stx in (("A", args.a), ("B", args.b)):
            r = run(stx, args.dir)
            results[name].append(r)
            print("  pair %d %s: %.2f s wall, %.2f s user, %.2f s sys, %.2f s stolen" % ((pair + 1, name) + r))
    print("== medians of %d runs each (A %s, B %s) ==" % (args.pairs, args.a, args.b))
    for name in ("A", "B"):
        columns = list(zip(*results[name]))
        print("  %s: %.2f s wall, %.2f s user, %.2f s sys, %.2f s stolen" % (
            (name,) + tuple(statistics.median(c) for c in columns)))
    wins = sum(b[0] < a[0] for a, b in zip(results["A"], results["B"]))
    print("  B faster by wall in %d of %d pairs" % (wins, args.pairs))


if __name__ == "__main__":
    main()
