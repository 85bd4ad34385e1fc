// The live lab's page script. The engine is gradflow's C++ compiled to WebAssembly
// (lab/lab.cpp, loaded as createGradflowLab); every call takes and returns JSON text, and a
// C++ exception comes back as {"error": message}, shown in the message box.
//
// The URL fragment describes the state, so a teacher can link a prepared lesson:
//   mode=neuron|network
//   neuron:  x1 x2 x3 w1 w2 w3 b (numbers), form=bias|threshold|weight,
//            act=step|sigmoid|tanh|relu, surrogate=none|sigmoid|straight-through, step=K
//   network: preset=moons (tutorial_9_moons exactly), data=moons|xor|circles|curve, points,
//            noise, seed, layers=16,16, act=relu|tanh|sigmoid|identity, lr, lr_drop, schedule,
//            batch, l2, steps=N (train N steps on load, then show the last step's line), and
//            the training view's keys (web/training/app.js): train=K (the timeline's step),
//            unit=L1.n3&node=J or step=N&by=node|unit|layer, sample=S (data row S, from 0:
//            its backward pass from the engine at step K), edges=gradient;
//            lang=zh: network mode's view in Chinese
// For the tests the body carries data-status (loading, ready, error), data-mode, data-y and
// data-loss (full precision), and every drawn node its data-value and data-grad.
'use strict';

(function () {
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  var lab = null;

  var NEURON_FIELDS = ['x1', 'x2', 'x3', 'w1', 'w2', 'w3', 'b'];
  var NEURON_DEFAULT = { x1: 1, x2: 2, x3: 3, w1: 0.5, w2: -0.25, w3: 0.2, b: -0.4 };
  var NET_FIELDS = {  // id: [url key, kind, lo, hi]
    points: ['points', 'int', 4, 2000], noise: ['noise', 'num', 0, 1], seed: ['seed', 'int', 0, 4294967295],
    lr: ['lr', 'num', 1e-6, 100], 'lr-drop': ['lr_drop', 'num', 0, 100],
    schedule: ['schedule', 'int', 1, 1000000], batch: ['batch', 'int', 0, 2000], l2: ['l2', 'num', 0, 10]
  };
  var MOONS = { data: 'moons', points: 100, noise: 0.1, seed: 1, layers: '16,16', act: 'relu',
                lr: 1, lr_drop: 0.9, schedule: 100, batch: 0, l2: 0.0001 };

  // The lab's own words in Chinese (lang=zh); page.html's words carry data-t keys of this table.
  // Network mode's view translates its own (web/training/app.js). Messages (the engine's errors)
  // and neuron mode's step sentences stay English.
  var ZH = {
    neuron: '神经元', network: '网络', lede: 'C++ 引擎在这里运行，编译成了 WebAssembly：每次改动都会重新执行前向和反向传播。',
    inputsLegend: '输入、权重、偏置', formLegend: '形式（同一个神经元，输出相同）',
    formThreshold: 'f(z \u2212 h)，阈值 h = \u2212b', formBias: 'f(z + b)，偏置 b', formWeight: 'f(z + b\u00b71)，b 是常数输入 1 的权重',
    actLegend: '激活函数 f', surrogate: 'step 的反向传播', exact0: '精确：0', sigmoidSurrogate: 'sigmoid 替代梯度',
    straightThrough: '直通：1', firstStep: '第一步（Home）', lastStep: '最后一步（End）', back: '\u25C0 后退', next: '前进 \u25B6',
    dataLegend: '数据与网络', data: '数据', circles: '同心圆', curve: '一维曲线 sin(\u03c0x)', points: '点数', noise: '噪声',
    seed: '随机种子', hidden: '隐藏层', activation: '激活函数', linear: '线性', trainingLegend: '训练（SGD）',
    lr: '学习率', decay: '按计划衰减', schedule: '计划步数', batch: '批大小（0：全部）',
    train: '\u25B6 训练', pause: '\u23F8 暂停', oneStep: '单步', reset: '重置',
    preset: '预设：<a href="#mode=network&amp;preset=moons&amp;steps=100&amp;lang=zh">micrograd 的 moons，100 步</a>（与 <code>tutorial_9_moons</code> 的运行相同）。',
    notTrained: '第 \u2013 步：尚未训练（{0} 个参数，训练图中有 {1} 个节点）'
  };
  function word(key, fallback) { return state.lang === 'zh' && ZH[key] ? ZH[key] : fallback; }
  function translatePage() {
    if (state.lang !== 'zh') return;
    document.querySelectorAll('body > header [data-t], main > aside [data-t], main > section > .stepbar [data-t]')
      .forEach(function (e) { e.textContent = ZH[e.getAttribute('data-t')]; });
    document.querySelectorAll('main > aside [data-t-html]').forEach(function (e) { e.innerHTML = ZH[e.getAttribute('data-t-html')]; });
    document.querySelectorAll('main > section > .stepbar [data-t-title]')
      .forEach(function (e) { e.title = ZH[e.getAttribute('data-t-title')]; });
  }
  // The switch in the header: the same lesson in the other language (a new page load, so that
  // every word is drawn afresh).
  function languageSwitch() {
    var a = $('lang-switch'), h = readHash();
    if (state.lang === 'zh') { delete h.lang; a.textContent = 'English'; a.lang = 'en'; } else { h.lang = 'zh'; }
    a.href = '#' + Object.keys(h).map(function (k) {
      return encodeURIComponent(k) + (h[k] === '' ? '' : '=' + encodeURIComponent(h[k]).replace(/%2C/g, ','));
    }).join('&');
    a.onclick = function (e) { e.preventDefault(); location.hash = a.getAttribute('href'); location.reload(); };
  }

  var state = {
    mode: 'neuron',
    neuron: { values: Object.assign({}, NEURON_DEFAULT), form: 'bias', act: 'sigmoid', surrogate: 'none' },
    result: null, step: 0,
    net: null, netInfo: null, playing: false, busy: false,
    trained: 0, last: null,  // the steps trained, the last one's record (line, loss): no list kept
    viewParams: null, viewHash: ''  // the training view's own fragment keys (train, unit, ...)
  };

  // ---- small helpers ---------------------------------------------------------------------------

  function num(v) {  // the page's numbers: 6 significant digits; NaN and infinities as words
    if (typeof v === 'string') return v === 'Infinity' ? '∞' : v === '-Infinity' ? '−∞' : v;
    if (v === 0) return '0';
    var a = Math.abs(v);
    var s = (a >= 1e-4 && a < 1e6) ? String(Number(v.toPrecision(6))) : v.toExponential(3);
    return s.replace('-', '−');
  }
  function num4(v) {  // edge labels: 4 significant digits
    if (typeof v !== 'number') return num(v);
    var a = Math.abs(v);
    if (v === 0) return '0';
    return ((a >= 1e-3 && a < 1e5) ? String(Number(v.toPrecision(4))) : v.toExponential(2)).replace('-', '−');
  }
  function value(v) {  // a JSON number of the engine, back to a double
    if (typeof v === 'number') return v;
    return v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN;
  }
  function el(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function html(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function showMessage(text) {
    var m = $('message');
    m.textContent = text;
    m.hidden = false;
  }
  function clearMessage() { $('message').hidden = true; $('message').textContent = ''; }
  function call(fn) {
    var r = JSON.parse(lab[fn].apply(lab, Array.prototype.slice.call(arguments, 1)));
    if (r.error) throw new LabError(r.error);
    return r;
  }
  function LabError(message) { this.message = message; }

  // Reads a field: a finite number in [lo, hi] (an integer for 'int'), or a message naming it.
  function readNumber(name, text, kind, lo, hi) {
    var t = String(text).trim();
    var v = Number(t);
    if (t === '' || !isFinite(v)) return { error: name + ': \u2018' + text + '\u2019 is not a number' };
    if (kind === 'int' && Math.floor(v) !== v) return { error: name + ': ' + t + ' is not a whole number' };
    if (v < lo || v > hi) return { error: name + ': ' + t + ' is outside [' + lo + ', ' + hi + ']' };
    return { value: v };
  }

  // ---- the URL fragment ------------------------------------------------------------------------

  function readHash() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf('=');
      var k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
      out[k] = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }
  function writeHash(pairs) {
    var s = Object.keys(pairs).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(pairs[k]).replace(/%2C/g, ',');
    }).join('&');
    history.replaceState(null, '', '#' + s);
  }
  function neuronHash() {
    var n = state.neuron, h = { mode: 'neuron' };
    if (state.lang === 'zh') h.lang = 'zh';
    NEURON_FIELDS.forEach(function (f) { h[f] = n.values[f]; });
    h.form = n.form; h.act = n.act;
    if (n.act === 'step') h.surrogate = n.surrogate;
    h.step = state.step + 1;
    return h;
  }
  function networkHash() {
    var c = state.net, h = { mode: 'network' };
    if (state.lang === 'zh') h.lang = 'zh';
    ['data', 'points', 'noise', 'seed', 'layers', 'act', 'lr', 'lr_drop', 'schedule', 'batch', 'l2']
      .forEach(function (k) { h[k] = c[k]; });
    h.steps = state.trained;
    if (state.viewHash) state.viewHash.split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      h[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
    });
    return h;
  }

  // Applies the fragment; returns the messages of the keys it refused.
  function applyHash() {
    var h = readHash(), errors = [];
    // lang=zh: the training view's words in Chinese (read once, when the view is first drawn).
    state.lang = h.lang === 'zh' ? 'zh' : 'en';
    if (h.lang && h.lang !== 'zh' && h.lang !== 'en') errors.push('lang: \u2018' + h.lang + '\u2019 is not en or zh');
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    var mode = h.mode === 'network' || h.preset ? 'network' : 'neuron';
    if (h.mode && h.mode !== 'network' && h.mode !== 'neuron') errors.push('mode: \u2018' + h.mode + '\u2019 is not neuron or network');
    if (mode === 'neuron') {
      var n = state.neuron;
      NEURON_FIELDS.forEach(function (f) {
        if (!(f in h)) return;
        var r = readNumber(f, h[f], 'num', -1e6, 1e6);
        if (r.error) errors.push(r.error); else n.values[f] = r.value;
      });
      if ('form' in h) {
        if (['bias', 'threshold', 'weight'].indexOf(h.form) >= 0) n.form = h.form;
        else errors.push('form: \u2018' + h.form + '\u2019 is not bias, threshold or weight');
      }
      if ('act' in h) {
        if (['step', 'sigmoid', 'tanh', 'relu'].indexOf(h.act) >= 0) n.act = h.act;
        else errors.push('act: \u2018' + h.act + '\u2019 is not step, sigmoid, tanh or relu');
      }
      if ('surrogate' in h) {
        if (['none', 'sigmoid', 'straight-through'].indexOf(h.surrogate) >= 0) n.surrogate = h.surrogate;
        else errors.push('surrogate: \u2018' + h.surrogate + '\u2019 is not none, sigmoid or straight-through');
      }
      state.step = Infinity;  // the complete pass, unless the link names a step
      if ('step' in h) {
        var s = readNumber('step', h.step, 'int', 1, 1000);
        if (s.error) errors.push(s.error); else state.step = s.value - 1;
      }
    } else {
      var c = Object.assign({}, h.preset === 'moons' ? MOONS : (state.net || MOONS));
      if (h.preset && h.preset !== 'moons') errors.push('preset: \u2018' + h.preset + '\u2019 is not moons');
      if (h.preset !== 'moons') {
        if ('data' in h) {
          if (['moons', 'xor', 'circles', 'curve'].indexOf(h.data) >= 0) c.data = h.data;
          else errors.push('data: \u2018' + h.data + '\u2019 is not moons, xor, circles or curve');
        }
        Object.keys(NET_FIELDS).forEach(function (id) {
          var spec = NET_FIELDS[id], key = spec[0];
          if (!(key in h)) return;
          var r = readNumber(key, h[key], spec[1], spec[2], spec[3]);
          if (r.error) errors.push(r.error); else c[key] = r.value;
        });
        if ('layers' in h) {
          var l = parseLayers(h.layers);
          if (l.error) errors.push(l.error); else c.layers = h.layers;
        }
        if ('act' in h) {
          if (['relu', 'tanh', 'sigmoid', 'identity'].indexOf(h.act) >= 0) c.act = h.act;
          else errors.push('act: \u2018' + h.act + '\u2019 is not relu, tanh, sigmoid or identity');
        }
      }
      c.preset = h.preset === 'moons' ? 'moons' : 'none';
      state.net = c;
      state.pendingSteps = 0;
      if ('steps' in h) {
        var t = readNumber('steps', h.steps, 'int', 0, 100000);
        if (t.error) errors.push(t.error); else state.pendingSteps = t.value;
      }
      // The training view's keys, read by the view itself when it first draws.
      state.viewParams = new Map();
      ['train', 'step', 'by', 'unit', 'node', 'sample', 'edges'].forEach(function (k) {
        if (k in h) state.viewParams.set(k, h[k]);
      });
    }
    state.mode = mode;
    return errors;
  }

  function parseLayers(text) {
    var parts = String(text).split(',');
    if (parts.length < 1 || parts.length > 6) return { error: 'layers: \u2018' + text + '\u2019 is not 1 to 6 sizes' };
    var out = [];
    for (var i = 0; i < parts.length; ++i) {
      var r = readNumber('layers', parts[i], 'int', 1, 64);
      if (r.error) return { error: 'layers: \u2018' + text + '\u2019 needs sizes 1 to 64, separated by commas' };
      out.push(r.value);
    }
    return { value: out };
  }

  // ---- neuron mode -----------------------------------------------------------------------------

  function buildNeuronFields() {
    var box = $('neuron-fields');
    NEURON_FIELDS.forEach(function (f) {
      var row = html('div', { class: 'field' });
      row.appendChild(html('span', {}, f));
      var range = html('input', { type: 'range', min: '-3', max: '3', step: '0.01', id: 'range-' + f,
                                  'aria-label': f + ' slider' });
      var text = html('input', { type: 'text', inputmode: 'decimal', id: 'field-' + f, 'aria-label': f });
      range.addEventListener('input', function () {
        text.value = range.value;
        text.classList.remove('bad');
        state.neuron.values[f] = Number(range.value);
        runNeuron(true);
      });
      text.addEventListener('input', function () {
        var r = readNumber(f, text.value, 'num', -1e6, 1e6);
        if (r.error) { text.classList.add('bad'); showMessage(r.error); return; }
        text.classList.remove('bad');
        state.neuron.values[f] = r.value;
        range.value = String(Math.max(-3, Math.min(3, r.value)));
        runNeuron(true);
      });
      row.appendChild(range);
      row.appendChild(text);
      box.appendChild(row);
    });
    document.querySelectorAll('input[name="form"]').forEach(function (r) {
      r.addEventListener('change', function () { state.neuron.form = r.value; runNeuron(true); });
    });
    $('act').addEventListener('change', function () { state.neuron.act = $('act').value; runNeuron(true); });
    $('surrogate').addEventListener('change', function () {
      state.neuron.surrogate = $('surrogate').value;
      runNeuron(true);
    });
  }

  function syncNeuronFields() {
    var n = state.neuron;
    NEURON_FIELDS.forEach(function (f) {
      $('field-' + f).value = String(n.values[f]);
      $('field-' + f).classList.remove('bad');
      $('range-' + f).value = String(Math.max(-3, Math.min(3, n.values[f])));
    });
    document.querySelectorAll('input[name="form"]').forEach(function (r) { r.checked = r.value === n.form; });
    $('act').value = n.act;
    $('surrogate').value = n.surrogate;
    $('surrogate-label').hidden = n.act !== 'step';
  }

  function runNeuron(fromUser) {
    var n = state.neuron;
    $('surrogate-label').hidden = n.act !== 'step';
    var request = { x: [n.values.x1, n.values.x2, n.values.x3], w: [n.values.w1, n.values.w2, n.values.w3],
                    b: n.values.b, form: n.form, act: n.act, surrogate: n.act === 'step' ? n.surrogate : 'none' };
    try {
      state.result = call('neuron', JSON.stringify(request));
    } catch (e) {
      if (!(e instanceof LabError)) throw e;
      showMessage(e.message);
      return false;
    }
    if (fromUser) { clearMessage(); state.step = state.result.steps.length - 1; }
    state.step = Math.max(0, Math.min(state.step, state.result.steps.length - 1));
    document.body.setAttribute('data-y', String(value(state.result.y)));
    drawNeuron();
    writeHash(neuronHash());
    return true;
  }

  // A layered layout of a small graph, left to right: an op one column right of its last
  // operand, a leaf just left of its first user; rows from the output back, each node at the
  // mean height of its users, then spread so that boxes do not overlap.
  function layout(nodes, boxW, boxH, gapX, gapY) {
    var col = [], users = nodes.map(function () { return []; });
    nodes.forEach(function (n) {
      col[n.id] = 0;
      n.operands.forEach(function (o) { col[n.id] = Math.max(col[n.id], col[o] + 1); users[o].push(n.id); });
    });
    nodes.forEach(function (n) {
      if (n.operands.length === 0 && users[n.id].length)
        col[n.id] = Math.min.apply(null, users[n.id].map(function (u) { return col[u]; })) - 1;
    });
    var maxCol = Math.max.apply(null, col), y = [], columns = [];
    for (var c = 0; c <= maxCol; ++c) columns.push([]);
    nodes.forEach(function (n) { columns[col[n.id]].push(n.id); });
    for (c = maxCol; c >= 0; --c) {
      columns[c].forEach(function (id, i) {
        var u = users[id];
        y[id] = u.length ? u.reduce(function (s, v) { return s + y[v]; }, 0) / u.length + i * 1e-6 : i;
      });
      columns[c].sort(function (a, b) { return y[a] - y[b] || a - b; });
      for (var i = 1; i < columns[c].length; ++i)  // spread downwards so that boxes do not overlap
        y[columns[c][i]] = Math.max(y[columns[c][i]], y[columns[c][i - 1]] + boxH + gapY);
    }
    var minY = Math.min.apply(null, y), maxY = Math.max.apply(null, y);
    var pos = nodes.map(function (n) {
      return { x: 10 + col[n.id] * (boxW + gapX), y: 10 + y[n.id] - minY };
    });
    return { pos: pos, width: 20 + (maxCol + 1) * boxW + maxCol * gapX, height: 20 + maxY - minY + boxH };
  }

  function drawNeuron() {
    var r = state.result, nodes = r.nodes, steps = r.steps, k = state.step;
    var boxW = 112, boxH = 52, gapX = 66, gapY = 10;
    var L = layout(nodes, boxW, boxH, gapX, gapY);
    // Gradients so far: replay steps 0..k.
    var grad = nodes.map(function () { return 0; }), done = {}, litEdges = {}, flowed = {};
    grad[r.root] = 1;
    for (var s = 0; s <= k; ++s) {
      done[steps[s].node] = true;
      steps[s].edges.forEach(function (e) {
        grad[e.operand] = value(e.after);
        (s === k ? litEdges : flowed)[steps[s].node + ':' + e.slot] = e;
      });
    }
    var svg = el('svg', { viewBox: '0 0 ' + L.width + ' ' + L.height, role: 'img',
                          'aria-label': 'the neuron as a graph of primitive nodes' });
    var stepOf = {};
    steps.forEach(function (st, i) { stepOf[st.node] = i; });
    nodes.forEach(function (n) {
      n.operands.forEach(function (o, slot) {
        var a = L.pos[o], b = L.pos[n.id];
        var x1 = a.x + boxW, y1 = a.y + boxH / 2, x2 = b.x, y2 = b.y + boxH / 2 + (slot - (n.operands.length - 1) / 2) * 8;
        var key = n.id + ':' + slot, e = litEdges[key] || flowed[key];
        var st = steps[stepOf[n.id]], edge = st ? st.edges[slot] : null;
        var cls = 'edge';
        if (litEdges[key]) cls += ' lit';
        else if (e) cls += value(e.contribution) !== 0 ? ' flowed' : ' zero';
        if (edge && value(edge.local) === 0 && value(st.upstream) !== 0) cls += ' blocked';
        var g = el('g', { class: cls, id: 'e' + n.id + '_' + slot });
        var mx = (x1 + x2) / 2;
        g.appendChild(el('path', { d: 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2 }));
        if (edge) {  // the local derivative; on a lit edge also the contribution passed back
          var ly = (y1 + y2) / 2 - 4;
          g.appendChild(el('text', { x: mx, y: ly, 'text-anchor': 'middle' }, '\u2202 ' + num4(value(edge.local))));
          if (litEdges[key])
            g.appendChild(el('text', { x: mx, y: ly + 15, 'text-anchor': 'middle' }, '\u2190 ' + num4(value(edge.contribution))));
        }
        svg.appendChild(g);
      });
    });
    nodes.forEach(function (n) {
      var p = L.pos[n.id], cur = steps[k] && steps[k].node === n.id;
      var cls = 'node ' + n.kind + (n.activation ? ' activation' : '') + (cur ? ' current' : '') +
                (n.reached ? '' : ' unreached');
      var g = el('g', { class: cls, id: 'n' + n.id, transform: 'translate(' + p.x + ',' + p.y + ')',
                        'data-value': String(value(n.value)), 'data-grad': String(value(n.grad)) });
      g.appendChild(el('rect', { width: boxW, height: boxH, rx: 7 }));
      var title = n.kind === 'op' ? n.label + ' \u00B7 ' + n.op : n.label;
      g.appendChild(el('text', { x: 7, y: 16, class: 'label' }, title));
      g.appendChild(el('text', { x: 7, y: 31 }, '= ' + num4(value(n.value))));
      g.appendChild(el('text', { x: 7, y: 46, class: 'grad' },
                       'grad ' + (done[n.id] || n.id === r.root ? num4(grad[n.id]) : '\u2026')));
      g.addEventListener('click', function () {
        if (n.id in stepOf) { state.step = stepOf[n.id]; drawNeuron(); writeHash(neuronHash()); }
      });
      svg.appendChild(g);
    });
    var box = $('neuron-graph');
    box.textContent = '';
    box.appendChild(svg);

    // The summary: y, the three forms, the parameters' gradients.
    var params = nodes.filter(function (n) { return n.kind === 'parameter'; });
    var summary = $('neuron-summary');
    summary.textContent = '';
    summary.appendChild(document.createTextNode('y = ' + state.neuron.act + '(' +
      nodes[nodes[r.root].operands[0]].label + ') = '));
    summary.appendChild(html('b', { id: 'y-value' }, num(value(r.y))));
    summary.appendChild(document.createTextNode('   gradients: ' + params.map(function (p) {
      return '\u2202y/\u2202' + p.label + ' = ' + num(value(p.grad));
    }).join(', ')));
    $('forms').textContent = 'y: f(z \u2212 h) = ' + num(value(r.forms.threshold)) + ', f(z + b) = ' +
      num(value(r.forms.bias)) + ', f(z + b\u00B71) = ' + num(value(r.forms.weight));
    var list = $('findings');
    list.textContent = '';
    r.findings.forEach(function (f) { list.appendChild(html('li', {}, f)); });

    // The step bar and the sentence.
    var slider = $('step-slider');
    slider.max = String(steps.length);
    slider.value = String(k + 1);
    $('step-where').textContent = 'step ' + (k + 1) + ' of ' + steps.length;
    var st = steps[k], node = nodes[st.node];
    var sentence = 'Backward step ' + (k + 1) + ': ' + node.label + ' receives \u2202y/\u2202' + node.label +
      ' = ' + num(value(st.upstream));
    if (st.edges.length) {
      sentence += '; it passes ' + st.edges.map(function (e) {
        return num(value(st.upstream)) + ' \u00D7 ' + num(value(e.local)) + ' = ' + num(value(e.contribution)) +
          ' to ' + nodes[e.operand].label;
      }).join(', ') + '.';
    } else {
      sentence += ' (a leaf: its gradient is complete).';
    }
    $('step-sentence').textContent = sentence;
    document.body.setAttribute('data-step', String(k + 1));
  }

  function moveStep(to) {
    if (!state.result) return;
    state.step = Math.max(0, Math.min(to, state.result.steps.length - 1));
    drawNeuron();
    writeHash(neuronHash());
  }

  // ---- network mode ----------------------------------------------------------------------------

  function netConfigFromFields() {
    var c = { preset: 'none', data: $('data').value, act: $('net-act').value }, errors = [];
    Object.keys(NET_FIELDS).forEach(function (id) {
      var spec = NET_FIELDS[id];
      var r = readNumber(spec[0], $(id).value, spec[1], spec[2], spec[3]);
      $(id).classList.toggle('bad', !!r.error);
      if (r.error) errors.push(r.error); else c[spec[0]] = r.value;
    });
    var l = parseLayers($('layers').value);
    $('layers').classList.toggle('bad', !!l.error);
    if (l.error) errors.push(l.error); else c.layers = l.value.join(',');
    return { config: c, errors: errors };
  }

  function syncNetFields() {
    var c = state.net;
    $('data').value = c.data;
    $('net-act').value = c.act;
    $('layers').value = c.layers;
    Object.keys(NET_FIELDS).forEach(function (id) { $(id).value = String(c[NET_FIELDS[id][0]]); $(id).classList.remove('bad'); });
  }

  function resetNetwork() {
    var c = state.net;
    var request = c.preset === 'moons' ? { preset: 'moons' } : {
      data: c.data, points: c.points, noise: c.noise, seed: c.seed, layers: parseLayers(c.layers).value,
      act: c.act, lr: c.lr, lr_drop: c.lr_drop, schedule: c.schedule, batch: c.batch, l2: c.l2 };
    state.playing = false;
    $('train-play').textContent = word('train', '\u25B6 train');
    state.trained = 0;
    state.last = null;
    recordFresh = true;
    try {
      state.netInfo = call('networkReset', JSON.stringify(request));
    } catch (e) {
      if (!(e instanceof LabError)) throw e;
      showMessage(e.message);
      state.netInfo = null;
      return false;
    }
    refreshView();
    return true;
  }

  // Runs f after the browser has handled what is pending (input, painting): a message to
  // ourselves, which, unlike setTimeout, is not clamped to 4 ms after a few nestings.
  var soon = (function () {
    var channel = new MessageChannel(), queue = [];
    channel.port1.onmessage = function () { queue.shift()(); };
    return function (f) { queue.push(f); channel.port2.postMessage(0); };
  })();

  // Trains n steps in chunks of about 30 ms, so that the page stays responsive; calls done()
  // after the last chunk (or after a divergence or an error). `first` steps run in the first
  // chunk: a link's steps=N on load, shown at once (at most 1000, a fraction of a second).
  function train(n, done, first) {
    if (!state.netInfo || state.busy) return;
    state.busy = true;
    var left = n, chunk = Math.max(5, Math.min(first || 0, 1000));
    function run() {
      var t0 = performance.now(), steps = Math.min(chunk, left), r;
      try {
        r = call('networkTrain', steps);
      } catch (e) {
        state.busy = false;
        if (!(e instanceof LabError)) throw e;
        showMessage(e.message);
        if (done) done(false);
        return;
      }
      state.trained += r.records.length;
      if (r.records.length) state.last = r.records[r.records.length - 1];
      left -= r.records.length;
      var dt = performance.now() - t0;
      chunk = Math.max(1, Math.min(500, Math.round(steps * 30 / Math.max(dt, 1))));
      refreshView();
      if (r.diverged) {
        state.busy = false;
        state.playing = false;
        $('train-play').textContent = word('train', '\u25B6 train');
        showMessage('The loss is no longer a number at step ' + (state.trained - 1) + ': ' + r.diverged +
                    '. Lower the learning rate and reset.');
        if (done) done(false);
        return;
      }
      if (left > 0 && (n !== Infinity || state.playing)) { soon(run); return; }
      state.busy = false;
      if (done) done(true);
    }
    run();
  }

  // Network mode draws with web/training's view (window.gradflowTraining): the same network,
  // timeline, charts and unit panel as the training page, fed the record that grows as the
  // engine trains (lab.cpp's network_record: the page's JSON for the steps not yet seen; at most
  // 500 kept, the older ones thinned, so that a long play stays small). A click on a unit or a
  // data point asks the engine for that sample's pass at the chosen step (by iteration number).
  var view = null, record = null, recordFresh = true;
  function trainingView() {
    if (view) return view;
    view = window.gradflowTraining({
      hash: false,
      lang: state.lang,
      params: state.viewParams || new Map(),
      hashKeys: { mode: 'edges' },
      onHash: function (h) { state.viewHash = h; if (state.mode === 'network' && !state.busy) writeHash(networkHash()); },
      active: function () { return state.mode === 'network'; },
      detail: function (row, k) {
        try {
          return call('networkDetail', row, record.steps[k].it);  // by iteration: steps are thinned
        } catch (e) {
          if (!(e instanceof LabError)) throw e;
          showMessage(e.message);
          return null;
        }
      }
    });
    return view;
  }

  function refreshView() {
    if (!state.netInfo) return;
    var last = state.last;
    $('status-line').textContent = last ? last.line : state.lang === 'zh'
      ? ZH.notTrained.replace('{0}', state.netInfo.parameters).replace('{1}', state.netInfo.nodes)
      : 'step \u2013: not trained yet (' + state.netInfo.parameters + ' parameters, ' + state.netInfo.nodes +
        ' nodes in the training graph)';
    if (last) document.body.setAttribute('data-loss', String(value(last.loss)));
    var box = document.querySelector('#network .gf-training');
    box.hidden = !last;
    if (!last) return;
    var more;
    try {
      more = call('networkRecord', recordFresh ? 0 : record.steps[record.steps.length - 1].it + 1);
    } catch (e) {
      if (!(e instanceof LabError)) throw e;
      showMessage(e.message);
      return;
    }
    if (recordFresh) record = more;
    else {
      if (more.kept) {
        // The engine thinned its older steps (at most 500 kept): drop those here too, into a new
        // array, so that the view can still tell which iteration it was showing.
        var kept = new Set(more.kept);
        record.steps = record.steps.filter(function (st) { return kept.has(st.it); });
      }
      Array.prototype.push.apply(record.steps, more.steps);
      Object.assign(record.labels, more.labels);
    }
    document.body.setAttribute('data-kept', String(record.steps.length));
    trainingView().load(record, recordFresh);
    recordFresh = false;
  }

  // ---- modes, keys, start-up -------------------------------------------------------------------

  function showMode(mode) {
    state.mode = mode;
    document.body.setAttribute('data-mode', mode);
    $('neuron').hidden = mode !== 'neuron';
    $('network').hidden = mode !== 'network';
    $('mode-neuron').setAttribute('aria-selected', String(mode === 'neuron'));
    $('mode-network').setAttribute('aria-selected', String(mode === 'network'));
    if (mode === 'network' && view) view.resize();
  }

  function startNetwork(done) {
    syncNetFields();
    if (!resetNetwork()) { done(false); return; }
    var n = state.pendingSteps || 0;
    state.pendingSteps = 0;
    if (n <= 0) { done(true); return; }
    var t0 = performance.now();
    train(n, function (ok) {  // the time the link's steps took, for bench/lab_speed.sh
      document.body.setAttribute('data-train-ms', String(performance.now() - t0));
      done(ok);
    }, n);
  }

  // #selftest (neuron mode): keys, buttons, a click on a node and a change of activation, each
  // followed by the step or y it led to, written into <pre id="selftest"> for the tests.
  function selftest() {
    var out = [], key = function (k) {
      document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    };
    var at = function () { out.push('s' + document.body.getAttribute('data-step')); };
    key('ArrowLeft'); at();
    key('ArrowLeft'); at();
    $('step-first').click(); at();
    key('ArrowRight'); at();
    $('step-last').click(); at();
    $('n0').dispatchEvent(new MouseEvent('click', { bubbles: true })); at();
    $('act').value = 'relu';
    $('act').dispatchEvent(new Event('change'));
    out.push('y=' + document.body.getAttribute('data-y'));
    var text = $('field-w1');
    text.value = 'abc';
    text.dispatchEvent(new Event('input'));
    out.push($('message').hidden ? 'no message' : 'message');
    $('selftest').textContent = out.join(' ');
  }

  // #selftest in network mode: one step, a click on a unit (its primitive nodes), edges by
  // gradient, a click on data point 5 (its pass from the engine), n (the next node of the pass),
  // a reset with other layers, a reset with a bad learning rate; written into <pre id="selftest">.
  function networkSelftest() {
    var out = [], body = document.body;
    var seen = function () {
      return body.getAttribute('data-unit') + ' rows=' + $('nodes-body').children.length + ' step=' +
        body.getAttribute('data-step');
    };
    $('one').click();
    out.push('k' + state.trained + ' it=' + body.getAttribute('data-train'));
    document.querySelector('#net [data-unit="L1.n1"]').dispatchEvent(new MouseEvent('click', { bubbles: true }));
    out.push(seen());
    document.querySelector('input[name=mode][value=gradient]').click();
    out.push(document.getElementById('legend').textContent.indexOf('|gradient|') >= 0 ? 'by-grad' : 'by-weight');
    document.querySelector('#decision circle.pt[data-sample="5"]').dispatchEvent(new MouseEvent('click', { bubbles: true }));
    out.push('sample' + body.getAttribute('data-sample') + ' ' + seen() + ' ' +
      ($('detail-note').textContent.indexOf("Sample #5's backward pass at iteration 3") === 0 ? 'note' : 'no note'));
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'n', bubbles: true }));
    out.push(seen());
    $('layers').value = '4';
    $('reset').click();
    out.push('p' + state.netInfo.parameters + ' k' + state.trained);
    $('lr').value = 'fast';
    $('reset').click();
    out.push($('message').hidden ? 'no message' : 'message');
    $('selftest').textContent = out.join(' | ');
  }

  function load() {
    var wantSelftest = 'selftest' in readHash();
    var errors = applyHash();
    translatePage();
    languageSwitch();
    showMode(state.mode);
    if (errors.length) showMessage(errors.join('; '));
    var finish = function () { document.body.setAttribute('data-status', 'ready'); };
    if (state.mode === 'neuron') {
      syncNeuronFields();
      runNeuron(false);
      if (wantSelftest) selftest();
      finish();
    } else {
      if (!state.net) state.net = Object.assign({ preset: 'none' }, MOONS);
      startNetwork(function () {
        var sm = state.viewParams && state.viewParams.get('sample');
        if (sm !== undefined && state.netInfo && !(Number(sm) >= 0 && Number(sm) < state.netInfo.points.length &&
                                                   Math.floor(Number(sm)) === Number(sm)))
          showMessage('sample: \u2018' + sm + '\u2019 is not a row in [0, ' + (state.netInfo.points.length - 1) + ']');
        if (wantSelftest) networkSelftest();
        finish();
      });
    }
  }

  function wire() {
    buildNeuronFields();
    $('mode-neuron').addEventListener('click', function () {
      showMode('neuron'); syncNeuronFields(); runNeuron(false);
    });
    $('mode-network').addEventListener('click', function () {
      showMode('network');
      if (!state.net) state.net = Object.assign({ preset: 'none' }, MOONS);
      if (!state.netInfo) { syncNetFields(); resetNetwork(); }
      writeHash(networkHash());
    });
    $('step-first').addEventListener('click', function () { moveStep(0); });
    $('step-prev').addEventListener('click', function () { moveStep(state.step - 1); });
    $('step-next').addEventListener('click', function () { moveStep(state.step + 1); });
    $('step-last').addEventListener('click', function () { moveStep(Infinity); });
    $('step-slider').addEventListener('input', function () { moveStep(Number($('step-slider').value) - 1); });
    document.addEventListener('keydown', function (e) {
      if (state.mode !== 'neuron' || e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT') return;
      if (e.key === 'ArrowRight' || e.key === 'n') moveStep(state.step + 1);
      else if (e.key === 'ArrowLeft' || e.key === 'p') moveStep(state.step - 1);
      else if (e.key === 'Home') moveStep(0);
      else if (e.key === 'End') moveStep(Infinity);
      else return;
      e.preventDefault();
    });
    function applyFields() {
      var r = netConfigFromFields();
      if (r.errors.length) { showMessage(r.errors.join('; ')); return false; }
      clearMessage();
      state.net = r.config;
      return resetNetwork();
    }
    $('reset').addEventListener('click', function () { if (applyFields()) writeHash(networkHash()); });
    ['data', 'net-act'].forEach(function (id) { $(id).addEventListener('change', function () { applyFields(); }); });
    $('one').addEventListener('click', function () {
      if (!state.netInfo) return;
      state.playing = false;
      $('train-play').textContent = word('train', '\u25B6 train');
      train(1, function () { writeHash(networkHash()); });
    });
    $('train-play').addEventListener('click', function () {
      if (!state.netInfo) return;
      state.playing = !state.playing;
      $('train-play').textContent = state.playing ? word('pause', '\u23F8 pause') : word('train', '\u25B6 train');
      if (state.playing) train(Infinity, function () { writeHash(networkHash()); });
      else writeHash(networkHash());
    });
    window.addEventListener('hashchange', function () {
      clearMessage();
      state.netInfo = null;
      load();
    });
    window.addEventListener('resize', function () { if (state.mode === 'network' && view) view.resize(); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    wire();
    /* global createGradflowLab */
    createGradflowLab().then(function (module) {
      lab = module;
      load();
    }, function (e) {
      showMessage('The WebAssembly engine did not load: ' + e);
      document.body.setAttribute('data-status', 'error');
    });
  });
})();
