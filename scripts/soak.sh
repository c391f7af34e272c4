#!/usr/bin/env bash
# Soak: reruns the hostile probe's cases against the release stxd and prints, after
# each, its resident memory (RSS), its open descriptors, and what it did:
#   load          64 clients polling the STX API for 10 s: requests/s and failures;
#   idle sockets  1100 idle connections to the v2 port: the STX port still answers,
#                 and the idle ones are closed after --client-timeout;
#   no reader     64 clients ask for a full frame (.bin, then .FIT) and never read:
#                 memory while they stall and after their writes time out;
#   previews      48 full-size previews at once, then memory once they are done;
#   fast frames   a client takes frames as fast as it can at --time-scale 2000:
#                 frames it saw finish vs frames the history recorded;
#   second        a second stxd on the same data directory: refused, nothing removed;
#   FL=1          the whole sky in one frame: the frame renders and is recorded.
#
#   scripts/soak.sh        (needs python3; builds stxd in release mode; ~2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q --bin stxd
export STXD="${CARGO_TARGET_DIR:-target}/release/stxd"
exec python3 - <<'EOF'
import os, socket, subprocess, sys, tempfile, threading, time, json, urllib.request

STXD = os.environ["STXD"]
TIMEOUT = 3  # --client-timeout: seconds for a head or a stalled write

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def start(data, scale, stx, api, extra=()):
    log = open(os.path.join(os.path.dirname(data), f"stxd-{stx}.log"), "w")
    return subprocess.Popen([STXD, "--stx-listen", f"127.0.0.1:{stx}", "--api-listen", f"127.0.0.1:{api}", "--alpaca-listen", "127.0.0.1:0",
                             "--data-dir", data, "--time-scale", str(scale), "--client-timeout", str(TIMEOUT),
                             *extra], stdout=log, stderr=subprocess.STDOUT)

def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

def get(port, target, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(f"GET {target} HTTP/1.0\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body

def stx(port, call):
    return get(port, f"/api/{call}")

def api_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return json.load(r)

def report(case, pid, what):
    print(f"{case:<14} RSS {rss_mb(pid):7.0f} MB   fds {fds(pid):5d}   {what}", flush=True)

def wait_idle(port):
    while stx(port, "ImagerState.cgi")[1] != b"0\r\n":
        time.sleep(0.02)

def take(port, ftype=1, duration=0.01):
    while True:
        status, body = stx(port, f"ImagerStartExposure.cgi?Duration={duration}&FrameType={ftype}")
        if status == 200:
            break
        if not body.startswith(b"0x80001008"):
            raise SystemExit(f"start refused: {body!r}")
        time.sleep(0.005)  # busy: frames wait to be stored
    while stx(port, "ImagerImageReady.cgi")[1] != b"1\r\n":
        time.sleep(0.005)

work = tempfile.mkdtemp(prefix="stxd-soak-")
data = os.path.join(work, "data")
P, A = free_port(), free_port()
proc = start(data, 2000, P, A)
pid = proc.pid
for _ in range(100):
    try:
        stx(P, "Description.cgi"); break
    except OSError:
        time.sleep(0.1)
report("start", pid, "")

# load
stop = time.time() + 10
counts = {"ok": 0, "failed": 0}
lock = threading.Lock()
def poller():
    ok = failed = 0
    while time.time() < stop:
        try:
            status, _ = stx(P, "ImagerGetSettings.cgi?CCDTemperature&BinX&NumX")
            ok += status == 200; failed += status != 200
        except OSError:
            failed += 1
    with lock:
        counts["ok"] += ok; counts["failed"] += failed
threads = [threading.Thread(target=poller) for _ in range(64)]
[t.start() for t in threads]; [t.join() for t in threads]
report("load", pid, f"{counts['ok'] / 10:.0f} requests/s, {counts['failed']} failed")

# idle sockets
idle = []
for _ in range(1100):
    try:
        idle.append(socket.create_connection(("127.0.0.1", A), timeout=2))
    except OSError:
        break
t0 = time.time(); status, body = stx(P, "ImagerState.cgi"); answered = time.time() - t0
report("idle sockets", pid, f"{len(idle)} idle v2 connections open; STX answered {status} in {answered*1000:.0f} ms")
time.sleep(TIMEOUT + 2)
closed = 0
for s in idle:
    s.settimeout(0.01)
    try:
        closed += s.recv(1) == b""
    except OSError:
        pass
    s.close()
report("idle closed", pid, f"{closed} of {len(idle)} closed by stxd after the {TIMEOUT} s timeout")

# no reader
stx(P, "ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=4096&NumY=4096&BinX=1&BinY=1")
take(P, 1, 1)
for download in ("ImagerData.bin", "Imager.FIT"):
    stalled = []
    for _ in range(64):
        s = socket.create_connection(("127.0.0.1", P))
        s.sendall(f"GET /api/{download} HTTP/1.0\r\n\r\n".encode())
        stalled.append(s)
    time.sleep(1)
    report("no reader", pid, f"64 clients stalled on a 32 MiB {download}")
    time.sleep(TIMEOUT + 2)
    report("no reader end", pid, "after their writes timed out")
    [s.close() for s in stalled]

# previews
for _ in range(2):
    take(P, 1, 1)
while api_json(A, "/v2/api/image-history?count=true")["Response"] < 3:
    time.sleep(0.1)
report("previews start", pid, "3 full frames in the history")
peak = [0.0]
done = threading.Event()
def sampler():
    while not done.is_set():
        peak[0] = max(peak[0], rss_mb(pid)); time.sleep(0.05)
def preview(i):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{A}/v2/api/image/{i % 3}?resize=false&stream=true", timeout=300).read()
    except Exception as e:
        print("preview failed:", e)
threading.Thread(target=sampler).start()
threads = [threading.Thread(target=preview, args=(i,)) for i in range(48)]
[t.start() for t in threads]; [t.join() for t in threads]
done.set()
report("previews", pid, f"48 full-size previews; peak RSS {peak[0]:.0f} MB")
time.sleep(2)
report("previews end", pid, "2 s after the burst")

# fast frames
stx(P, "ImagerSetSettings.cgi?StartX=1024&StartY=1024&NumX=64&NumY=64&BinX=1&BinY=1")
before = api_json(A, "/v2/api/image-history?count=true")["Response"]
finished = 0
stop = time.time() + 10
while time.time() < stop:
    take(P, 1, 0.01); finished += 1
for _ in range(300):
    recorded = api_json(A, "/v2/api/image-history?count=true")["Response"] - before
    if recorded >= finished:
        break
    time.sleep(0.1)
report("fast frames", pid, f"{finished} frames finished, {recorded} recorded (time scale 2000)")

# second instance
files = sorted(os.listdir(os.path.join(data, "images")))
second = subprocess.run([STXD, "--stx-listen", "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--alpaca-listen", "127.0.0.1:0", "--data-dir", data],
                        capture_output=True, text=True, timeout=60)
reason = [l for l in second.stderr.splitlines() if "in use" in l]
same = sorted(os.listdir(os.path.join(data, "images"))) == files
report("second", pid, f"exit {second.returncode}; files untouched: {same}; {reason[0].strip() if reason else second.stderr.strip()[:120]}")

# FL=1
stx(P, "SetFITSSetting.cgi?FL=1")
stx(P, "ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=4096&NumY=4096&BinX=1&BinY=1")
before = api_json(A, "/v2/api/image-history?count=true")["Response"]
t0 = time.time()
take(P, 1, 1)
while api_json(A, "/v2/api/image-history?count=true")["Response"] <= before:
    time.sleep(0.1)
report("FL=1", pid, f"full frame of the whole sky rendered and recorded in {time.time() - t0:.1f} s")
stx(P, "SetFITSSetting.cgi?FL=2000")

t0 = time.time()
proc.terminate()
proc.wait(timeout=60)
print(f"SIGTERM: stopped in {time.time() - t0:.1f} s, exit {proc.returncode}")
subprocess.run(["rm", "-rf", work])
EOF
