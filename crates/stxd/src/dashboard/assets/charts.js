"use strict";
// Small canvas time charts for the night dashboard: one shared time axis across a
// stack of charts, a synced cursor, points coloured by filter, and robust y axes that
// one outlier cannot crush (the range comes from percentiles; values beyond it are
// drawn as markers clipped at the edge).

const Charts = (() => {
  /// MAD × this estimates σ for normally distributed values.
  const MAD_TO_SIGMA = 1.4826;
  /// The y range covers these percentiles of the values, so a few outliers (a cloud,
  /// a satellite, a lost guide star) do not squash everything else flat.
  const LOW_PERCENTILE = 0.02;
  const HIGH_PERCENTILE = 0.98;
  /// Room above and below the range, as a fraction of it.
  const PADDING = 0.12;
  /// How near (CSS pixels) a click must land to pick a point.
  const PICK_RADIUS = 12;
  /// Beyond this many filter changes on a chart, their lines are drawn faintly.
  const MANY_MARKERS = 30;
  const PLOT_LEFT = 46;
  const PLOT_RIGHT = 8;
  const PLOT_TOP = 6;
  const PLOT_BOTTOM = 18;

  function quantile(sorted, q) {
    if (sorted.length === 0) return NaN;
    const at = (sorted.length - 1) * q;
    const lo = Math.floor(at);
    const hi = Math.ceil(at);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
  }

  /// Median and MAD-based σ of the finite values.
  function robustStats(values) {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    const median = quantile(sorted, 0.5);
    const deviations = sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
    return { median, sigma: quantile(deviations, 0.5) * MAD_TO_SIGMA, count: sorted.length };
  }

  /// The y range to draw: robust percentiles, padded, never empty.
  function robustRange(values, extra) {
    const sorted = values.concat(extra || []).filter(Number.isFinite).sort((a, b) => a - b);
    if (sorted.length === 0) return [0, 1];
    let lo = quantile(sorted, LOW_PERCENTILE);
    let hi = quantile(sorted, HIGH_PERCENTILE);
    if (hi - lo < 1e-9) {
      const pad = Math.max(Math.abs(lo) * 0.05, 0.5);
      return [lo - pad, hi + pad];
    }
    const pad = (hi - lo) * PADDING;
    return [lo - pad, hi + pad];
  }

  function cssVar(name) {
    return getComputedStyle(document.body).getPropertyValue(name).trim();
  }

  function timeLabel(t) {
    const d = new Date(t);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function niceStep(span, count) {
    const raw = span / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  class TimeChart {
    /// `options`: id, title, decimals, onPick(point), onCursor(t or null).
    constructor(parent, options) {
      this.options = options;
      this.box = document.createElement("div");
      this.box.className = "chart";
      this.box.id = "chart-" + options.id;
      const title = document.createElement("h3");
      title.textContent = options.title;
      this.canvas = document.createElement("canvas");
      this.canvas.setAttribute("role", "img");
      this.canvas.setAttribute("aria-label", options.title);
      this.box.append(title, this.canvas);
      parent.append(this.box);
      this.data = { x0: 0, x1: 1, points: [], lines: [], markers: [], band: null, trace: [] };
      this.cursor = null;
      this.canvas.addEventListener("mousemove", (e) => options.onCursor(this.timeAt(e.offsetX)));
      this.canvas.addEventListener("mouseleave", () => options.onCursor(null));
      this.canvas.addEventListener("click", (e) => {
        const p = this.pick(e.offsetX, e.offsetY);
        if (p) options.onPick(p);
      });
    }

    /// `data`: x0, x1 (ms), points [{t, y, color, filter, err, record}], band {lo, hi},
    /// lines [{y, label}], markers [{t, label}], trace [{t, y}] (a second, right-hand
    /// series drawn as a line, 0–100).
    set(data) {
      this.data = data;
      const ys = data.points.map((p) => p.y);
      this.range = robustRange(ys, data.lines.map((l) => l.y));
      const filters = [...new Set(data.points.map((p) => p.filter))].sort();
      this.canvas.dataset.series = filters.join(",");
      this.canvas.dataset.points = String(data.points.length);
      this.draw();
    }

    width() {
      return this.canvas.clientWidth;
    }

    height() {
      return this.canvas.clientHeight;
    }

    xOf(t) {
      const { x0, x1 } = this.data;
      return PLOT_LEFT + ((t - x0) / Math.max(x1 - x0, 1)) * (this.width() - PLOT_LEFT - PLOT_RIGHT);
    }

    yOf(v) {
      const [lo, hi] = this.range;
      return PLOT_TOP + (1 - (v - lo) / (hi - lo)) * (this.height() - PLOT_TOP - PLOT_BOTTOM);
    }

    timeAt(x) {
      const { x0, x1 } = this.data;
      return x0 + ((x - PLOT_LEFT) / (this.width() - PLOT_LEFT - PLOT_RIGHT)) * (x1 - x0);
    }

    /// Where a point is drawn (CSS pixels within the canvas): clipped to the plot.
    position(point) {
      const [lo, hi] = this.range;
      const y = Math.min(Math.max(point.y, lo), hi);
      return { x: this.xOf(point.t), y: this.yOf(y), clipped: point.y < lo || point.y > hi };
    }

    pick(x, y) {
      let best = null;
      let bestD = PICK_RADIUS * PICK_RADIUS;
      for (const p of this.data.points) {
        if (!Number.isFinite(p.y)) continue;
        const at = this.position(p);
        const d = (at.x - x) ** 2 + (at.y - y) ** 2;
        if (d <= bestD) {
          best = p;
          bestD = d;
        }
      }
      return best;
    }

    setCursor(t) {
      this.cursor = t;
      this.draw();
    }

    draw() {
      const dpr = window.devicePixelRatio || 1;
      const w = this.width();
      const h = this.height();
      if (w === 0 || h === 0) return;
      if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
        this.canvas.width = Math.round(w * dpr);
        this.canvas.height = Math.round(h * dpr);
      }
      const g = this.canvas.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, h);
      const dim = cssVar("--dim");
      const line = cssVar("--line");
      const text = cssVar("--text");
      g.font = "11px system-ui, sans-serif";
      const [lo, hi] = this.range;
      const { x0, x1 } = this.data;
      const bottom = h - PLOT_BOTTOM;

      // Grid and axis labels.
      g.strokeStyle = line;
      g.fillStyle = dim;
      g.lineWidth = 1;
      const yStep = niceStep(hi - lo, 4);
      // Enough decimals that neighbouring labels differ.
      const decimals = Math.max(this.options.decimals, Math.ceil(-Math.log10(yStep)));
      for (let v = Math.ceil(lo / yStep) * yStep; v <= hi; v += yStep) {
        const y = Math.round(this.yOf(v)) + 0.5;
        g.beginPath();
        g.moveTo(PLOT_LEFT, y);
        g.lineTo(w - PLOT_RIGHT, y);
        g.stroke();
        g.textAlign = "right";
        g.fillText(v.toFixed(decimals), PLOT_LEFT - 4, y + 3);
      }
      const hour = 3600 * 1000;
      const tStep = Math.max(hour * Math.ceil((x1 - x0) / hour / 8), hour);
      g.textAlign = "center";
      for (let t = Math.ceil(x0 / hour) * hour; t <= x1; t += tStep) {
        g.fillText(timeLabel(t), this.xOf(t), h - 4);
      }

      // The night's median ± 1σ.
      const band = this.data.band;
      if (band && Number.isFinite(band.lo) && Number.isFinite(band.hi)) {
        g.fillStyle = "rgba(127,127,127,0.12)";
        const top = this.yOf(Math.min(band.hi, hi));
        g.fillRect(PLOT_LEFT, top, w - PLOT_LEFT - PLOT_RIGHT, this.yOf(Math.max(band.lo, lo)) - top);
      }

      // Filter changes; a label only where it does not run into the one before.
      g.setLineDash([3, 3]);
      g.strokeStyle = dim;
      g.globalAlpha = this.data.markers.length > MANY_MARKERS ? 0.3 : 1;
      let labelEnd = -Infinity;
      for (const m of this.data.markers) {
        const x = Math.round(this.xOf(m.t)) + 0.5;
        g.beginPath();
        g.moveTo(x, PLOT_TOP);
        g.lineTo(x, bottom);
        g.stroke();
        const width = g.measureText(m.label).width;
        if (x + 2 > labelEnd + 4) {
          g.fillStyle = dim;
          g.textAlign = "left";
          g.fillText(m.label, x + 2, PLOT_TOP + 9);
          labelEnd = x + 2 + width;
        }
      }
      g.globalAlpha = 1;
      // Reference lines (e.g. the setpoint).
      for (const l of this.data.lines) {
        if (l.y < lo || l.y > hi) continue;
        const y = Math.round(this.yOf(l.y)) + 0.5;
        g.strokeStyle = text;
        g.beginPath();
        g.moveTo(PLOT_LEFT, y);
        g.lineTo(w - PLOT_RIGHT, y);
        g.stroke();
        g.fillStyle = text;
        g.textAlign = "right";
        g.fillText(l.label, w - PLOT_RIGHT - 2, y - 3);
      }
      g.setLineDash([]);

      // A second series on its own 0–100 scale (cooler power), as a line.
      if (this.data.trace.length > 1) {
        g.strokeStyle = cssVar("--dim");
        g.beginPath();
        this.data.trace.forEach((p, i) => {
          const x = this.xOf(p.t);
          const y = PLOT_TOP + (1 - p.y / 100) * (bottom - PLOT_TOP);
          if (i === 0) g.moveTo(x, y);
          else g.lineTo(x, y);
        });
        g.stroke();
      }

      // The points, with their spread as a bar where given; clipped ones as triangles.
      for (const p of this.data.points) {
        if (!Number.isFinite(p.y)) continue;
        const at = this.position(p);
        g.fillStyle = p.color;
        g.strokeStyle = p.color;
        if (Number.isFinite(p.err) && p.err > 0 && !at.clipped) {
          g.globalAlpha = 0.35;
          g.beginPath();
          g.moveTo(at.x, this.yOf(Math.min(p.y + p.err, hi)));
          g.lineTo(at.x, this.yOf(Math.max(p.y - p.err, lo)));
          g.stroke();
          g.globalAlpha = 1;
        }
        g.beginPath();
        if (at.clipped) {
          const dir = p.y > hi ? -1 : 1;
          g.moveTo(at.x - 4, at.y - dir * 1);
          g.lineTo(at.x + 4, at.y - dir * 1);
          g.lineTo(at.x, at.y + dir * 6);
          g.closePath();
        } else {
          g.arc(at.x, at.y, 2.6, 0, 2 * Math.PI);
        }
        g.fill();
      }

      // The synced cursor.
      if (this.cursor !== null && this.cursor >= x0 && this.cursor <= x1) {
        const x = Math.round(this.xOf(this.cursor)) + 0.5;
        g.strokeStyle = text;
        g.globalAlpha = 0.5;
        g.beginPath();
        g.moveTo(x, PLOT_TOP);
        g.lineTo(x, bottom);
        g.stroke();
        g.globalAlpha = 1;
        g.fillStyle = text;
        g.textAlign = x > w / 2 ? "right" : "left";
        g.fillText(timeLabel(this.cursor), x + (x > w / 2 ? -4 : 4), bottom - 4);
      }
    }
  }

  return { TimeChart, robustStats, robustRange, quantile };
})();
