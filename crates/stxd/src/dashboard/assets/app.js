"use strict";
// The night dashboard. Reads only the v2 API: one night of image-history records
// (`from`/`to`), the equipment info every few seconds for the camera tiles, the
// integration sums, previews and thumbnails of the frames on screen, and the
// /v2/socket events, which bring each new frame without polling.

const API = "/v2/api";
/// Camera tiles are refreshed this often (the socket carries frames, not temperatures).
const CAMERA_POLL_MS = 2000;
/// A frame older than this many expected intervals turns the "last frame" tile amber.
const STALE_INTERVALS = 2;
/// Readout and download time added to the exposure when no cadence is known yet.
const READOUT_ALLOWANCE_S = 15;
/// A cell this many σ from the night's median is marked.
const OUTLIER_SIGMAS = 3;
/// The trend charts' time axis spans at least this much.
const MIN_AXIS_MS = 3600 * 1000;
/// Rows per page of the frames table: only these get thumbnails.
const PAGE_ROWS = 50;
const TYPES = ["LIGHT", "SNAPSHOT", "FLAT", "DARK", "BIAS"];
/// Colours of the usual filter names; others get one from the spare list.
const FILTER_COLOURS = {
  L: "#d0d0d0", LUM: "#d0d0d0", LUMINANCE: "#d0d0d0", CLEAR: "#d0d0d0",
  R: "#ff5c5c", RED: "#ff5c5c", G: "#4cd964", GREEN: "#4cd964", B: "#4d8dff", BLUE: "#4d8dff",
  HA: "#ff2d95", "H-ALPHA": "#ff2d95", OIII: "#2ee6d6", O3: "#2ee6d6", SII: "#ffa630", S2: "#ffa630",
  "": "#a0a0ff",
};
const SPARE_COLOURS = ["#c792ea", "#f78c6c", "#ffcb6b", "#89ddff", "#c3e88d", "#ff9cac"];

const COLUMNS = [
  { key: "Date", label: "Time", format: (r) => timeOf(r) },
  { key: "ImageType", label: "Type" },
  { key: "Filter", label: "Filter" },
  { key: "ExposureTime", label: "Exp s", num: true, decimals: 1 },
  { key: "HFR", label: "HFR", num: true, decimals: 2, judge: "low" },
  { key: "HFRStDev", label: "HFR σ", num: true, decimals: 2 },
  { key: "Stars", label: "Stars", num: true, decimals: 0, judge: "high" },
  { key: "Median", label: "Median", num: true, decimals: 0, judge: "low" },
  { key: "Mean", label: "Mean", num: true, decimals: 1 },
  { key: "StDev", label: "StDev", num: true, decimals: 1 },
  { key: "Min", label: "Min", num: true, decimals: 0 },
  { key: "Max", label: "Max", num: true, decimals: 0 },
  { key: "Temperature", label: "°C", num: true, decimals: 1 },
  { key: "TargetName", label: "Target" },
  { key: "Filename", label: "File" },
];

const state = {
  night: null, // {start, end} Dates of the night shown
  records: [], // the night's records, oldest first, each with .index and .t
  offset: 0, // position of the night's first record in the whole history
  tonight: null, // {start, end} of the current night
  tonightRecords: [], // tonight's records (the same array when tonight is shown)
  types: new Set(["LIGHT", "SNAPSHOT"]),
  camera: null,
  coolerTrace: [], // [{t, y}] cooler power seen since the page opened
  exposure: null, // {end, duration} of the exposure under way
  sort: { key: "Date", asc: false },
  page: 0,
  charts: [],
  colours: new Map(),
  socketOpen: false,
  storageError: null, // what the store said while frames cannot be kept
};

// ---------------------------------------------------------------- data

async function getJSON(path) {
  const response = await fetch(API + path);
  const body = await response.json();
  if (!body.Success) throw new Error(body.Error || "HTTP " + response.status);
  return body.Response;
}

/// A number from the API: "NaN" and the infinities arrive as strings.
function num(v) {
  return typeof v === "number" ? v : Number(v);
}

/// Local time with its UTC offset, as the API writes and reads dates.
function isoLocal(d) {
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
    pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + (off < 0 ? "-" : "+") + pad(Math.trunc(off / 60)) + ":" +
    pad(off % 60);
}

/// The night a moment belongs to: noon to noon, local time.
function nightOf(d) {
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate(), 12, 0, 0);
  if (d < start) start.setDate(start.getDate() - 1);
  const end = new Date(start);
  end.setDate(end.getDate() + 1);
  return { start, end };
}

function nightFromInput(value) {
  const [y, m, day] = value.split("-").map(Number);
  return nightOf(new Date(y, m - 1, day, 12, 0, 0));
}

function inputValue(night) {
  const s = night.start;
  return s.getFullYear() + "-" + String(s.getMonth() + 1).padStart(2, "0") + "-" + String(s.getDate()).padStart(2, "0");
}

function prepare(record, index) {
  record.index = index;
  record.t = Date.parse(record.Date);
  return record;
}

/// The night's records and the position of its first record in the whole history.
async function fetchNight(night) {
  const span = "from=" + encodeURIComponent(isoLocal(night.start)) + "&to=" + encodeURIComponent(isoLocal(night.end));
  const [offset, records] = await Promise.all([
    getJSON("/image-history?count=true&to=" + encodeURIComponent(isoLocal(night.start))),
    getJSON("/image-history?all=true&" + span),
  ]);
  return { offset, records: records.map((r, i) => prepare(r, offset + i)) };
}

function sameNight(a, b) {
  return a && b && a.start.getTime() === b.start.getTime();
}

async function showNight(night) {
  state.night = night;
  document.getElementById("night").value = inputValue(night);
  const { offset, records } = await fetchNight(night);
  state.offset = offset;
  state.records = records;
  if (sameNight(night, state.tonight)) state.tonightRecords = records;
  renderAll();
  // For the load measurement: when the night's charts were first drawn.
  if (!performance.getEntriesByName("stxd-first-chart").length) performance.mark("stxd-first-chart");
}

// ---------------------------------------------------------------- colours, stats

function colourOf(filter) {
  const known = FILTER_COLOURS[filter.toUpperCase()];
  if (known) return known;
  if (!state.colours.has(filter)) state.colours.set(filter, SPARE_COLOURS[state.colours.size % SPARE_COLOURS.length]);
  return state.colours.get(filter);
}

function shownRecords() {
  return state.records.filter((r) => state.types.has(r.ImageType));
}

function lights(records) {
  return records.filter((r) => r.ImageType === "LIGHT" || r.ImageType === "SNAPSHOT");
}

function statsOf(records, key) {
  return Charts.robustStats(records.map((r) => num(r[key])));
}

function timeOf(r) {
  const d = new Date(r.t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

function fixed(v, decimals) {
  v = num(v);
  return Number.isFinite(v) ? v.toFixed(decimals) : "—";
}

// ---------------------------------------------------------------- Now

function renderNow() {
  const c = state.camera;
  const text = (id, t) => (document.getElementById(id).textContent = t);
  if (!c) return;
  if (!c.Connected) {
    text("camera-state", "not answering");
    document.getElementById("tile-camera").classList.add("alarm");
  } else if (state.storageError || c.CameraState === "Error") {
    // Frames not stored (the disk is full or unwritable), or an exposure failed.
    text("camera-state", state.storageError ? "frames not stored" : "Error");
    text("camera-name", state.storageError || c.Name || "");
    document.getElementById("tile-camera").classList.add("alarm");
  } else {
    document.getElementById("tile-camera").classList.remove("alarm");
    text("camera-name", c.Name || "");
    const bar = document.getElementById("exposure-progress");
    if (c.CameraState === "Exposing" && state.exposure) {
      const left = Math.max(0, (state.exposure.end - Date.now()) / 1000);
      const done = 1 - left / Math.max(state.exposure.duration, 0.001);
      bar.style.width = Math.min(100, Math.max(0, done * 100)).toFixed(1) + "%";
      text("camera-state", "Exposing · " + left.toFixed(0) + " s left");
    } else {
      bar.style.width = c.CameraState === "Reading" ? "100%" : "0";
      text("camera-state", c.CameraState === "Reading" ? "Reading out" : c.CameraState);
    }
    text("ccd-temperature", fixed(c.Temperature, 1) + " °C");
    text("ccd-cooler", (c.CoolerOn ? "cooler " + fixed(c.CoolerPower, 0) + " %" : "cooler off") +
      " · set " + fixed(c.TemperatureSetPoint, 1) + " °C");
    document.getElementById("tile-temperature").classList.toggle("stale", c.CoolerOn && !c.AtTargetTemp);
  }
  renderAge();
  const tonight = state.tonightRecords;
  text("frames-tonight", String(tonight.length));
  const tonightLights = lights(tonight);
  const hours = tonightLights.reduce((s, r) => s + num(r.ExposureTime), 0) / 3600;
  text("frames-tonight-lights", tonightLights.length + " lights · " + hours.toFixed(2) + " h");
  const last = tonightLights[tonightLights.length - 1];
  const tile = (id, key, decimals, worseWhenHigher) => {
    if (!last) return;
    const s = statsOf(tonightLights, key);
    const v = num(last[key]);
    text("last-" + id, fixed(v, decimals));
    const el = document.getElementById("last-" + id + "-median");
    el.textContent = "night median " + fixed(s.median, decimals);
    const off = s.sigma > 0 ? (v - s.median) / s.sigma : 0;
    el.className = "sub" + (Math.abs(off) >= OUTLIER_SIGMAS ? ((off > 0) === worseWhenHigher ? " up" : " down") : "");
  };
  tile("hfr", "HFR", 2, true);
  tile("stars", "Stars", 0, false);
  tile("background", "Median", 0, true);
}

/// How long since the last frame, amber when longer than the night's cadence allows.
function renderAge() {
  const tonight = state.tonightRecords;
  const last = tonight[tonight.length - 1];
  const tile = document.getElementById("tile-age");
  if (!last) {
    document.getElementById("frame-age").textContent = "none tonight";
    tile.classList.remove("stale");
    return;
  }
  const age = (Date.now() - last.t) / 1000;
  const gaps = tonight.slice(-11).map((r, i, a) => (i ? (r.t - a[i - 1].t) / 1000 : NaN));
  const cadence = Charts.robustStats(gaps).median;
  const expected = Number.isFinite(cadence) ? Math.max(cadence, num(last.ExposureTime)) :
    num(last.ExposureTime) + READOUT_ALLOWANCE_S;
  const stale = age > STALE_INTERVALS * expected;
  document.getElementById("frame-age").textContent = duration(age) + " ago";
  document.getElementById("frame-age-note").textContent = stale ? "late: expected every " + duration(expected) :
    last.ImageType + " " + (last.Filter || "no filter");
  tile.classList.toggle("stale", stale);
  tile.dataset.stale = String(stale);
}

function duration(s) {
  if (s < 90) return s.toFixed(0) + " s";
  if (s < 5400) return (s / 60).toFixed(0) + " min";
  return (s / 3600).toFixed(1) + " h";
}

async function pollCamera() {
  try {
    const [camera, wheel] = await Promise.all([getJSON("/equipment/camera/info"), getJSON("/equipment/filterwheel/info")]);
    state.camera = camera;
    if (camera.CameraState === "Exposing") {
      const end = Date.parse(camera.ExposureEndTime);
      if (!state.exposure || state.exposure.end !== end) {
        const last = state.tonightRecords[state.tonightRecords.length - 1];
        const seen = (end - Date.now()) / 1000;
        state.exposure = { end, duration: Math.max(seen, last ? num(last.ExposureTime) : 0) };
      }
    } else {
      state.exposure = null;
    }
    if (camera.Connected && camera.CoolerOn) {
      state.coolerTrace.push({ t: Date.now(), y: num(camera.CoolerPower) });
      if (state.coolerTrace.length > 20000) state.coolerTrace.shift();
    }
    document.getElementById("filter-now").textContent = wheel.Connected ?
      (wheel.SelectedFilter ? wheel.SelectedFilter.Name || "slot " + (wheel.SelectedFilter.Id + 1) : "—") : "no wheel";
    document.getElementById("filter-moving").textContent = wheel.IsMoving ? "moving" : "";
  } catch (e) {
    state.camera = { Connected: false };
  }
  renderNow();
}

// ---------------------------------------------------------------- Trends

function buildCharts() {
  const parent = document.getElementById("charts");
  const onCursor = (t) => state.charts.forEach((c) => c.setCursor(t));
  const onPick = (p) => (location.hash = "#frame/" + p.record.index);
  const make = (id, title, decimals) => new Charts.TimeChart(parent, { id, title, decimals, onCursor, onPick });
  state.charts = [
    make("hfr", "HFR (px), with each frame's HFR σ", 2),
    make("stars", "Stars", 0),
    make("background", "Background (median, ADU)", 0),
    make("temperature", "CCD temperature (°C), setpoint; cooler power (line, 0–100 %)", 1),
  ];
}

function renderTrends() {
  const records = shownRecords();
  document.getElementById("trends-empty").hidden = records.length > 0;
  // The axis spans the night's frames, at least an hour, up to now when the night is
  // tonight (so a gap since the last frame shows).
  const now = sameNight(state.night, state.tonight) ? Date.now() : -Infinity;
  const first = records.length ? records[0].t : Date.now();
  const end = Math.max(records.length ? records[records.length - 1].t : first, now);
  const start = Math.min(first, end - MIN_AXIS_MS);
  const pad = (end - start) * 0.03;
  const span = { x0: start - pad, x1: end + pad };
  const markers = [];
  const lightRecords = lights(records);
  lightRecords.forEach((r, i) => {
    if (i > 0 && r.Filter !== lightRecords[i - 1].Filter) markers.push({ t: r.t, label: r.Filter || "none" });
  });
  const points = (key, errKey) => records.map((r) => ({
    t: r.t, y: num(r[key]), err: errKey ? num(r[errKey]) : NaN, color: colourOf(r.Filter), filter: r.Filter || "none", record: r,
  }));
  const band = (key) => {
    const s = statsOf(lightRecords, key);
    return { lo: s.median - s.sigma, hi: s.median + s.sigma };
  };
  const camera = state.camera;
  const setpoint = camera && camera.Connected && camera.CoolerOn ? [{ y: num(camera.TemperatureSetPoint), label: "setpoint" }] : [];
  const [hfr, stars, background, temperature] = state.charts;
  const none = { lines: [], trace: [] };
  hfr.set({ ...span, ...none, points: points("HFR", "HFRStDev").filter((p) => Number.isFinite(p.y)), band: band("HFR"), markers });
  stars.set({ ...span, ...none, points: points("Stars").filter((p) => p.y >= 0), band: band("Stars"), markers });
  background.set({ ...span, ...none, points: points("Median"), band: band("Median"), markers });
  temperature.set({ ...span, points: points("Temperature"), band: null, markers: [], lines: setpoint, trace: state.coolerTrace });
  renderLegend(records);
}

function renderLegend(records) {
  const legend = document.getElementById("legend");
  legend.replaceChildren();
  for (const f of [...new Set(records.map((r) => r.Filter))].sort()) {
    const item = document.createElement("span");
    item.className = "legend-item";
    item.dataset.filter = f || "none";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colourOf(f);
    item.append(swatch, f || "no filter", " (" + records.filter((r) => r.Filter === f).length + ")");
    legend.append(item);
  }
}

// ---------------------------------------------------------------- Frames

function sortedRows() {
  const { key, asc } = state.sort;
  const column = COLUMNS.find((c) => c.key === key);
  const value = (r) => (key === "Date" ? r.t : column.num ? num(r[key]) : String(r[key]));
  const rows = shownRecords().slice();
  rows.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return asc ? order : -order;
  });
  return rows;
}

function renderFrames() {
  const head = document.querySelector("#frames-table thead tr");
  if (!head.children.length) {
    const thumb = document.createElement("th");
    thumb.textContent = "";
    head.append(thumb);
    for (const c of COLUMNS) {
      const th = document.createElement("th");
      th.textContent = c.label;
      th.dataset.key = c.key;
      if (c.num) th.className = "num";
      th.addEventListener("click", () => {
        state.sort = { key: c.key, asc: state.sort.key === c.key ? !state.sort.asc : c.key !== "Date" && !c.num };
        state.page = 0;
        renderFrames();
      });
      head.append(th);
    }
  }
  for (const th of head.querySelectorAll("th[data-key]")) {
    th.classList.toggle("sorted", th.dataset.key === state.sort.key);
    th.classList.toggle("asc", th.dataset.key === state.sort.key && state.sort.asc);
  }
  const rows = sortedRows();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  state.page = Math.min(state.page, pages - 1);
  const shown = rows.slice(state.page * PAGE_ROWS, (state.page + 1) * PAGE_ROWS);
  document.getElementById("frames-count").textContent = rows.length + " frames";
  document.getElementById("frames-page").textContent = "page " + (state.page + 1) + " of " + pages;
  document.getElementById("frames-prev").disabled = state.page === 0;
  document.getElementById("frames-next").disabled = state.page >= pages - 1;
  const judged = lights(state.records);
  const stats = {};
  for (const c of COLUMNS) if (c.judge) stats[c.key] = statsOf(judged, c.key);
  const body = document.querySelector("#frames-table tbody");
  body.replaceChildren(...shown.map((r) => frameRow(r, stats)));
}

function frameRow(r, stats) {
  const tr = document.createElement("tr");
  tr.className = "frame-row";
  tr.dataset.index = String(r.index);
  tr.addEventListener("click", () => (location.hash = "#frame/" + r.index));
  const thumb = document.createElement("td");
  const img = document.createElement("img");
  img.loading = "lazy";
  img.alt = "";
  img.src = API + "/image/thumbnail/" + r.index;
  thumb.append(img);
  tr.append(thumb);
  for (const c of COLUMNS) {
    const td = document.createElement("td");
    const v = r[c.key];
    td.textContent = c.format ? c.format(r) : c.num ? fixed(v, c.decimals) : v;
    if (c.num) td.className = "num";
    const s = stats[c.key];
    if (s && s.sigma > 0 && (r.ImageType === "LIGHT" || r.ImageType === "SNAPSHOT")) {
      const off = (num(v) - s.median) / s.sigma;
      if (Math.abs(off) >= OUTLIER_SIGMAS) {
        td.classList.add("outlier");
        td.title = (off > 0 ? "+" : "") + off.toFixed(1) + " σ from the night's median";
      }
    }
    tr.append(td);
  }
  return tr;
}

function csvOfShown() {
  const quote = (v) => {
    const s = String(v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  const keys = ["Index"].concat(COLUMNS.map((c) => c.key));
  const lines = [keys.join(",")];
  for (const r of sortedRows()) lines.push(keys.map((k) => quote(k === "Index" ? r.index : r[k])).join(","));
  return lines.join("\n") + "\n";
}

function downloadCsv() {
  const blob = new Blob([csvOfShown()], { type: "text/csv" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "stxd-night-" + inputValue(state.night) + ".csv";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// ---------------------------------------------------------------- Integration

async function renderIntegration() {
  const span = "?from=" + encodeURIComponent(isoLocal(state.night.start)) + "&to=" + encodeURIComponent(isoLocal(state.night.end));
  const [night, overall] = await Promise.all([getJSON("/integration" + span), getJSON("/integration")]);
  const key = (r) => r.TargetName + "\u0000" + r.Filter;
  const tonight = new Map(night.map((r) => [key(r), r]));
  const body = document.querySelector("#integration-table tbody");
  // The night's targets first, most hours first; then the rest of the history's.
  const hoursOn = (r) => (tonight.has(key(r)) ? num(tonight.get(key(r)).ExposureTime) : -1);
  const rows = overall.slice().sort((a, b) => hoursOn(b) - hoursOn(a));
  body.replaceChildren(...rows.map((r) => {
    const t = tonight.get(key(r));
    const tr = document.createElement("tr");
    const cells = [r.TargetName || "—", r.Filter || "none", t ? t.Frames : 0, ((t ? num(t.ExposureTime) : 0) / 3600).toFixed(2),
      r.Frames, (num(r.ExposureTime) / 3600).toFixed(2)];
    cells.forEach((v, i) => {
      const td = document.createElement("td");
      td.textContent = v;
      if (i >= 2) td.className = "num";
      tr.append(td);
    });
    return tr;
  }));
}

// ---------------------------------------------------------------- Frame detail

async function renderFrame(index) {
  const record = state.records.find((r) => r.index === index) ||
    prepare((await getJSON("/image-history?index=" + index))[0], index);
  document.getElementById("frame-title").textContent = "#" + index + " · " + record.ImageType + " · " +
    (record.Filter || "no filter") + " · " + record.Date.slice(0, 19).replace("T", " ");
  const img = document.getElementById("frame-preview");
  img.onload = () => drawHistogram(img);
  img.src = API + "/image/" + index + "?stream=true&resize=true&size=1024x1024";
  const body = document.querySelector("#frame-numbers tbody");
  body.replaceChildren(...COLUMNS.concat([{ key: "RmsText", label: "Guiding" }, { key: "TelescopeName", label: "Telescope" },
    { key: "FocalLength", label: "Focal length mm", num: true, decimals: 0 }]).map((c) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = c.label;
    const td = document.createElement("td");
    td.textContent = c.format ? c.format(record) : c.num ? fixed(record[c.key], c.decimals) : record[c.key];
    tr.append(th, td);
    return tr;
  }));
  document.getElementById("view-frame").dataset.index = String(index);
  document.getElementById("frame-prev").disabled = index <= 0;
  document.getElementById("frame-fits").onclick = (e) => {
    e.preventDefault();
    downloadFits(index, record.Filename);
  };
}

async function downloadFits(index, name) {
  const base64 = await getJSON("/image/" + index + "?raw_fits=true");
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([bytes], { type: "application/fits" }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/// The histogram of the preview's grey levels, log-scaled.
function drawHistogram(img) {
  const scratch = document.createElement("canvas");
  scratch.width = img.naturalWidth;
  scratch.height = img.naturalHeight;
  const g = scratch.getContext("2d");
  g.drawImage(img, 0, 0);
  const data = g.getImageData(0, 0, scratch.width, scratch.height).data;
  const bins = new Array(256).fill(0);
  for (let i = 0; i < data.length; i += 4) bins[data[i]]++;
  const canvas = document.getElementById("frame-histogram");
  const h = canvas.getContext("2d");
  const top = Math.log1p(Math.max(...bins));
  h.clearRect(0, 0, canvas.width, canvas.height);
  h.fillStyle = getComputedStyle(document.body).getPropertyValue("--accent");
  bins.forEach((n, i) => {
    const bar = (Math.log1p(n) / top) * canvas.height;
    h.fillRect((i / 256) * canvas.width, canvas.height - bar, canvas.width / 256 + 0.5, bar);
  });
}

// ---------------------------------------------------------------- views, live updates

function route() {
  const hash = location.hash || "#trends";
  const frame = /^#frame\/(\d+)$/.exec(hash);
  const view = frame ? "frame" : ["#trends", "#frames", "#integration"].includes(hash) ? hash.slice(1) : "trends";
  for (const v of ["trends", "frames", "integration", "frame"]) {
    document.getElementById("view-" + v).hidden = v !== view;
    const tab = document.getElementById("tab-" + v);
    if (tab) tab.classList.toggle("active", v === view);
  }
  if (view === "trends") renderTrends();
  if (view === "frames") renderFrames();
  if (view === "integration") renderIntegration().catch(showError);
  if (frame) renderFrame(Number(frame[1])).catch(showError);
}

function renderAll() {
  renderNow();
  route();
}

function showError(e) {
  document.getElementById("live").textContent = "error: " + e.message;
}

/// A new record from the socket: it joins tonight, and the night shown if that is
/// tonight, on every chart and in the table.
function imageSaved(stats) {
  const t = Date.parse(stats.Date);
  const tonight = nightOf(new Date(t));
  if (!sameNight(tonight, state.tonight)) {
    state.tonight = tonight;
    state.tonightRecords = [];
  }
  const shownIsTonight = sameNight(state.night, state.tonight);
  const index = shownIsTonight ? state.offset + state.records.length : null;
  const record = prepare(stats, index);
  if (shownIsTonight) {
    state.records.push(record);
    state.tonightRecords = state.records;
  } else {
    state.tonightRecords.push(record);
  }
  state.exposure = null;
  renderAll();
}

function connectSocket() {
  const live = document.getElementById("live");
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v2/socket");
  socket.onopen = () => {
    state.socketOpen = true;
    live.textContent = "live";
    live.classList.add("on");
  };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data).Response;
    if (event.Event === "IMAGE-SAVE") imageSaved(event.ImageStatistics);
    if (event.Event === "FILTERWHEEL-CHANGED") document.getElementById("filter-now").textContent = event.New.Name;
    if (event.Event === "IMAGE-STORE-FAILED") state.storageError = event.Message;
    if (event.Event === "IMAGE-STORE-RESUMED") state.storageError = null;
    if (event.Event.startsWith("IMAGE-STORE")) renderNow();
  };
  socket.onclose = () => {
    state.socketOpen = false;
    live.textContent = "reconnecting…";
    live.classList.remove("on");
    // Frames saved while the socket was down come back with the night's records.
    setTimeout(() => {
      connectSocket();
      showNight(state.night).catch(showError);
    }, 2000);
  };
}

function buildTypeToggles() {
  const box = document.getElementById("types");
  for (const t of TYPES) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.id = "type-" + t;
    input.checked = state.types.has(t);
    input.addEventListener("change", () => {
      if (input.checked) state.types.add(t);
      else state.types.delete(t);
      route();
    });
    label.append(input, " " + t.toLowerCase());
    box.append(label);
  }
}

async function start() {
  buildCharts();
  buildTypeToggles();
  document.getElementById("night").addEventListener("change", (e) => {
    if (e.target.value) showNight(nightFromInput(e.target.value)).catch(showError);
  });
  document.getElementById("frames-prev").addEventListener("click", () => { state.page--; renderFrames(); });
  document.getElementById("frames-next").addEventListener("click", () => { state.page++; renderFrames(); });
  document.getElementById("frames-csv").addEventListener("click", downloadCsv);
  document.getElementById("frame-prev").addEventListener("click", () => {
    location.hash = "#frame/" + (Number(document.getElementById("view-frame").dataset.index) - 1);
  });
  document.getElementById("frame-next").addEventListener("click", () => {
    location.hash = "#frame/" + (Number(document.getElementById("view-frame").dataset.index) + 1);
  });
  const red = document.getElementById("red-light");
  const setRed = (on) => {
    document.body.classList.toggle("red", on);
    red.setAttribute("aria-pressed", String(on));
    localStorage.setItem("stxd-red", on ? "1" : "");
    if (state.night) route();
  };
  red.addEventListener("click", () => setRed(!document.body.classList.contains("red")));
  setRed(localStorage.getItem("stxd-red") === "1");
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => state.charts.forEach((c) => c.draw()));
  state.tonight = nightOf(new Date());
  const asked = new URLSearchParams(location.search).get("night");
  await showNight(asked ? nightFromInput(asked) : state.tonight);
  if (!sameNight(state.night, state.tonight)) {
    state.tonightRecords = (await fetchNight(state.tonight)).records;
  }
  connectSocket();
  await pollCamera();
  setInterval(pollCamera, CAMERA_POLL_MS);
  setInterval(renderAge, 1000);
  document.body.dataset.ready = "true";
}

/// For tests and scripts: where a frame's point sits on a chart, in page pixels.
window.stxdDashboard = {
  state,
  pointOf(chartId, index) {
    const chart = state.charts.find((c) => c.options.id === chartId);
    const point = chart && chart.data.points.find((p) => p.record.index === index);
    if (!point) return null;
    const at = chart.position(point);
    const box = chart.canvas.getBoundingClientRect();
    return { x: box.left + at.x, y: box.top + at.y };
  },
  csv: csvOfShown,
};

start().catch(showError);
