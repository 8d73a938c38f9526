// micrograd explorer: the page. Plain JavaScript, no build step, no dependency; it talks
// to the server's JSON API and draws with SVG and canvas.
'use strict';

const $ = (id) => document.getElementById(id);
const SVG_NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#f0e442', '#666666'];
const RGB = PALETTE.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
const reducedMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
const LECTURE = { program: 'o = tanh(x1*w1 + x2*w2 + b)', inputs: { x1: 2, x2: 0, w1: -3, w2: 1, b: 6.8813735870194432 } };
const README = {
  program: 'c = a + b\nd = a * b + b**3\nc = c + c + 1\nc = c + 1 + c + (-a)\nd = d + d * 2 + relu(b + a)\nd = d + 3 * d + relu(b - a)\ne = c - d\nf = e**2\ng = f / 2.0\ng = g + 10.0 / f',
  inputs: { a: -4, b: 2 },
};

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, text) {
  const e = tag.startsWith('svg:') ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function fixed4(x) {
  if (x === null || x === undefined) return 'NaN';
  const s = x.toFixed(4);
  return s === '-0.0000' ? '0.0000' : s;
}

function full(x) { return x === null || x === undefined ? 'not finite' : String(x); }

async function api(path, body, method) {
  const opts = { method: method || (body === undefined ? 'GET' : 'POST'), headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (_) { data = { error: `the server answered ${r.status}` }; }
  if (!r.ok) {
    const err = new Error(data.error || `HTTP ${r.status}`);
    err.body = data;
    err.status = r.status;
    throw err;
  }
  return data;
}

function debounce(f, ms) {
  let t = null;
  return (...a) => { clearTimeout(t); t = setTimeout(() => f(...a), ms); };
}

// ---------------------------------------------------------------- the URL's state

const url = {
  read() { return new URLSearchParams(location.hash.slice(1)); },
  write() {
    const p = new URLSearchParams();
    p.set('tab', state.tab);
    p.set('program', $('program').value);
    for (const name of expr.names) p.set('in.' + name, String(expr.values[name]));
    for (const [k, id] of TRAIN_FIELDS) {
      const v = $(id).value;
      if (v !== '') p.set(k, v);
    }
    if (train.edits.added.length) p.set('add', train.edits.added.map((a) => a.join(':')).join(';'));
    if (train.edits.removed.size) p.set('del', [...train.edits.removed].join(','));
    history.replaceState(null, '', '#' + p.toString());
  },
};
const TRAIN_FIELDS = [
  ['data', 'data-kind'], ['samples', 'samples'], ['noise', 'noise'], ['classes', 'classes'],
  ['label', 'label-column'], ['layers', 'layers'], ['activation', 'activation'],
  ['output', 'output-activation'], ['loss', 'loss'],
  ['optimizer', 'optimizer'], ['lr', 'lr'], ['schedule', 'schedule'], ['l2', 'l2'],
  ['batch', 'batch'], ['seed', 'seed'], ['steps', 'steps'], ['speed', 'speed'],
];

const state = { tab: 'expr' };

// ---------------------------------------------------------------- tabs

function showTab(tab, focus) {
  state.tab = tab;
  for (const t of ['expr', 'train']) {
    const on = t === tab;
    $('tab-' + t).setAttribute('aria-selected', String(on));
    $('tab-' + t).tabIndex = on ? 0 : -1;
    $('panel-' + t).hidden = !on;
  }
  if (focus) $('tab-' + tab).focus();
  url.write();
}
$('tab-expr').addEventListener('click', () => showTab('expr'));
$('tab-train').addEventListener('click', () => { showTab('train'); train.ensureData(); });
for (const id of ['tab-expr', 'tab-train']) {
  $(id).addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      e.stopPropagation();
      showTab(state.tab === 'expr' ? 'train' : 'expr', true);
      if (state.tab === 'train') train.ensureData();
    }
  });
}

// ---------------------------------------------------------------- graph drawing

// Draws a graph answer ({values, ops, boxes, width, height}) into an <svg>. `grads` (one per
// value) replaces the values' grads (the backward steps); `hl` highlights a value and its
// operation, `operands` the operands it passes its grad to.
function drawGraph(svg, graph, opts = {}) {
  svg.replaceChildren();
  const pad = 8;
  const W = graph.width + 2 * pad, H = graph.height + 2 * pad;
  // Fit the box's width when that keeps the text readable (a scale of 0.5 or more);
  // larger graphs keep their size and scroll.
  const room = svg.parentElement ? svg.parentElement.clientWidth - 4 : W;
  const fit = opts.fit === undefined ? true : opts.fit;
  const scale = fit && room > 0 && W > room && room / W >= 0.5 ? room / W : 1;
  svg.setAttribute('width', W * scale);
  svg.setAttribute('height', H * scale);
  svg.setAttribute('viewBox', `${-pad} ${-pad} ${graph.width + 2 * pad} ${graph.height + 2 * pad}`);
  const vbox = [], obox = [];
  for (const b of graph.boxes) (b.kind === 'value' ? vbox : obox)[b.index] = b;
  const opOf = [];
  graph.ops.forEach((o, j) => { opOf[o.result] = j; });
  const grads = opts.grads || graph.values.map((v) => v.grad);
  const operands = opts.operands || new Set();
  const edges = el('svg:g');
  svg.append(edges);
  const path = (a, b, hl) => {
    const x1 = a.x + a.w, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2, mx = (x1 + x2) / 2;
    edges.append(el('svg:path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: hl ? 'edge hl' : 'edge' }));
  };
  graph.ops.forEach((o, j) => {
    const hl = opts.hl === o.result;
    for (const i of o.inputs) if (vbox[i] && obox[j]) path(vbox[i], obox[j], hl);
    if (obox[j] && vbox[o.result]) path(obox[j], vbox[o.result], hl);
  });
  graph.values.forEach((v, i) => {
    const b = vbox[i];
    if (!b) return;
    const cls = ['vbox'];
    if (v.op === null) cls.push('leaf');
    if (v.root) cls.push('root');
    if (opts.hl === i) cls.push('hl');
    if (operands.has(i)) cls.push('operand');
    const g = el('svg:g', { class: cls.join(' '), 'data-index': i });
    g.append(el('svg:title', {}, `${v.name}: data ${full(v.data)}, grad ${full(grads[i])}`));
    g.append(el('svg:rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 3 }));
    const fields = [];
    if (v.label) fields.push(v.label);
    fields.push('data ' + fixed4(v.data), 'grad ' + fixed4(grads[i]));
    const finalFields = [];
    if (v.label) finalFields.push(v.label);
    finalFields.push('data ' + fixed4(v.data), 'grad ' + fixed4(v.grad));
    const widths = finalFields.map((f) => f.length * 7.93 + 16);
    const total = widths.reduce((a, c) => a + c, 0);
    let x = b.x;
    fields.forEach((f, k) => {
      const w = widths[k] * b.w / total;
      if (k > 0) g.append(el('svg:line', { x1: x, y1: b.y, x2: x, y2: b.y + b.h, class: 'sep' }));
      g.append(el('svg:text', { x: x + w / 2, y: b.y + b.h / 2 + 4.5, 'text-anchor': 'middle' }, f));
      x += w;
    });
    svg.append(g);
  });
  graph.ops.forEach((o, j) => {
    const b = obox[j];
    if (!b) return;
    const g = el('svg:g', { class: opts.hl === o.result ? 'obox hl' : 'obox' });
    g.append(el('svg:title', {}, `operation ${o.text} making ${graph.values[o.result].name}`));
    g.append(el('svg:ellipse', { cx: b.x + b.w / 2, cy: b.y + b.h / 2, rx: b.w / 2, ry: b.h / 2 }));
    g.append(el('svg:text', { x: b.x + b.w / 2, y: b.y + b.h / 2 + 4.5, 'text-anchor': 'middle' }, o.text));
    svg.append(g);
  });
}

// ---------------------------------------------------------------- expression tab

const expr = {
  program: null,
  names: [],
  values: {},
  answer: null,
  step: -1,
  seq: 0,

  async evaluate() {
    const program = $('program').value;
    const seq = ++this.seq;
    const inputs = Object.entries(this.values).map(([name, value]) => ({ name, value }));
    let a;
    try {
      a = await api('/api/expr', { program, inputs });
    } catch (e) {
      if (seq !== this.seq) return;
      this.showError(e);
      return;
    }
    if (seq !== this.seq) return;
    $('parse-error').hidden = true;
    this.answer = a;
    this.names = a.inputs.map((i) => i.name);
    for (const i of a.inputs) this.values[i.name] = i.value;
    // A new program starts at the forward pass; new input values keep the step.
    if (program !== this.program) this.step = -1;
    this.step = Math.min(this.step, a.steps.length - 1);
    this.program = program;
    $('expr-value').textContent = `${a.output} = ${full(a.value)}`;
    this.renderInputs();
    this.renderStep();
    this.nudge();
    url.write();
  },

  showError(e) {
    const b = e.body || {};
    let text = b.error || String(e.message);
    const box = $('parse-error');
    box.textContent = text;
    box.hidden = false;
  },

  renderInputs() {
    const box = $('inputs');
    box.replaceChildren();
    const sel = $('nudge-input');
    const chosen = sel.value;
    sel.replaceChildren();
    for (const i of this.answer.inputs) {
      const row = el('div', { class: 'input-row' });
      const id = 'in-' + i.name;
      row.append(el('label', { for: id, class: 'name' }, i.name));
      const field = el('input', { id, type: 'number', step: 'any', value: String(i.value) });
      const lo = Math.min(-5, Math.floor(i.value) - 1), hi = Math.max(5, Math.ceil(i.value) + 1);
      const slider = el('input', { type: 'range', min: lo, max: hi, step: '0.01', value: String(i.value), 'aria-label': `${i.name} (slider)` });
      const set = (v, from) => {
        if (!Number.isFinite(v)) return;
        this.values[i.name] = v;
        if (from !== field) field.value = String(v);
        if (from !== slider) slider.value = String(v);
        this.later();
      };
      field.addEventListener('input', () => set(parseFloat(field.value), field));
      slider.addEventListener('input', () => set(parseFloat(slider.value), slider));
      row.append(field, slider);
      const ok = i.grad !== null && i.numeric !== null && Math.abs(i.grad - i.numeric) <= 1e-5 * Math.max(1, Math.abs(i.grad));
      const checks = el('div', { class: 'checks' });
      checks.append('grad ', el('span', { class: 'grad', 'data-name': i.name }, full(i.grad)));
      checks.append(el('br'), 'finite difference ', el('span', { class: 'numeric', 'data-name': i.name }, full(i.numeric)), ' ');
      checks.append(el('span', { class: ok ? 'ok' : 'bad' }, ok ? '\u2713 agrees' : '\u2717 differs'));
      row.append(checks);
      box.append(row);
      sel.append(el('option', { value: i.name }, i.name));
    }
    if (this.names.includes(chosen)) sel.value = chosen;
  },

  grads() {
    const a = this.answer;
    const g = a.graph.values.map(() => 0);
    for (let t = 0; t <= this.step && t < a.steps.length; t++) {
      for (const line of a.steps[t].lines) g[line.operand] = line.after;
    }
    return g;
  },

  renderStep() {
    const a = this.answer;
    if (!a) return;
    const n = a.steps.length;
    const s = this.step;
    const grads = this.grads();
    const box = $('step-text');
    box.replaceChildren();
    let hl = null;
    const operands = new Set();
    if (s < 0) {
      box.append(el('p', {}, 'Forward pass done: every value has its data; every grad is 0. Press "Next step" to run backward, one node at a time, in the reverse order of the tape.'));
    } else {
      const st = a.steps[s];
      hl = st.node;
      box.append(el('p', { class: 'head' }, st.text));
      for (const line of st.lines) {
        if (!st.seed) operands.add(line.operand);
        box.append(el('p', { class: line.accumulates ? 'line acc' : 'line' }, line.text));
      }
    }
    $('step-count').textContent = s < 0 ? `forward pass (0 of ${n} backward steps)` : `step ${s + 1} of ${n}`;
    $('step-prev').disabled = s < 0;
    $('step-first').disabled = s < 0;
    $('step-next').disabled = s >= n - 1;
    $('step-last').disabled = s >= n - 1;
    drawGraph($('graph'), a.graph, { grads, hl, operands, fit: $('fit-graph').checked });
    if (hl !== null) {
      const node = $('graph').querySelector(`.vbox[data-index="${hl}"]`);
      if (node) node.scrollIntoView({ block: 'nearest', inline: 'center', behavior: reducedMotion ? 'auto' : 'smooth' });
    }
    const body = $('node-table').tBodies[0];
    body.replaceChildren();
    a.graph.values.forEach((v, i) => {
      const tr = el('tr', { class: i === hl ? 'hl' : undefined });
      tr.append(el('td', {}, String(i)), el('th', { scope: 'row' }, v.name),
        el('td', {}, v.op === null ? 'input' : v.op), el('td', {}, fixed4(v.data)), el('td', {}, fixed4(grads[i])));
      body.append(tr);
    });
  },

  go(s) {
    if (!this.answer) return;
    this.step = Math.max(-1, Math.min(this.answer.steps.length - 1, s));
    this.renderStep();
  },

  async nudge() {
    const a = this.answer;
    const name = $('nudge-input').value;
    const d = parseFloat($('nudge').value);
    $('nudge-delta').textContent = d.toFixed(2);
    const inp = a && a.inputs.find((i) => i.name === name);
    if (!inp) { $('nudge-result').textContent = ''; return; }
    const inputs = Object.entries(this.values).map(([n, v]) => ({ name: n, value: n === name ? v + d : v }));
    try {
      const r = await api('/api/expr/value', { program: $('program').value, inputs });
      const real = r.value - a.value;
      $('nudge-result').textContent = `${name} ${fixed4(inp.value)} \u2192 ${fixed4(inp.value + d)}: the output changes by ${fixed4(real)}; grad \u00d7 change = ${fixed4(inp.grad)} \u00d7 ${d.toFixed(2)} = ${fixed4(inp.grad * d)}`;
    } catch (e) {
      $('nudge-result').textContent = e.message;
    }
  },

  load(preset) {
    $('program').value = preset.program;
    this.values = { ...preset.inputs };
    this.evaluate();
  },
};
expr.later = debounce(() => expr.evaluate(), 120);
$('program').addEventListener('input', () => expr.later());
$('lecture').addEventListener('click', () => expr.load(LECTURE));
$('readme-example').addEventListener('click', () => expr.load(README));
$('step-next').addEventListener('click', () => expr.go(expr.step + 1));
$('step-prev').addEventListener('click', () => expr.go(expr.step - 1));
$('step-first').addEventListener('click', () => expr.go(-1));
$('step-last').addEventListener('click', () => expr.go(1e9));
$('nudge').addEventListener('input', debounce(() => expr.nudge(), 60));
$('nudge-input').addEventListener('change', () => expr.nudge());
$('fit-graph').addEventListener('change', () => expr.renderStep());

// ---------------------------------------------------------------- training tab

const GEN_DEFAULTS = { moons: [100, 0.1, 2], circles: [100, 0.1, 2], blobs: [100, 1.0, 2], spiral: [300, 0.2, 3] };

const train = {
  base: null,          // the data from the server: {points, classes, class_names, extent}
  edits: { added: [], removed: new Set() },
  csvText: null,
  csvName: null,
  session: null,       // {id, command, ...}
  es: null,
  frame: null,
  state: 'idle',
  lastDraw: 0,
  frames: 0,
  summary: '',
  selected: null,

  dataKind() { return $('data-kind').value; },

  // The points trained on: the server's data with the page's edits.
  points() {
    if (!this.base) return { points: [], classes: [] };
    const points = [], classes = [];
    this.base.points.forEach((p, i) => {
      if (!this.edits.removed.has(i)) { points.push(p); classes.push(this.base.classes[i]); }
    });
    for (const [x, y, c] of this.edits.added) { points.push([x, y]); classes.push(c); }
    return { points, classes };
  },

  edited() { return this.edits.added.length > 0 || this.edits.removed.size > 0; },

  csvOfPoints() {
    const { points, classes } = this.points();
    const names = this.base.class_names;
    const lines = ['x0,x1,label'];
    points.forEach((p, i) => lines.push(`${p[0]},${p[1]},${names[classes[i]]}`));
    return lines.join('\n') + '\n';
  },

  // The data part of a request: the generator's (so the command reproduces it) or CSV.
  dataSpec() {
    const kind = this.dataKind();
    if (this.edited() && this.base) return { kind: 'csv', csv: this.csvOfPoints(), file_name: 'explorer-data.csv' };
    if (kind === 'csv') {
      const spec = { kind: 'csv', csv: this.csvText || '', file_name: this.csvName || 'explorer-data.csv' };
      const lc = $('label-column').value.trim();
      if (lc) spec.label_column = lc;
      return spec;
    }
    if (kind === 'demo') return { kind };
    const spec = { kind, samples: parseInt($('samples').value, 10), noise: parseFloat($('noise').value) };
    if (kind === 'blobs' || kind === 'spiral') spec.classes = parseInt($('classes').value, 10);
    return spec;
  },

  request(paused) {
    const opt = (id, f) => { const v = $(id).value.trim(); return v === '' ? undefined : f(v); };
    const layersText = $('layers').value.trim();
    const layers = layersText === '' ? [] : layersText.split(',').map((s) => Number(s.trim()));
    const req = {
      data: this.dataSpec(),
      layers,
      activation: $('activation').value,
      output_activation: $('output-activation').value,
      loss: $('loss').value,
      optimizer: $('optimizer').value,
      schedule: $('schedule').value,
      l2: Number($('l2').value || 0),
      steps: Number($('steps').value || 100),
      seed: Number($('seed').value || 0),
      speed: Number($('speed').value),
      paused: !!paused,
    };
    const lr = opt('lr', Number);
    if (lr !== undefined) req.lr = lr;
    const batch = opt('batch', Number);
    if (batch !== undefined) req.batch_size = batch;
    return req;
  },

  showError(e) {
    const box = $('train-error');
    if (!e) { box.hidden = true; box.textContent = ''; return; }
    const b = e.body || {};
    let text = b.error || String(e.message);
    if (b.line !== undefined && !/line \d+/.test(text)) text += ` (line ${b.line})`;
    box.textContent = text;
    box.hidden = false;
  },

  async loadData() {
    const kind = this.dataKind();
    $('gen-fields').hidden = kind === 'demo' || kind === 'csv';
    $('classes').disabled = !(kind === 'blobs' || kind === 'spiral');
    $('csv-fields').hidden = kind !== 'csv';
    if (kind === 'csv' && this.csvText === null) {
      this.base = null;
      this.drawPoints();
      return;
    }
    const spec = this.dataSpec();
    // The base data is the unedited set: ask without the edits.
    const baseSpec = kind === 'csv'
      ? { kind: 'csv', csv: this.csvText, label_column: spec.label_column }
      : (kind === 'demo' ? { kind } : { kind, samples: parseInt($('samples').value, 10), noise: parseFloat($('noise').value), classes: (kind === 'blobs' || kind === 'spiral') ? parseInt($('classes').value, 10) : undefined });
    try {
      this.base = await api('/api/data', { data: baseSpec, seed: Number($('seed').value || 0) });
      this.showError(null);
    } catch (e) {
      this.base = null;
      this.showError(e);
    }
    this.fillClasses();
    this.drawPoints();
    this.drawLegend();
    this.preview();
  },

  // The learning rate a blank field means (micrograd train's default for the data, the loss,
  // the optimizer and the batch size), asked of the server without starting a run; quiet on
  // errors (Play shows them). Answers out of order are dropped.
  previewSeq: 0,
  preview: debounce(async function () {
    const seq = ++train.previewSeq;
    const show = (lr) => {
      $('lr').placeholder = lr === undefined ? 'default' : `default: ${lr}`;
      $('lr-default').textContent = lr === undefined ? '' : `, here ${lr}`;
    };
    if (!train.base) { show(undefined); return; }
    const req = train.request(true);
    delete req.lr;
    try {
      const plan = await api('/api/config', req);
      if (seq === train.previewSeq) show(plan.lr);
    } catch (_) {
      if (seq === train.previewSeq) show(undefined);
    }
  }, 150),

  ensureData() { if (!this.base && !this.loading) { this.loading = true; this.loadData().finally(() => { this.loading = false; }); } },

  fillClasses() {
    const sel = $('add-class');
    const keep = sel.value;
    sel.replaceChildren();
    if (!this.base) return;
    this.base.class_names.forEach((n, c) => sel.append(el('option', { value: c }, n)));
    if (keep !== '' && Number(keep) < this.base.class_names.length) sel.value = keep;
  },

  drawLegend() {
    const box = $('legend');
    box.replaceChildren();
    if (!this.base) return;
    box.append('Classes: ');
    this.base.class_names.forEach((n, c) => {
      box.append(el('span', { class: 'swatch', style: `background:${PALETTE[c % 8]};height:.8em;width:.8em` }), ` ${n} `);
    });
    box.append(' \u00b7 the background is the network\'s class, stronger where it is surer.');
  },

  toPlane(p) {
    const [x0, x1, y0, y1] = this.base.extent;
    return [(p[0] - x0) / (x1 - x0) * 400, (y1 - p[1]) / (y1 - y0) * 400];
  },

  fromPlane(px, py) {
    const [x0, x1, y0, y1] = this.base.extent;
    return [x0 + px / 400 * (x1 - x0), y1 - py / 400 * (y1 - y0)];
  },

  drawPoints() {
    const svg = $('points');
    svg.replaceChildren();
    if (!this.base) return;
    const { points, classes } = this.points();
    const names = this.base.class_names;
    points.forEach((p, i) => {
      const [cx, cy] = this.toPlane(p);
      const c = el('svg:circle', { cx, cy, r: 4.5, fill: PALETTE[classes[i] % 8], class: i === this.selected ? 'pt sel' : 'pt', 'data-index': i });
      c.append(el('svg:title', {}, `point ${i}: (${fixed4(p[0])}, ${fixed4(p[1])}), class ${names[classes[i]]}`));
      svg.append(c);
    });
  },

  nearest(px, py, radius) {
    const { points } = this.points();
    let best = -1, bd = radius * radius;
    points.forEach((p, i) => {
      const [x, y] = this.toPlane(p);
      const d = (x - px) ** 2 + (y - py) ** 2;
      if (d <= bd) { bd = d; best = i; }
    });
    return best;
  },

  async click(ev) {
    if (!this.base) return;
    const r = $('points').getBoundingClientRect();
    const px = (ev.clientX - r.left) * 400 / r.width, py = (ev.clientY - r.top) * 400 / r.height;
    const mode = document.querySelector('input[name=click-mode]:checked').value;
    if (mode === 'edit') {
      const i = this.nearest(px, py, 7);
      const nBase = this.base.points.length - this.edits.removed.size;
      if (i >= 0) {
        if (i < nBase) {
          const kept = this.base.points.map((_, k) => k).filter((k) => !this.edits.removed.has(k));
          this.edits.removed.add(kept[i]);
        } else {
          this.edits.added.splice(i - nBase, 1);
        }
      } else {
        const [x, y] = this.fromPlane(px, py);
        const c = Number($('add-class').value || 0);
        this.edits.added.push([Number(x.toPrecision(6)), Number(y.toPrecision(6)), c]);
      }
      this.changed();
      this.drawPoints();
      return;
    }
    const i = this.nearest(px, py, 10);
    if (i < 0) return;
    this.selected = i;
    this.drawPoints();
    try {
      if (!this.session) await this.start(true);
      const a = await api(`/api/train/${this.session.id}/point/${i}`);
      const names = this.base.class_names;
      $('point-title').textContent = `Point ${i}: its forward graph`;
      $('point-text').textContent = `point ${i} at (${fixed4(a.point[0])}, ${fixed4(a.point[1])}), class ${a.class_name}: output ${a.outputs.map(fixed4).join(', ')}, predicted ${names[a.predicted]}, loss ${fixed4(a.loss)} (this point alone, no L2); grads of that loss: x0 ${fixed4(a.input_grads[0])}, x1 ${fixed4(a.input_grads[1])}`;
      drawGraph($('point-graph'), a.graph, { hl: a.graph.values.length - 1, fit: false });
      const root = $('point-graph').querySelector(`.vbox[data-index="${a.graph.values.length - 1}"]`);
      if (root) root.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    } catch (e) {
      this.showError(e);
    }
  },

  // Settings changed: the run no longer matches them.
  changed() {
    this.reset();
    url.write();
    this.preview();
  },

  async start(paused) {
    this.showError(null);
    let s;
    try {
      s = await api('/api/train', this.request(paused));
    } catch (e) {
      this.showError(e);
      throw e;
    }
    this.session = s;
    this.state = paused ? 'paused' : 'running';
    $('command').textContent = s.command;
    const csv = this.dataSpec();
    const dl = $('csv-download');
    if (csv.kind === 'csv') {
      dl.hidden = false;
      dl.download = s.csv_name;
      dl.href = URL.createObjectURL(new Blob([csv.csv], { type: 'text/csv' }));
      dl.textContent = `the data as ${s.csv_name}`;
    } else {
      dl.hidden = true;
    }
    for (const [id, f] of [['export-json', 'model.json'], ['export-safetensors', 'model.safetensors'], ['export-svg', 'boundary.svg'], ['export-png', 'boundary.png']]) {
      $(id).href = `/api/train/${s.id}/export/${f}`;
      $(id).setAttribute('download', `micrograd-${f}`);
      $(id).removeAttribute('aria-disabled');
    }
    this.buildNeurons(s.sizes);
    this.listen();
    this.updateButtons();
    return s;
  },

  listen() {
    if (this.es) this.es.close();
    const es = new EventSource(this.session.events);
    this.es = es;
    const id = this.session.id;
    es.addEventListener('frame', (e) => {
      if (!this.session || this.session.id !== id) return;
      this.frame = JSON.parse(e.data);
      this.frames++;
      window.__frames = (window.__frames || 0) + 1;
      if (this.frame.state !== 'done') this.state = this.frame.state;
      requestAnimationFrame(() => this.draw());
    });
    es.addEventListener('done', (e) => {
      es.close();
      if (!this.session || this.session.id !== id) return;
      const d = JSON.parse(e.data);
      this.state = d.state;
      this.updateButtons();
      requestAnimationFrame(() => this.draw(true));
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED && this.es === es) {
        this.showError(new Error('the connection to the server was lost'));
      }
    };
  },

  async control(action) {
    if (!this.session) return;
    try {
      await api(`/api/train/${this.session.id}/control`, { action });
    } catch (e) {
      if (e.status !== 409) this.showError(e);
    }
  },

  async togglePlay() {
    if (this.state === 'running') {
      this.state = 'paused';
      this.updateButtons();
      await this.control('pause');
    } else if (this.state === 'paused') {
      this.state = 'running';
      this.updateButtons();
      await this.control('play');
    } else {
      if (['done', 'stopped', 'failed'].includes(this.state)) this.reset();
      this.state = 'running';
      this.updateButtons();
      try { await this.start(false); } catch (_) { this.state = 'idle'; this.updateButtons(); }
    }
  },

  async step() {
    if (['done', 'stopped', 'failed'].includes(this.state)) return;
    if (!this.session) {
      try { await this.start(true); } catch (_) { return; }
    }
    this.state = 'paused';
    this.updateButtons();
    await this.control('step');
  },

  reset() {
    if (this.es) { this.es.close(); this.es = null; }
    if (this.session) {
      api(`/api/train/${this.session.id}`, undefined, 'DELETE').catch(() => {});
      this.session = null;
    }
    this.frame = null;
    this.state = 'idle';
    this.selected = null;
    const ctx = $('boundary').getContext('2d');
    ctx.clearRect(0, 0, 100, 100);
    $('curves').replaceChildren();
    $('neurons').replaceChildren();
    $('command').textContent = '';
    for (const id of ['export-json', 'export-safetensors', 'export-svg', 'export-png']) {
      $(id).setAttribute('aria-disabled', 'true');
      $(id).href = '#';
    }
    $('train-status').textContent = 'Press Play to train.';
    this.updateButtons();
  },

  updateButtons() {
    const running = this.state === 'running';
    $('play').textContent = running ? 'Pause' : 'Play';
    $('play').setAttribute('aria-pressed', String(running));
    $('step').disabled = ['done', 'stopped', 'failed'].includes(this.state);
  },

  buildNeurons(sizes) {
    const box = $('neurons');
    box.replaceChildren();
    this.neuronCanvases = [];
    for (let l = 1; l < sizes.length - 1; l++) {
      const row = el('div', { class: 'layer' });
      row.append(el('span', {}, `layer ${l}`));
      for (let j = 0; j < sizes[l]; j++) {
        const c = el('canvas', { width: 12, height: 12, role: 'img', 'aria-label': `layer ${l}, neuron ${j + 1}` });
        row.append(c);
        this.neuronCanvases.push(c);
      }
      box.append(row);
    }
  },

  draw(force) {
    const f = this.frame;
    if (!f) return;
    const now = performance.now();
    if (reducedMotion && !force && f.state === 'running' && now - this.lastDraw < 250) return;
    this.lastDraw = now;
    // The boundary: one byte per cell, class << 5 | confidence.
    const n = f.cells;
    const bytes = Uint8Array.from(atob(f.boundary), (ch) => ch.charCodeAt(0));
    const ctx = $('boundary').getContext('2d');
    const img = ctx.createImageData(n, n);
    for (let k = 0; k < n * n; k++) {
      const b = bytes[k], rgb = RGB[(b >> 5) % 8], t = 0.1 + 0.4 * (b & 31) / 31;
      img.data[4 * k] = 255 + (rgb[0] - 255) * t;
      img.data[4 * k + 1] = 255 + (rgb[1] - 255) * t;
      img.data[4 * k + 2] = 255 + (rgb[2] - 255) * t;
      img.data[4 * k + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    // The neurons: 128 is zero, blue above, orange below.
    const m = f.neuron_cells;
    (this.neuronCanvases || []).forEach((c, j) => {
      if (!f.neurons[j]) return;
      const pic = Uint8Array.from(atob(f.neurons[j]), (ch) => ch.charCodeAt(0));
      const cx = c.getContext('2d');
      const im = cx.createImageData(m, m);
      for (let k = 0; k < m * m; k++) {
        const v = (pic[k] - 128) / 127, rgb = v >= 0 ? RGB[0] : RGB[1], t = Math.min(1, Math.abs(v));
        im.data[4 * k] = 255 + (rgb[0] - 255) * t;
        im.data[4 * k + 1] = 255 + (rgb[1] - 255) * t;
        im.data[4 * k + 2] = 255 + (rgb[2] - 255) * t;
        im.data[4 * k + 3] = 255;
      }
      cx.putImageData(im, 0, 0);
    });
    this.drawCurves(f);
    // The numbers.
    const pct = (x) => (x === null || x === undefined || Number.isNaN(x) ? '-' : (100 * x).toFixed(1) + '%');
    let status;
    if (f.state === 'done') {
      status = `done: step ${f.step}/${f.steps} \u00b7 loss ${f.final_loss === null ? '-' : f.final_loss.toFixed(6)} \u00b7 training accuracy ${pct(f.final_accuracy)} (all ${this.points().points.length} points)`;
    } else if (f.state === 'failed' || f.state === 'stopped') {
      status = `${f.state}: ${f.message || ''}`;
    } else if (f.step === 0) {
      status = `step 0/${f.steps}: the network as initialized (seed ${$('seed').value})`;
    } else {
      status = `${f.state === 'paused' ? 'paused at ' : ''}step ${f.step}/${f.steps} \u00b7 loss ${f.loss === null ? '-' : f.loss.toFixed(4)} \u00b7 accuracy ${pct(f.accuracy)} \u00b7 lr ${f.lr === null ? '-' : f.lr.toPrecision(3)}`;
    }
    $('train-status').textContent = status;
    if (f.state === 'failed') this.showError(new Error(f.message));
    this.summary = status;
  },

  drawCurves(f) {
    const svg = $('curves');
    svg.replaceChildren();
    const loss = f.curve.loss, acc = f.curve.accuracy, every = f.curve.every;
    const n = loss.length;
    if (n === 0) return;
    const W = 400, H = 200, L = 30, B = 20;
    const xs = (i) => L + (W - L - 6) * (n === 1 ? 0 : i / (n - 1));
    const finite = loss.filter((v) => v !== null && v > 0);
    const lo = Math.log10(Math.min(...finite, 1)), hi = Math.log10(Math.max(...finite, 1e-9));
    const span = Math.max(hi - lo, 1e-9);
    const ly = (v) => 6 + (H - B - 6) * (1 - (Math.log10(v) - lo) / span);
    const ay = (v) => 6 + (H - B - 6) * (1 - v);
    svg.append(el('svg:line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: '#999' }));
    svg.append(el('svg:text', { x: L, y: H - 5, 'font-size': 11 }, 'step 1'));
    svg.append(el('svg:text', { x: W - 4, y: H - 5, 'font-size': 11, 'text-anchor': 'end' }, `step ${1 + (n - 1) * every}`));
    svg.append(el('svg:text', { x: 2, y: 14, 'font-size': 11 }, (10 ** hi).toPrecision(2)));
    svg.append(el('svg:text', { x: 2, y: H - B, 'font-size': 11 }, (10 ** lo).toPrecision(2)));
    const line = (vals, y, colour) => {
      const pts = [];
      vals.forEach((v, i) => { if (v !== null && (y !== ly || v > 0)) pts.push(`${xs(i).toFixed(1)},${y(v).toFixed(1)}`); });
      svg.append(el('svg:polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
    };
    line(acc, ay, PALETTE[1]);
    line(loss, ly, PALETTE[0]);
  },
};

$('points').addEventListener('click', (e) => train.click(e));
$('play').addEventListener('click', () => train.togglePlay());
$('step').addEventListener('click', () => train.step());
$('reset').addEventListener('click', () => train.reset());
$('speed').addEventListener('change', () => {
  url.write();
  if (train.session) api(`/api/train/${train.session.id}/control`, { action: 'speed', speed: Number($('speed').value) }).catch(() => {});
});
$('copy-command').addEventListener('click', async () => {
  try {
    if (!train.session) await train.start(true);
  } catch (_) { return; }
  const text = $('command').textContent;
  try { await navigator.clipboard.writeText(text); $('copy-command').textContent = 'Copied'; } catch (_) {
    const r = document.createRange(); r.selectNodeContents($('command'));
    const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    $('copy-command').textContent = 'Selected: press Ctrl-C';
  }
  setTimeout(() => { $('copy-command').textContent = 'Copy as command'; }, 2000);
});
$('data-kind').addEventListener('change', () => {
  const d = GEN_DEFAULTS[train.dataKind()];
  if (d) { $('samples').value = d[0]; $('noise').value = d[1]; $('classes').value = d[2]; }
  if (!(train.dataKind() === 'blobs' || train.dataKind() === 'spiral')) $('classes').value = '';
  train.edits = { added: [], removed: new Set() };
  train.changed();
  train.loadData();
});
for (const id of ['samples', 'noise', 'classes', 'seed']) {
  $(id).addEventListener('change', () => { train.edits = { added: [], removed: new Set() }; train.changed(); train.loadData(); });
}
$('label-column').addEventListener('change', () => { train.changed(); train.loadData(); });
for (const id of ['layers', 'activation', 'output-activation', 'loss', 'optimizer', 'lr', 'schedule', 'l2', 'batch', 'steps']) {
  $(id).addEventListener('change', () => train.changed());
}
$('csv-file').addEventListener('change', async () => {
  const f = $('csv-file').files[0];
  if (!f) return;
  if (f.size > 512 * 1024) {
    train.showError(new Error(`${f.name} is ${Math.ceil(f.size / 1024)} KiB; the explorer takes CSV files up to 512 KiB`));
    return;
  }
  train.csvText = await f.text();
  train.csvName = f.name;
  train.edits = { added: [], removed: new Set() };
  train.changed();
  await train.loadData();
});
setInterval(() => {
  if (train.summary && $('summary').textContent !== train.summary) $('summary').textContent = train.summary;
}, 1000);

// ---------------------------------------------------------------- keys

document.addEventListener('keydown', (e) => {
  const t = e.target;
  const tag = t.tagName;
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === ' ' || e.key === 'Spacebar') {
    if (tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY') return; // they take Space themselves
    if (state.tab === 'train') { e.preventDefault(); train.togglePlay(); }
  } else if (e.key === 'ArrowRight') {
    e.preventDefault();
    if (state.tab === 'train') train.step(); else expr.go(expr.step + 1);
  } else if (e.key === 'ArrowLeft') {
    e.preventDefault();
    if (state.tab === 'expr') expr.go(expr.step - 1);
  }
});

// ---------------------------------------------------------------- start

(function init() {
  const p = url.read();
  for (const [k, id] of TRAIN_FIELDS) if (p.has(k)) $(id).value = p.get(k);
  const d = GEN_DEFAULTS[$('data-kind').value];
  if (d) {
    if ($('samples').value === '') $('samples').value = d[0];
    if ($('noise').value === '') $('noise').value = d[1];
    if ($('classes').value === '' && ($('data-kind').value === 'blobs' || $('data-kind').value === 'spiral')) $('classes').value = d[2];
  }
  if (p.has('add')) {
    train.edits.added = p.get('add').split(';').filter(Boolean).map((s) => s.split(':').map(Number)).filter((a) => a.length === 3 && a.every(Number.isFinite));
  }
  if (p.has('del')) train.edits.removed = new Set(p.get('del').split(',').filter(Boolean).map(Number).filter(Number.isInteger));
  if (p.has('program')) {
    $('program').value = p.get('program');
    for (const [k, v] of p.entries()) if (k.startsWith('in.') && Number.isFinite(Number(v))) expr.values[k.slice(3)] = Number(v);
    expr.evaluate();
  } else {
    expr.load(LECTURE);
  }
  showTab(p.get('tab') === 'train' ? 'train' : 'expr');
  if (state.tab === 'train') train.ensureData();
  train.updateButtons();
})();
