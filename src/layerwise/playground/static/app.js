// layerwise playground: the page only draws and sends; the server validates and trains.
"use strict";

const NEG = [245, 147, 34];
const MID = [236, 237, 238];
const POS = [8, 119, 189];
const CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b"];
const CLASS_RGB = CLASS_COLOURS.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));

const $ = (id) => document.getElementById(id);
const state = { snap: null, points: null, sid: null, options: null, events: null, shownMessage: 0 };
window.playground = state; // for the browser tests and the curious

// ------------------------------------------------------------------ talking to the server
async function call(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(`/api/session/${state.sid}${path}`, init);
  } catch (err) {
    showMessage("error", `The server cannot be reached (${err.message}).`);
    return null;
  }
  let payload = null;
  try { payload = await response.json(); } catch (err) { payload = null; }
  if (!response.ok) {
    const text = payload && payload.error ? payload.error : `HTTP ${response.status}`;
    if (response.status === 404) { await openSession(true); return null; }
    showMessage("error", text);
    if (state.snap) syncControls(state.snap, true);
    return null;
  }
  return payload;
}

async function post(path, body, keepalive) {
  return fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    keepalive: Boolean(keepalive),
  });
}

// a reload rejoins the tab's session (same network, same weights) while the server keeps it;
// otherwise the server opens a new one under an id of its choosing
async function openSession(expired) {
  const kept = expired ? null : sessionStorage.getItem("layerwise-session");
  let response = kept ? await post("/api/session", { session: kept }) : null;
  if (!response || !response.ok) response = await post("/api/session", {});
  const payload = await response.json();
  if (!response.ok) { showMessage("error", payload.error); return; }
  if (expired) showMessage("info", "The old session was freed after being idle; this is a new one.");
  state.sid = payload.session;
  sessionStorage.setItem("layerwise-session", state.sid);
  state.points = null;
  applySnapshot(payload);
  listen();
}

function listen() {
  if (state.events) state.events.close();
  const source = new EventSource(`/api/session/${state.sid}/stream`);
  state.events = source;
  source.onmessage = (ev) => applySnapshot(JSON.parse(ev.data));
  source.addEventListener("closed", () => { source.close(); openSession(true); });
  source.onerror = async () => {
    // EventSource retries by itself; a session that is gone must be opened again
    const r = await fetch(`/api/session/${state.sid}`).catch(() => null);
    if (r && r.status === 404) { source.close(); openSession(true); }
  };
}

async function applySnapshot(snap) {
  if (state.snap && snap.version < state.snap.version && snap.session === state.snap.session) return;
  state.snap = snap;
  if (!state.points || state.points.data_version !== snap.data.data_version) {
    const pts = await call("/points");
    if (pts) state.points = pts;
  }
  if (snap.message && snap.message.seq > state.shownMessage) {
    state.shownMessage = snap.message.seq;
    showMessage(snap.message.level, snap.message.text);
  }
  render();
}

let messageTimer = null;
function showMessage(level, text) {
  const box = $("message");
  box.textContent = text;
  box.className = level;
  box.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { box.hidden = true; }, level === "error" ? 9000 : 5000);
}

// ------------------------------------------------------------------ controls
function numberOrText(el) {
  const t = el.value.trim();
  return t !== "" && !Number.isNaN(Number(t)) ? Number(t) : t;
}

function setIfIdle(el, value) {
  if (document.activeElement !== el && el.value !== String(value)) el.value = value;
}

function syncControls(snap, force) {
  const d = snap.data, s = snap.settings;
  const set = force ? (el, v) => { el.value = v; } : setIfIdle;
  set($("dataset"), d.dataset);
  set($("noise"), d.noise);
  $("noise-value").textContent = Number(d.noise).toFixed(2);
  set($("test-ratio"), d.test_ratio);
  $("test-ratio-value").textContent = `${Math.round(d.test_ratio * 100)}%`;
  set($("n-samples"), d.n_samples);
  set($("optimizer"), s.optimizer);
  set($("lr"), s.lr);
  set($("batch-size"), s.batch_size);
  set($("l2"), s.l2);
}

function fillSelect(el, names) {
  el.innerHTML = "";
  for (const n of names) {
    const o = document.createElement("option");
    o.value = n; o.textContent = n; el.appendChild(o);
  }
}

function wireControls() {
  fillSelect($("dataset"), state.options.datasets);
  fillSelect($("optimizer"), state.options.optimizers);
  $("play").onclick = () => call("/control", { action: state.snap && state.snap.mode === "training" ? "pause" : "play" });
  $("step").onclick = () => call("/control", { action: "step" });
  $("reset").onclick = () => call("/control", { action: "reset" });
  $("dataset").onchange = (e) => call("/data", { dataset: e.target.value });
  $("noise").oninput = (e) => { $("noise-value").textContent = Number(e.target.value).toFixed(2); };
  $("noise").onchange = (e) => call("/data", { noise: Number(e.target.value) });
  $("test-ratio").oninput = (e) => { $("test-ratio-value").textContent = `${Math.round(e.target.value * 100)}%`; };
  $("test-ratio").onchange = (e) => call("/data", { test_ratio: Number(e.target.value) });
  $("n-samples").onchange = (e) => call("/data", { n_samples: numberOrText(e.target) });
  $("regenerate").onclick = () => call("/data", { regenerate: true });
  $("optimizer").onchange = (e) => call("/settings", { optimizer: e.target.value });
  $("lr").onchange = (e) => call("/settings", { lr: numberOrText(e.target) });
  $("batch-size").onchange = (e) => call("/settings", { batch_size: numberOrText(e.target) });
  $("l2").onchange = (e) => call("/settings", { l2: numberOrText(e.target) });
  $("add-layer").onclick = () => call("/network", { action: "add_layer" });
  $("remove-layer").onclick = () => call("/network", { action: "remove_layer" });
  $("compare-start").onclick = () => call("/compare", {
    action: "start", lr_a: numberOrText($("lr-a")), lr_b: numberOrText($("lr-b")),
    epochs: numberOrText($("compare-epochs")),
  });
  $("compare-stop").onclick = () => call("/compare", { action: "stop" });
  $("log-scale").onchange = () => render();
  $("show-snippet").onclick = async () => {
    const r = await fetch(`/api/session/${state.sid}/snippet`);
    $("snippet").textContent = await r.text();
    $("snippet-box").hidden = false;
  };
}

let layerKey = "";
function renderLayerControls(snap) {
  const hidden = snap.layers.slice(0, -1);
  const key = JSON.stringify(snap.layers.map((l) => [l.units, l.activation])) + snap.data.data_version;
  if (key === layerKey) return;
  layerKey = key;
  const box = $("layer-controls");
  box.innerHTML = "";
  const cell = (html) => { const d = document.createElement("div"); d.innerHTML = html; box.appendChild(d); return d; };
  cell(`<div class="units">2</div>inputs`);
  hidden.forEach((layer, i) => {
    const d = cell(`<div><button class="remove-neuron" title="resize: drop the neuron that matters least">&minus;</button>
      <span class="units">${layer.units}</span>
      <button class="add-neuron" title="widen: copy a neuron, keeping the function">+</button></div>
      <div>neurons</div>`);
    d.className = "layer-controls";
    d.dataset.layer = i;
    const sel = document.createElement("select");
    sel.className = "activation";
    for (const a of state.options.activations) {
      const o = document.createElement("option"); o.value = a; o.textContent = a; sel.appendChild(o);
    }
    sel.value = layer.activation;
    sel.onchange = () => call("/network", { action: "activation", layer: i, activation: sel.value });
    d.appendChild(sel);
    d.querySelector(".add-neuron").onclick = () => call("/network", { action: "add_neuron", layer: i });
    d.querySelector(".remove-neuron").onclick = () => call("/network", { action: "remove_neuron", layer: i });
  });
  const out = snap.layers[snap.layers.length - 1];
  cell(`<div class="units">${out.units}</div>output<br>${out.activation}`);
}

// ------------------------------------------------------------------ pictures
function decode(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function heat(v) { // v in [-1, 1] -> rgb, orange (negative) to blue (positive)
  const t = Math.max(-1, Math.min(1, v));
  const [a, b, u] = t < 0 ? [MID, NEG, -t] : [MID, POS, t];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * u));
}

function mapImage(bytes, offset, grid, colour) {
  const img = new ImageData(grid, grid);
  for (let i = 0; i < grid * grid; i++) {
    const rgb = colour(bytes[offset + i], i);
    img.data[4 * i] = rgb[0]; img.data[4 * i + 1] = rgb[1]; img.data[4 * i + 2] = rgb[2];
    img.data[4 * i + 3] = 255;
  }
  const c = document.createElement("canvas");
  c.width = grid; c.height = grid;
  c.getContext("2d").putImageData(img, 0, 0);
  return c;
}

function drawBoundary(snap) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  const b = snap.boundary, values = decode(b.values);
  let img;
  if (b.kind === "binary") {
    img = mapImage(values, 0, b.grid, (q) => heat((q / 127.5 - 1) * 0.75));
  } else {
    const cls = decode(b.classes);
    img = mapImage(values, 0, b.grid, (q, i) => {
      const c = CLASS_RGB[cls[i] % CLASS_RGB.length], u = 0.15 + 0.55 * (q / 255);
      return [0, 1, 2].map((k) => Math.round(MID[k] + (c[k] - MID[k]) * u));
    });
  }
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  const p = state.points;
  if (!p) return;
  const dom = p.domain;
  const sx = (x) => (x - dom.x0) / (dom.x1 - dom.x0) * canvas.width;
  const sy = (y) => (dom.y1 - y) / (dom.y1 - dom.y0) * canvas.height;
  const dot = (x, y, cls, test) => {
    ctx.beginPath();
    ctx.arc(sx(x), sy(y), test ? 3.6 : 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = CLASS_COLOURS[cls % CLASS_COLOURS.length];
    ctx.fill();
    ctx.lineWidth = test ? 1.6 : 1;
    ctx.strokeStyle = test ? "#000" : "#fff";
    ctx.stroke();
  };
  p.train.X.forEach((xy, i) => dot(xy[0], xy[1], p.train.y[i], false));
  p.test.X.forEach((xy, i) => dot(xy[0], xy[1], p.test.y[i], true));
}

function drawNetwork(snap) {
  const canvas = $("network");
  const width = canvas.clientWidth || 640;
  if (canvas.width !== width) canvas.width = width;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const sizes = [2, ...snap.layers.map((l) => l.units)];
  const cols = sizes.length, H = canvas.height;
  const most = Math.max(...sizes);
  const s = Math.max(6, Math.min(34, (H - 12) / most - 4));
  const gap = Math.min(10, (H - 12 - most * s) / Math.max(most, 1));
  const colX = (k) => (k + 0.5) * canvas.width / cols;
  const nodeY = (k, j) => H / 2 + (j - (sizes[k] - 1) / 2) * (s + gap);
  // weights first, under the neurons
  snap.weights.forEach((w, k) => {
    let big = 1e-9;
    for (const row of w.W) for (const x of row) big = Math.max(big, Math.abs(x));
    w.W.forEach((row, i) => row.forEach((x, j) => {
      const r = Math.abs(x) / big;
      ctx.strokeStyle = `rgba(${(x < 0 ? NEG : POS).join(",")},${0.15 + 0.75 * r})`;
      ctx.lineWidth = 0.4 + 4 * r;
      ctx.beginPath();
      ctx.moveTo(colX(k) + s / 2, nodeY(k, i));
      ctx.lineTo(colX(k + 1) - s / 2, nodeY(k + 1, j));
      ctx.stroke();
    }));
  });
  ctx.imageSmoothingEnabled = false;
  // inputs: x1 rises to the right, x2 upwards (the same plane as the output picture)
  const g = 20, ramp = new Uint8Array(2 * g * g);
  for (let r = 0; r < g; r++) for (let c = 0; c < g; c++) {
    ramp[r * g + c] = Math.round(c / (g - 1) * 255);
    ramp[g * g + r * g + c] = Math.round((g - 1 - r) / (g - 1) * 255);
  }
  for (let j = 0; j < 2; j++) {
    const img = mapImage(ramp, j * g * g, g, (q) => heat(q / 127.5 - 1));
    ctx.drawImage(img, colX(0) - s / 2, nodeY(0, j) - s / 2, s, s);
    ctx.fillStyle = "#444"; ctx.font = "11px sans-serif";
    ctx.fillText(`x${j + 1}`, colX(0) - s / 2 - 18, nodeY(0, j) + 4);
  }
  snap.neurons.forEach((layer) => {
    const bytes = decode(layer.values), n = layer.grid * layer.grid;
    for (let j = 0; j < layer.units; j++) {
      const img = mapImage(bytes, j * n, layer.grid, (q) => heat(q / 127.5 - 1));
      const x = colX(layer.layer + 1) - s / 2, y = nodeY(layer.layer + 1, j) - s / 2;
      ctx.drawImage(img, x, y, s, s);
      ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
      ctx.strokeRect(x - 0.5, y - 0.5, s + 1, s + 1);
    }
  });
}

function niceTicks(lo, hi, n, integer) {
  const step0 = Math.max((hi - lo) / Math.max(n, 1), integer ? 1 : 0);
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(v);
  return out;
}

// series: [{x: [], y: [], colour, dash}], marks: [{x, colour, label}]
function drawChart(canvas, series, marks, logScale) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const L = 46, R = 8, T = 10, B = 22;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  const tr = (y) => (logScale ? Math.log10(y) : y);
  let xs = [], ys = [];
  for (const s of series) {
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (y !== null && Number.isFinite(y) && (!logScale || y > 0)) { xs.push(x); ys.push(tr(y)); }
    });
  }
  ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1;
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  if (!xs.length) return;
  let x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  if (!logScale) y0 = Math.min(0, y0);
  else { y0 = Math.floor(y0 + 1e-9); y1 = Math.max(Math.ceil(y1 - 1e-9), y0 + 1); } // whole decades
  const px = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  ctx.fillStyle = "#666"; ctx.font = "10px sans-serif";
  ctx.textAlign = "right";
  const yTicks = logScale ? niceTicks(Math.floor(y0), Math.ceil(y1), 4, true).filter((v) => v >= y0 - 1e-9 && v <= y1 + 1e-9)
    : niceTicks(y0, y1, 4);
  for (const v of yTicks) {
    const yy = py(v);
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(L, yy); ctx.lineTo(W - R, yy); ctx.stroke();
    ctx.fillText(logScale ? `1e${Math.round(v)}` : +v.toPrecision(3), L - 4, yy + 3);
  }
  ctx.textAlign = "center";
  for (const v of niceTicks(x0, x1, 5, true)) ctx.fillText(String(Math.round(v)), px(v), H - 8);
  for (const m of marks) {
    ctx.strokeStyle = m.colour; ctx.setLineDash([3, 3]); ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(px(m.x), T); ctx.lineTo(px(m.x), H - B); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = m.colour; ctx.fillText(m.label, px(m.x), T + 9);
  }
  for (const s of series) {
    ctx.strokeStyle = s.colour; ctx.lineWidth = s.width || 1.6; ctx.setLineDash(s.dash || []);
    ctx.beginPath();
    let pen = false;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (y === null || !Number.isFinite(y) || (logScale && y <= 0)) { pen = false; return; }
      if (pen) ctx.lineTo(px(x), py(tr(y))); else ctx.moveTo(px(x), py(tr(y)));
      pen = true;
    });
    ctx.stroke();
    ctx.setLineDash([]);
    const last = s.x.length - 1, yl = s.y[last];
    if (last >= 0 && yl !== null && Number.isFinite(yl) && (!logScale || yl > 0)) {
      ctx.fillStyle = s.colour; // the newest value, visible even when it is the only one
      ctx.beginPath(); ctx.arc(px(s.x[last]), py(tr(yl)), 2.5, 0, 2 * Math.PI); ctx.fill();
    }
  }
  ctx.textAlign = "left";
  series.filter((s) => s.label).forEach((s, i) => {
    const y = T + 14 + 13 * i, w = ctx.measureText(s.label).width;
    ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(L + 5, y - 10, w + 6, 13);
    ctx.fillStyle = s.colour; ctx.fillText(s.label, L + 8, y);
  });
}

const EDIT_LABELS = { add_neuron: "+n", remove_neuron: "\u2212n", add_layer: "+L", remove_layer: "\u2212L", activation: "f" };

function render() {
  const snap = state.snap;
  if (!snap) return;
  syncControls(snap, false);
  renderLayerControls(snap);
  const training = snap.mode === "training";
  $("play").innerHTML = training ? "&#x275A;&#x275A; pause" : "&#x25B6; play";
  $("play").classList.toggle("running", training);
  $("epoch").textContent = snap.epoch;
  const fmt = (v) => (v === null ? "-" : v.toPrecision(4));
  $("train-loss").textContent = fmt(snap.loss.train);
  $("test-loss").textContent = fmt(snap.loss.test);
  $("train-acc").textContent = `${(100 * snap.accuracy.train).toFixed(1)}%`;
  $("test-acc").textContent = `${(100 * snap.accuracy.test).toFixed(1)}%`;
  const n = snap.layers.length - 1;
  $("add-layer").disabled = n >= snap.limits.max_hidden_layers;
  $("remove-layer").disabled = n === 0;
  $("download-model").href = `/api/session/${state.sid}/model`;
  $("download-snippet").href = `/api/session/${state.sid}/snippet?download=1`;
  drawBoundary(snap);
  drawNetwork(snap);
  const log = $("log-scale").checked;
  const h = snap.history;
  drawChart($("loss"), [
    { x: h.epoch, y: h.test, colour: "#999", dash: [4, 3] },
    { x: h.epoch, y: h.train, colour: "#222" },
  ], snap.edits.map((e) => ({
    x: e.epoch, colour: e.preserving ? "#2a8a3a" : "#c0392b", label: EDIT_LABELS[e.action] || "*",
  })), log);
  const c = snap.compare;
  const colours = ["#0877bd", "#f59322"];
  drawChart($("compare"), c ? c.runs.map((r, i) => ({
    x: r.epoch, y: r.train, colour: colours[i],
    label: `lr ${r.lr}${r.diverged_at !== null ? ` (diverged at epoch ${r.diverged_at})` : ""}`,
  })) : [], [], log);
  $("compare-stop").disabled = !(c && c.running);
}

// ------------------------------------------------------------------ start
async function start() {
  state.options = await (await fetch("/api/options")).json();
  wireControls();
  await openSession(false);
  // a reload rejoins the session (see openSession), so leaving only pauses it; a closed
  // tab's session is freed after the idle timeout
  window.addEventListener("pagehide", () => {
    if (state.snap && state.snap.mode !== "paused") post(`/api/session/${state.sid}/control`, { action: "pause" }, true);
  });
  window.addEventListener("resize", () => render());
}

start();
