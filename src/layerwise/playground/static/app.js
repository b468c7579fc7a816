// layerwise playground: the page only draws and sends; the server validates and trains.
"use strict";

const NEG = [245, 147, 34];
const MID = [236, 237, 238];
const POS = [8, 119, 189];
const CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b"];
const CLASS_RGB = CLASS_COLOURS.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));

const $ = (id) => document.getElementById(id);
const state = { snap: null, points: null, sid: null, options: null, events: null, shownMessage: 0, featuresPending: 0 };
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
  if (d.dataset === "csv" && !$("dataset").querySelector("option[value=csv]")) {
    const o = document.createElement("option"); o.value = "csv"; o.textContent = "your CSV";
    $("dataset").appendChild(o);
  }
  set($("dataset"), d.dataset);
  if (force || !state.featuresPending) { // a click the server has not answered yet stays as clicked
    for (const box of document.querySelectorAll("#features input")) box.checked = snap.features.includes(box.value);
  }
  set($("l1"), s.l1);
  syncAddClass(snap);
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

function wireFeatures() {
  const box = $("features");
  for (const name of state.options.features) {
    const label = document.createElement("label");
    label.className = "feature";
    label.innerHTML = `<input type="checkbox" value="${name}"> ${name.replace("^2", "&sup2;")}`;
    box.appendChild(label);
  }
  box.onchange = async () => {
    const chosen = Array.from(box.querySelectorAll("input:checked"), (el) => el.value);
    state.featuresPending += 1;
    try { await call("/settings", { features: chosen }); } finally { state.featuresPending -= 1; }
  };
}

function syncAddClass(snap) {
  const el = $("add-class");
  const labels = snap.data.task === "regression" ? ["+1", "-1"]
    : Array.from({ length: snap.data.n_classes }, (_, k) => `class ${k}`);
  const key = labels.join("|");
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  const keep = el.value;
  el.innerHTML = '<option value="">off</option>';
  labels.forEach((text, k) => {
    const o = document.createElement("option");
    o.value = snap.data.task === "regression" ? (k === 0 ? "1" : "-1") : String(k);
    o.textContent = text; el.appendChild(o);
  });
  el.value = Array.from(el.options).some((o) => o.value === keep) ? keep : "";
}

function wireControls() {
  fillSelect($("dataset"), state.options.datasets);
  fillSelect($("optimizer"), state.options.optimizers);
  wireFeatures();
  $("l1").onchange = (e) => call("/settings", { l1: numberOrText(e.target) });
  for (const id of ["show-test", "discretize"]) $(id).onchange = () => render();
  $("add-class").onchange = () => { $("boundary").classList.toggle("adding", $("add-class").value !== ""); };
  $("boundary").onclick = (e) => addPoint(e);
  $("csv-file").onchange = async (e) => {
    const file = e.target.files[0];
    if (file) await call("/csv", { csv: await file.text(), name: file.name });
    e.target.value = "";
  };
  $("share").onclick = () => share();
  wireNetworkCanvas();
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
    epochs: numberOrText($("compare-epochs")), from: $("compare-current").checked ? "current" : "fresh",
  });
  $("compare-stop").onclick = () => call("/compare", { action: "stop" });
  $("log-scale").onchange = () => render();
  $("show-snippet").onclick = async () => {
    const r = await fetch(`/api/session/${state.sid}/snippet`);
    $("snippet").textContent = await r.text();
    $("snippet-box").hidden = false;
  };
}

function addPoint(e) {
  const label = $("add-class").value, p = state.points;
  if (label === "" || !p) return;
  const c = $("boundary"), r = c.getBoundingClientRect(), dom = p.domain;
  const x = dom.x0 + (e.clientX - r.left) / r.width * (dom.x1 - dom.x0);
  const y = dom.y1 - (e.clientY - r.top) / r.height * (dom.y1 - dom.y0);
  const value = p.task === "regression" ? Number(label) * p.scale : Number(label); // +-1: the range's ends
  call("/data", { add_point: [+x.toFixed(4), +y.toFixed(4), value] });
}

let layerKey = "";
function renderLayerControls(snap) {
  const hidden = snap.layers.slice(0, -1);
  const key = JSON.stringify([snap.layers.map((l) => [l.units, l.activation]), snap.features]) + snap.data.data_version;
  if (key === layerKey) return;
  layerKey = key;
  const box = $("layer-controls");
  box.innerHTML = "";
  const cell = (html) => { const d = document.createElement("div"); d.innerHTML = html; box.appendChild(d); return d; };
  cell(`<div class="units">${snap.features.length}</div>inputs`);
  hidden.forEach((layer, i) => {
    const d = cell(`<div><button class="remove-neuron" title="prune: keep the neurons that matter most, refit the next layer">&minus;</button>
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
  const b = snap.boundary, values = decode(b.values), sharp = $("discretize").checked;
  let img;
  if (b.kind !== "multiclass") { // binary: 2p - 1; regression: the prediction itself
    const scale = b.kind === "binary" ? 0.75 : 1;
    img = mapImage(values, 0, b.grid, (q) => {
      const v = q / 127.5 - 1;
      return heat(sharp ? Math.sign(v) * 0.75 : v * scale);
    });
  } else {
    const cls = decode(b.classes);
    img = mapImage(values, 0, b.grid, (q, i) => {
      const c = CLASS_RGB[cls[i] % CLASS_RGB.length], u = sharp ? 0.6 : 0.15 + 0.55 * (q / 255);
      return [0, 1, 2].map((k) => Math.round(MID[k] + (c[k] - MID[k]) * u));
    });
  }
  ctx.imageSmoothingEnabled = !sharp;
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  const p = state.points;
  if (!p) return;
  const dom = p.domain;
  const sx = (x) => (x - dom.x0) / (dom.x1 - dom.x0) * canvas.width;
  const sy = (y) => (dom.y1 - y) / (dom.y1 - dom.y0) * canvas.height;
  const colour = (label) => (p.task === "regression" ? `rgb(${heat(label / p.scale).join(",")})`
    : CLASS_COLOURS[label % CLASS_COLOURS.length]);
  const dot = (x, y, label, test) => {
    ctx.beginPath();
    ctx.arc(sx(x), sy(y), test ? 3.6 : 3.2, 0, 2 * Math.PI);
    ctx.fillStyle = colour(label);
    ctx.fill();
    ctx.lineWidth = test ? 1.6 : 1;
    ctx.strokeStyle = test ? "#000" : "#fff";
    ctx.stroke();
  };
  p.train.X.forEach((xy, i) => dot(xy[0], xy[1], p.train.y[i], false));
  if ($("show-test").checked) p.test.X.forEach((xy, i) => dot(xy[0], xy[1], p.test.y[i], true));
}

function drawNetwork(snap) {
  const canvas = $("network");
  const sizes = [snap.features.length, ...snap.layers.map((l) => l.units)];
  const most = Math.max(...sizes);
  const width = canvas.clientWidth || 640, H = Math.max(460, 24 + most * 20);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== H) canvas.height = H;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const cols = sizes.length;
  const s = Math.max(6, Math.min(34, (H - 12) / most - 4));
  const gap = Math.min(10, (H - 12 - most * s) / Math.max(most, 1));
  const colX = (k) => (k + 0.5) * canvas.width / cols;
  const nodeY = (k, j) => H / 2 + (j - (sizes[k] - 1) / 2) * (s + gap);
  const geom = { lines: [], nodes: [], s };
  // weights first, under the neurons
  snap.weights.forEach((w, k) => {
    let big = 1e-9;
    for (const row of w.W) for (const x of row) big = Math.max(big, Math.abs(x));
    w.W.forEach((row, i) => row.forEach((x, j) => {
      const r = Math.abs(x) / big;
      const line = { layer: k, from: i, to: j, value: x,
        x0: colX(k) + s / 2, y0: nodeY(k, i), x1: colX(k + 1) - s / 2, y1: nodeY(k + 1, j) };
      geom.lines.push(line);
      ctx.strokeStyle = `rgba(${(x < 0 ? NEG : POS).join(",")},${0.15 + 0.75 * r})`;
      ctx.lineWidth = 0.4 + 4 * r;
      ctx.beginPath(); ctx.moveTo(line.x0, line.y0); ctx.lineTo(line.x1, line.y1); ctx.stroke();
    }));
  });
  ctx.imageSmoothingEnabled = false;
  const node = (bytes, offset, grid, x, y, info) => {
    const img = mapImage(bytes, offset, grid, (q) => heat(q / 127.5 - 1));
    ctx.drawImage(img, x - s / 2, y - s / 2, s, s);
    ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
    ctx.strokeRect(x - s / 2 - 0.5, y - s / 2 - 0.5, s + 1, s + 1);
    geom.nodes.push({ ...info, x, y, bytes, offset, grid });
  };
  const inp = snap.inputs, ib = decode(inp.values), n0 = inp.grid * inp.grid;
  inp.names.forEach((name, j) => {
    node(ib, j * n0, inp.grid, colX(0), nodeY(0, j), { layer: -1, j, name });
    ctx.fillStyle = "#444"; ctx.font = "11px sans-serif"; ctx.textAlign = "right";
    ctx.fillText(name.replace("^2", "\u00b2"), colX(0) - s / 2 - 4, nodeY(0, j) + 4);
    ctx.textAlign = "left";
  });
  snap.neurons.forEach((layer) => {
    const bytes = decode(layer.values), n = layer.grid * layer.grid;
    for (let j = 0; j < layer.units; j++) {
      const bias = snap.weights[layer.layer].b[j];
      node(bytes, j * n, layer.grid, colX(layer.layer + 1), nodeY(layer.layer + 1, j),
        { layer: layer.layer, j, bias, name: `neuron ${j} of layer ${layer.layer}` });
    }
  });
  state.geom = geom;
}

function segmentDistance(px, py, l) {
  const dx = l.x1 - l.x0, dy = l.y1 - l.y0;
  const t = Math.max(0, Math.min(1, ((px - l.x0) * dx + (py - l.y0) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (l.x0 + t * dx), py - (l.y0 + t * dy));
}

function hitTest(e) {
  const c = $("network"), r = c.getBoundingClientRect();
  const x = (e.clientX - r.left) * c.width / r.width, y = (e.clientY - r.top) * c.height / r.height;
  const g = state.geom;
  if (!g) return {};
  const node = g.nodes.find((n) => Math.abs(n.x - x) <= g.s / 2 + 2 && Math.abs(n.y - y) <= g.s / 2 + 2);
  if (node) return { node };
  let best = null, dist = 5;
  for (const l of g.lines) {
    const d = segmentDistance(x, y, l);
    if (d < dist) { dist = d; best = l; }
  }
  return { line: best };
}

function inputName(layer, i) {
  return layer === 0 ? state.snap.features[i] : `neuron ${i} of layer ${layer - 1}`;
}

function openEditor(e, target) {
  const ed = $("weight-editor"), panel = $("network-panel").getBoundingClientRect();
  const isBias = target.from === -1;
  const out = target.layer === state.snap.layers.length - 1 ? "the output" : `neuron ${target.to} of layer ${target.layer}`;
  $("weight-label").textContent = isBias ? `bias of ${out}` : `weight ${inputName(target.layer, target.from)} \u2192 ${out}`;
  $("weight-value").value = target.value;
  ed.dataset.target = JSON.stringify(target);
  ed.style.left = `${e.clientX - panel.left + 8}px`;
  ed.style.top = `${e.clientY - panel.top + $("network-panel").scrollTop + 8}px`;
  ed.hidden = false;
  $("weight-value").focus();
  $("weight-value").select();
}

function showHover(e, node) {
  const box = $("hover-map"), c = $("hover-canvas"), panel = $("network-panel").getBoundingClientRect();
  if (!node) { box.hidden = true; return; }
  const img = mapImage(node.bytes, node.offset, node.grid, (q) => heat(q / 127.5 - 1));
  const ctx = c.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(img, 0, 0, c.width, c.height);
  $("hover-label").textContent = node.layer < 0 ? `input ${node.name}`
    : `${node.name}, bias ${Number(node.bias).toFixed(3)} (click to edit)`;
  box.style.left = `${e.clientX - panel.left + 16}px`;
  box.style.top = `${e.clientY - panel.top + $("network-panel").scrollTop + 16}px`;
  box.hidden = false;
}

function wireNetworkCanvas() {
  const c = $("network");
  c.onmousemove = (e) => {
    const hit = hitTest(e);
    showHover(e, hit.node);
    c.style.cursor = hit.line || (hit.node && hit.node.layer >= 0) ? "pointer" : "default";
    c.title = hit.line ? `weight ${hit.line.value} (click to edit)` : "";
  };
  c.onmouseleave = () => { $("hover-map").hidden = true; };
  c.onclick = (e) => {
    const hit = hitTest(e);
    if (hit.line) openEditor(e, { layer: hit.line.layer, from: hit.line.from, to: hit.line.to, value: hit.line.value });
    else if (hit.node && hit.node.layer >= 0) {
      openEditor(e, { layer: hit.node.layer, from: -1, to: hit.node.j, value: hit.node.bias });
    }
  };
  const apply = async () => {
    const t = JSON.parse($("weight-editor").dataset.target);
    const r = await call("/network", { action: "set_weight", layer: t.layer, from: t.from, to: t.to, value: numberOrText($("weight-value")) });
    if (r) $("weight-editor").hidden = true;
  };
  $("weight-set").onclick = apply;
  $("weight-value").onkeydown = (e) => {
    if (e.key === "Enter") apply();
    if (e.key === "Escape") $("weight-editor").hidden = true;
  };
  $("weight-cancel").onclick = () => { $("weight-editor").hidden = true; };
}

function decade(k) { // 10^k, readable: 0.001 .. 1000 written out, beyond as 1e-5
  return Math.abs(k) <= 3 ? String(+Math.pow(10, k).toPrecision(1)) : `1e${k}`;
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
  ctx.font = "11px sans-serif";
  // log scale: a labelled tick at every decade shown, faint lines at 2..9 times each
  const yTicks = logScale ? Array.from({ length: Math.round(y1 - y0) + 1 }, (_, k) => y0 + k)
    : niceTicks(y0, y1, 4);
  if (logScale && y1 - y0 <= 4) {
    ctx.strokeStyle = "#f3f3f3";
    for (let d = y0; d < y1; d++) for (let m = 2; m < 10; m++) {
      const yy = py(d + Math.log10(m));
      ctx.beginPath(); ctx.moveTo(L, yy); ctx.lineTo(W - R, yy); ctx.stroke();
    }
  }
  canvas.dataset.ticks = yTicks.map((v) => (logScale ? decade(Math.round(v)) : +v.toPrecision(3))).join(" ");
  for (const v of yTicks) {
    const yy = py(v);
    ctx.strokeStyle = "#e2e2e2"; ctx.beginPath(); ctx.moveTo(L, yy); ctx.lineTo(W - R, yy); ctx.stroke();
    ctx.fillText(logScale ? decade(Math.round(v)) : +v.toPrecision(3), L - 4, yy + 4);
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
  const pct = (v) => (v === null ? "-" : `${(100 * v).toFixed(1)}%`);
  $("train-acc").textContent = pct(snap.accuracy.train);
  $("test-acc").textContent = pct(snap.accuracy.test);
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
    label: `lr ${r.lr}${r.diverged_at !== null ? ` (diverged at epoch ${r.diverged_at})` : r.verdict ? ` (${r.verdict})` : ""}`,
  })) : [], [], log);
  $("compare-stop").disabled = !(c && c.running);
  keepUrl(snap);
}

// ------------------------------------------------------------------ the whole state in the URL
// #dataset=gauss&noise=0.2&...&units=5,3&act=relu,tanh&seed=7: a shared link rebuilds the same
// network from the same seed, so the same run; the page keeps its own address up to date
const URL_KEYS = {
  dataset: "dataset", noise: "noise", test: "test_ratio", n: "n_samples", dseed: "data_seed",
  features: "features", units: "units", act: "activations", opt: "optimizer", lr: "lr",
  batch: "batch_size", l1: "l1", l2: "l2", seed: "seed",
};
const LISTS = new Set(["features", "units", "activations"]);
const NUMBERS = new Set(["noise", "test_ratio", "n_samples", "data_seed", "lr", "batch_size", "l1", "l2", "seed"]);

function snapToBody(snap) {
  const d = snap.data, s = snap.settings, hidden = snap.layers.slice(0, -1);
  const body = {
    features: snap.features, units: hidden.map((l) => l.units),
    activations: hidden.map((l) => l.activation), optimizer: s.optimizer, lr: s.lr,
    batch_size: s.batch_size, l1: s.l1, l2: s.l2, seed: snap.seed,
  };
  if (d.dataset !== "csv") {
    Object.assign(body, { dataset: d.dataset, noise: d.noise, test_ratio: d.test_ratio, n_samples: d.n_samples, data_seed: d.seed });
  }
  return body;
}

function bodyToHash(body) {
  const out = [];
  for (const [short, key] of Object.entries(URL_KEYS)) {
    if (!(key in body)) continue;
    const v = body[key];
    out.push(`${short}=${encodeURIComponent(LISTS.has(key) ? v.join(",") : v).replace(/%2C/g, ",")}`);
  }
  return out.join("&");
}

function hashToBody(hash) {
  const body = {};
  for (const part of hash.replace(/^#/, "").split("&")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = URL_KEYS[part.slice(0, at)];
    if (!key) continue;
    const raw = decodeURIComponent(part.slice(at + 1).replace(/\+/g, " "));
    const num = (t) => (t.trim() !== "" && !Number.isNaN(Number(t)) ? Number(t) : t);
    if (LISTS.has(key)) body[key] = raw === "" ? [] : raw.split(",").map((t) => (key === "units" ? num(t) : t));
    else body[key] = NUMBERS.has(key) ? num(raw) : raw;
  }
  return body;
}

// what only the page draws, in the link too (TensorFlow Playground's showTestData, discretize)
const VIEW = { showtest: ["show-test", true], discrete: ["discretize", false], log: ["log-scale", false] };

function viewHash() {
  return Object.entries(VIEW).filter(([, [id, dflt]]) => $(id).checked !== dflt)
    .map(([key, [id]]) => `&${key}=${$(id).checked ? 1 : 0}`).join("");
}

function applyView(hash) {
  for (const part of hash.replace(/^#/, "").split("&")) {
    const [key, value] = part.split("=");
    if (VIEW[key]) $(VIEW[key][0]).checked = value === "1";
  }
}

function keepUrl(snap) {
  if (state.applyingUrl) return; // the link's state is on its way: do not overwrite it
  const hash = bodyToHash(snapToBody(snap)) + viewHash();
  if (location.hash.slice(1) !== hash) history.replaceState(null, "", `#${hash}`);
}

async function applyUrl(hash) {
  applyView(hash);
  if (state.snap) render();
  const wanted = hashToBody(hash);
  if (!Object.keys(wanted).length) return;
  const current = snapToBody(state.snap);
  if (bodyToHash({ ...current, ...wanted }) === bodyToHash(current)) return; // a reload: keep it
  state.applyingUrl = true;
  const r = await call("/state", { ...current, ...wanted });
  const fresh = r ? await call("") : null; // newer than any snapshot still on its way
  state.applyingUrl = false;
  if (fresh) await applySnapshot(fresh);
  if (r) showMessage("info", "Rebuilt the network and settings of this link (press play for the same run).");
}

async function share() {
  const link = location.href;
  $("share-link").value = link;
  $("share-box").hidden = false;
  $("share-link").select();
  try {
    await navigator.clipboard.writeText(link);
    showMessage("info", "Link copied: it rebuilds this data, network and settings, with the same seed.");
  } catch (err) {
    showMessage("info", "Copy the link shown under the share button.");
  }
}

// ------------------------------------------------------------------ start
async function start() {
  const hash = location.hash;
  state.applyingUrl = hash.length > 1;
  state.options = await (await fetch("/api/options")).json();
  wireControls();
  await openSession(false);
  state.applyingUrl = false;
  if (hash.length > 1) await applyUrl(hash);
  else if (state.snap) keepUrl(state.snap);
  // a reload rejoins the session (see openSession), so leaving only pauses it; a closed
  // tab's session is freed after the idle timeout
  window.addEventListener("pagehide", () => {
    if (state.snap && state.snap.mode !== "paused") post(`/api/session/${state.sid}/control`, { action: "pause" }, true);
  });
  window.addEventListener("resize", () => render());
  window.addEventListener("hashchange", () => applyUrl(location.hash)); // a link pasted or edited
  state.ready = true;
}

start();
