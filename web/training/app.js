// The training page (views/training_view.cpp fills page.html with this file). It replays a
// TrainingRecord; it computes no gradient. d3 (vendored from the npm registry at build time)
// draws the scales, axes and curves, and handles zoom and pan.
//
// The data (the JSON in the element #gf-data):
//   sizes        [n_inputs, hidden..., n_outputs]
//   units        [name, layer, index, n_inputs, first_param, activation op name] per unit,
//                layer by layer, top first
//   paramNames   the parameters' labels, in the network's order
//   colors       activation op name -> [line colour, fill]   (views/look.hpp)
//   marks        {blocked, saturated} colours
//   heat         views/look.hpp's |gradient| decades: [at least, colour, pen width], largest first
//   x, y, features   the data set (features row-major, one target per sample)
//   scoreThreshold, targetThreshold   the trainer's accuracy rule: right when
//                (score > scoreThreshold) == (target > targetThreshold)
//   grid         {n, x: [min, max], y: [min, max]} for 2-D inputs, or absent
//   labels       node id -> label, for the nodes and operands of the recorded backward passes
//   steps        one per recorded iteration:
//     it, loss (a number), lossText (the loss as the trainer printed it), progress (the line it
//     printed), acc, lr, p (parameters before the update), g (their batch gradients),
//     u: per unit [mean pre-activation, mean output, blocked fraction, saturated fraction,
//        mean |d loss / d output|],
//     map: the score on the grid, umaps: per unit its output on the grid; each {lo, hi, b64}
//        with 8-bit levels (level k stands for lo + (hi - lo) k / 255),
//     detail (some iterations): [{sample, units: per unit, its nodes in backward order:
//        [node id, op, value, upstream gradient, passed, edges: [[operand id, local
//        derivative, contribution, operand's gradient after], ...], saturated, the node's
//        position in the whole backward pass]}]
// Numbers that are not finite arrive as the strings "NaN", "Infinity", "-Infinity".
//
// app.js defines window.gradflowTraining(options), the view as a reusable module: it draws into
// the markup of view.html (in the page) and returns {load(data, reset), resize(), go(k), state}.
// The training page calls it once with the JSON of #gf-data; the live lab (web/lab/app.js) calls
// load() again as its record grows (the same JSON, more steps) and passes options.detail(row, k),
// which returns any sample's backward pass at step k from the engine (WebAssembly), so that any
// data point can be walked. Options: detail, hash (false: do not touch location.hash), onHash(h)
// (told the view's fragment instead), params (a Map of fragment keys to start from), hashKeys
// ({mode: 'edges'}: renames a key), active() (false: the keys are someone else's).
//
// The URL fragment: #train=K (iteration K, or "last"); &step=N&by=node|unit|layer (step N, from
// 1, of the recorded sample's backward pass through the units' nodes, stepped by that
// granularity); or &unit=NAME&node=J (J from 0 in the unit's backward order); &sample=S (a
// recorded sample, by its row: ringed on the decision map, a click picks it); &mode=gradient;
// &selftest (runs the scripted clicks and keys the tests read back from <pre id="selftest">).
window.gradflowTraining = function (opts) {
  'use strict';
  opts = opts || {};
  let D = null;

  // ---- words ------------------------------------------------------------------------------------
  // The view's words in English and Chinese (options.lang 'zh'); view.html's own words carry
  // data-t keys of this table. {0}, {1}, ... are the numbers and names put in.
  const WORDS = {
    en: {
      play: '\u25B6 play', pause: '\u275A\u275A pause', input: 'input',
      weightScale: '|weight|', gradientScale: '|gradient|', loss: 'loss', accuracy: 'accuracy',
      clickSample: 'sample #{0}: click to walk its backward pass',
      edgeTip: '{0}: weight {1}, gradient {2}',
      unitTip: '{0} ({1}): bias {2}, gradient of the bias {3}; blocked for {4}% of the batch',
      unitTipSat: ', saturated for {0}%',
      blockedRow: '\u2715 exactly 0: blocked', allPass: 'every unit passes gradient',
      dead: '{0} of {1} dead ({2})', saturated: '{0} of {1} saturated ({2})',
      facts: 'bias {0} (\u2207 {1}) \u00b7 mean z+b {2} \u00b7 mean output {3} \u00b7 mean |\u2202L/\u2202y| {4}. ',
      blockedFor: 'Blocked for {0}% of the batch. ', saturatedFor: 'Saturated for {0}%. ',
      unitOutputPlane: "{0}'s output over the input plane", unitOutputAxis: "{0}'s output along the input",
      notRecorded: "Sample #{0}'s backward pass was not recorded", clickRinged: ': click a ringed point (sample #{0}).',
      noPass: 'No backward pass through this unit for sample #{0}.',
      passAt: "Sample #{0}'s backward pass at iteration {1}", nearest: ' (the nearest recorded)',
      nodeByNode: ', node by node as backward visits them',
      rebuilt: ' (its nodes\u2019 numbers rebuilt from the per-unit record of every sample):',
      gap: "Iteration {0} has no recorded backward pass: shown is iteration {1}'s, the nearest recorded.",
      where: 'Backward step {0} of {1} ({2}, layer L{3}): node {4} of {5} in this unit.',
      decisionCurve: 'score along the input (the fitted curve); dots: the data by target, on the decision threshold (click one to walk its backward pass)',
      decisionMap: 'score over the input plane, white at the decision boundary; dots: the data (click one to walk its backward pass)',
    },
    zh: {
      play: '\u25B6 播放', pause: '\u275A\u275A 暂停', input: '输入',
      weightScale: '|权重|', gradientScale: '|梯度|', loss: '损失', accuracy: '准确率',
      clickSample: '样本 #{0}：点击逐步查看它的反向传播',
      edgeTip: '{0}：权重 {1}，梯度 {2}',
      unitTip: '{0}（{1}）：偏置 {2}，偏置的梯度 {3}；在本批次 {4}% 的样本上被阻断',
      unitTipSat: '，{0}% 饱和',
      blockedRow: '\u2715 恰好为 0：阻断', allPass: '每个单元都在传递梯度',
      dead: '{1} 个中 {0} 个死亡（{2}）', saturated: '{1} 个中 {0} 个饱和（{2}）',
      facts: '偏置 {0}（\u2207 {1}）\u00b7 z+b 均值 {2} \u00b7 输出均值 {3} \u00b7 |\u2202L/\u2202y| 均值 {4}。',
      blockedFor: '在本批次 {0}% 的样本上被阻断。', saturatedFor: '{0}% 的样本上饱和。',
      unitOutputPlane: '{0} 在输入平面上的输出', unitOutputAxis: '{0} 沿输入轴的输出',
      notRecorded: '样本 #{0} 的反向传播没有被记录', clickRinged: '：请点击带圈的点（样本 #{0}）。',
      noPass: '样本 #{0} 的反向传播没有经过这个单元。',
      passAt: '样本 #{0} 在第 {1} 次迭代的反向传播', nearest: '（最近一次有记录的）',
      nodeByNode: '，按反向传播访问的顺序逐个节点列出',
      rebuilt: '（各节点的数值由每个样本逐单元的记录重建）：',
      gap: '第 {0} 次迭代没有记录反向传播：这里显示的是最近一次有记录的第 {1} 次迭代。',
      where: '反向传播第 {0} 步，共 {1} 步（{2}，第 L{3} 层）：本单元 {5} 个节点中的第 {4} 个。',
      decisionCurve: '沿输入轴的得分（拟合曲线）；圆点：按目标着色的数据，位于决策阈值上（点击一个查看它的反向传播）',
      decisionMap: '输入平面上的得分，决策边界为白色；圆点：数据（点击一个查看它的反向传播）',
      // view.html's words
      playTitle: '播放 / 暂停（空格）', firstTitle: '第一次记录的迭代（Home）', prevTitle: '上一次迭代（\u2190）',
      sliderAria: '训练迭代', nextTitle: '下一次迭代（\u2192）', lastTitle: '最后一次记录的迭代（End）',
      iteration: '迭代', edgesAria: '连线显示', weights: '权重', gradients: '梯度', scaleAria: '连线的刻度',
      fit: '适应窗口', fitTitle: '重置缩放（0）', netAria: '网络', curvesHead: '损失与准确率',
      printed: '训练程序输出：', unitmapEmpty: '点击一个单元，在这里查看它的输出', flowHead: '逐层的梯度流',
      flowAria: '每层的平均梯度', back: '\u25C0 后退', backTitle: '反向传播后退一步（p）', nextStep: '前进 \u25B6',
      nextStepTitle: '反向传播前进一步（n）', byAria: '步进单位', byTitle: '步进单位（g）', byNode: '按节点',
      byUnit: '按单元', byLayer: '按层', walkAria: '反向传播的步', thNode: '节点', thOp: '运算',
      thValue: '值', thGrad: '\u2207 梯度', thOperand: '传给操作数', thLocal: '局部 \u2202',
      thContribution: '\u2190 贡献', thAfter: '\u2207 它的梯度',
      help: '<kbd>\u2190</kbd> <kbd>\u2192</kbd> 切换迭代 \u00b7 <kbd>空格</kbd> 播放 \u00b7 点击一个单元后，' +
        '用 <kbd>n</kbd> <kbd>p</kbd> 按节点、单元或层逐步查看反向传播（<kbd>g</kbd> 切换），<kbd>u</kbd> <kbd>U</kbd> 按单元 \u00b7 ' +
        '拖动平移，滚轮缩放 \u00b7 链接：<code>#train=K</code>（或 <code>last</code>）、<code>&amp;step=N&amp;by=unit</code>、' +
        '<code>&amp;unit=L1.n3&amp;node=2</code>。连线：蓝色为正，红色为负，粗细与深浅按上方的对数刻度；灰色虚线恰好为 0。' +
        '红圈加 \u2715 的单元在整个批次上都已死亡（局部导数恰好为 0，阻断）；琥珀色加 \u26a0 的单元已饱和（低于阈值，梯度消失）。',
    },
  };
  const lang = opts.lang === 'zh' ? 'zh' : 'en';
  const say = (key, ...args) => (WORDS[lang][key] !== undefined ? WORDS[lang][key] : WORDS.en[key])
    .replace(/\{(\d)\}/g, (m, i) => String(args[Number(i)]));
  if (lang !== 'en') {
    document.querySelectorAll('.gf-training [data-t]').forEach((el) => { el.textContent = say(el.dataset.t); });
    document.querySelectorAll('.gf-training [data-t-html]').forEach((el) => { el.innerHTML = say(el.dataset.tHtml); });
    document.querySelectorAll('.gf-training [data-t-title]').forEach((el) => { el.title = say(el.dataset.tTitle); });
    document.querySelectorAll('.gf-training [data-t-aria]').forEach((el) => el.setAttribute('aria-label', say(el.dataset.tAria)));
  }
  const num = (v) => (typeof v === 'string' ? Number(v) : v);
  const fmt = (v) => {
    v = num(v);
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '\u221e' : '\u2212\u221e';
    if (v === 0) return '0';
    const a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
  };
  const signed = (v) => (num(v) > 0 ? '+' : '') + fmt(v);

  let steps = [];
  let units = [];
  let byName = new Map();
  let nCols = 0;
  const labels = {};  // node id -> label, from the data and from every pass asked for
  const passCache = new Map();  // 'iteration/row' -> a pass asked from options.detail

  // ---- state ------------------------------------------------------------------------------------
  // sample: the data row whose backward pass the unit panel walks.
  const state = { k: 0, mode: 'weight', unit: null, node: 0, playing: null, by: 'node', sample: 0 };

  function stepIndexOf(iteration) {
    let best = 0;
    for (let i = 0; i < steps.length; ++i) if (steps[i].it <= iteration) best = i;
    return best;
  }

  // ---- maps -------------------------------------------------------------------------------------
  function decode(q) {
    const bin = atob(q.b64);
    const lo = num(q.lo), hi = num(q.hi);
    const out = new Float64Array(bin.length);
    for (let i = 0; i < bin.length; ++i) out[i] = lo + ((hi - lo) * bin.charCodeAt(i)) / 255;
    return { values: out, lo: lo, hi: hi };
  }

  function drawMap(figure, q, diverging) {
    const canvas = figure.querySelector('canvas');
    const svg = d3.select(figure.querySelector('svg'));
    svg.selectAll('*').remove();
    const ctx = canvas.getContext('2d');
    if (!q || !D.grid) {
      canvas.width = 1;
      canvas.height = 1;
      ctx.clearRect(0, 0, 1, 1);
      return;
    }
    if (D.features === 1) {
      canvas.width = 1;
      canvas.height = 1;
      ctx.clearRect(0, 0, 1, 1);
      drawCurve(svg, q, diverging);
      return;
    }
    const n = D.grid.n;
    const m = decode(q);
    canvas.width = n;
    canvas.height = n;
    const img = ctx.createImageData(n, n);
    const thr = diverging ? num(D.scoreThreshold) : 0;  // the decision boundary is white
    const span = Math.max(Math.abs(m.lo - thr), Math.abs(m.hi - thr)) || 1;
    for (let r = 0; r < n; ++r) {
      for (let c = 0; c < n; ++c) {
        const v = m.values[r * n + c];
        const t = diverging ? 0.5 + (0.5 * (v - thr)) / span : m.hi > m.lo ? (v - m.lo) / (m.hi - m.lo) : 0;
        const col = d3.rgb(diverging ? d3.interpolateRdBu(0.15 + 0.7 * t) : d3.interpolateBuPu(0.05 + 0.85 * t));
        const at = ((n - 1 - r) * n + c) * 4;  // row 0 is y_min: the bottom
        img.data[at] = col.r;
        img.data[at + 1] = col.g;
        img.data[at + 2] = col.b;
        img.data[at + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    // The data on top, in the map's own coordinates (0..100).
    svg.attr('viewBox', '0 0 100 100').attr('preserveAspectRatio', 'none');
    const sx = d3.scaleLinear().domain(D.grid.x).range([0, 100]);
    const sy = d3.scaleLinear().domain(D.grid.y).range([100, 0]);
    const pts = [];
    for (let i = 0; i < D.y.length; ++i) pts.push([num(D.x[2 * i]), num(D.x[2 * i + 1]), num(D.y[i])]);
    const dots = svg.selectAll('circle.pt').data(pts).join('circle').attr('class', 'pt')
      .attr('cx', (d) => sx(d[0])).attr('cy', (d) => sy(d[1])).attr('r', 1.6)
      .attr('fill', (d) => (d[2] > num(D.targetThreshold) ? '#1d4ed8' : '#c2410c'))
      .attr('stroke', '#fff').attr('stroke-width', 0.4);
    if (figure.id !== 'decision') return;
    // Every point: a click walks that sample's backward pass. Ringed: the samples whose pass the
    // record holds at every detail iteration; the chosen sample in the accent colour.
    dots.attr('data-sample', (d, i) => i).style('cursor', 'pointer')
      .on('click', (ev, d) => selectSample(pts.indexOf(d)))
      .append('title').text((d) => say('clickSample', pts.indexOf(d)));
    const rings = detailSamples.includes(state.sample) ? detailSamples : detailSamples.concat([state.sample]);
    svg.selectAll('circle.sample').data(rings).join('circle')
      .attr('class', 'sample').attr('data-sample', (d) => d)
      .attr('cx', (d) => sx(pts[d][0])).attr('cy', (d) => sy(pts[d][1])).attr('r', 3.6)
      .attr('fill', 'transparent').attr('stroke', (d) => (d === state.sample ? '#d946ef' : '#111827'))
      .attr('stroke-width', (d) => (d === state.sample ? 1.4 : 0.8)).style('cursor', 'pointer')
      .on('click', (ev, d) => selectSample(d))
      .append('title').text((d) => say('clickSample', d));
  }
  // 1-D inputs: the score (or a unit's output) along the input axis, the data on top.
  function drawCurve(svg, q, isScore) {
    const m = decode(q), n = D.grid.n;
    const thr = isScore ? num(D.scoreThreshold) : 0;
    let lo = Math.min(m.lo, thr), hi = Math.max(m.hi, thr);
    if (!(hi > lo)) { lo -= 1; hi += 1; }
    svg.attr('viewBox', '0 0 100 100').attr('preserveAspectRatio', 'none');
    const sx = d3.scaleLinear().domain(D.grid.x).range([4, 96]);
    const sy = d3.scaleLinear().domain([lo, hi]).nice().range([94, 6]);
    if (sy.domain()[0] < thr && sy.domain()[1] > thr)
      svg.append('line').attr('x1', 0).attr('x2', 100).attr('y1', sy(thr)).attr('y2', sy(thr))
        .attr('stroke', '#9ca3af').attr('stroke-width', 0.4);
    const pts = d3.range(n).map((i) => [D.grid.x[0] + ((D.grid.x[1] - D.grid.x[0]) * i) / (n - 1), m.values[i]]);
    svg.append('path').attr('fill', 'none').attr('stroke', isScore ? '#1d4ed8' : '#7e22ce')
      .attr('stroke-width', 1.2).attr('d', d3.line().x((d) => sx(d[0])).y((d) => sy(d[1]))(pts));
    if (!isScore) return;
    // The data on the threshold line, coloured by target: the curve should be above the line
    // at the blue points and below it at the orange ones.
    svg.selectAll('circle').data(D.y.map((y, i) => [num(D.x[i]), num(y), i])).join('circle')
      .attr('class', 'pt').attr('data-sample', (d) => d[2])
      .attr('cx', (d) => sx(d[0])).attr('cy', sy(thr)).attr('r', (d) => (d[2] === state.sample ? 2.6 : 1.6))
      .attr('fill', (d) => (d[1] > num(D.targetThreshold) ? '#1d4ed8' : '#c2410c'))
      .attr('stroke', (d) => (d[2] === state.sample ? '#d946ef' : '#fff'))
      .attr('stroke-width', (d) => (d[2] === state.sample ? 0.8 : 0.4)).style('cursor', 'pointer')
      .on('click', (ev, d) => selectSample(d[2]))
      .append('title').text((d) => say('clickSample', d[2]));
  }
  let detailSamples = [];  // the rows whose pass the record holds (ringed on the map)
  function selectSample(row) {
    state.sample = Math.max(0, Math.min(D.y.length - 1, row));
    if (!state.unit) {
      const seq = walk();
      if (seq.length) { state.unit = seq[0].unit; state.node = seq[0].j; }
    }
    document.body.setAttribute('data-sample', String(state.sample));
    drawMap(document.getElementById('decision'), steps[state.k].map, true);
    drawUnit();
    writeHash();
  }

  // ---- the network ------------------------------------------------------------------------------
  const net = d3.select('#net');
  net.selectAll('*').remove();
  const zoomLayer = net.append('g').attr('class', 'zoom');
  const edgeLayer = zoomLayer.append('g');
  const nodeLayer = zoomLayer.append('g');
  const pos = { input: [], unit: [] };
  let edges = [];  // {unit, slot, param, from: [x, y], line}
  let columns = [];  // one background rect per layer

  function layout() {
    if (!D) return;
    const box = net.node().getBoundingClientRect();
    const W = Math.max(box.width, 300), H = Math.max(box.height, 240);
    const top = 34, bottom = 10, left = 46, right = 70;
    const colX = (c) => left + ((W - left - right) * c) / Math.max(1, nCols - 1);
    const colY = (count, i) => {
      const spacing = Math.min(44, (H - top - bottom) / count);
      const h = spacing * count;
      return top + (H - top - bottom - h) / 2 + spacing * (i + 0.5);
    };
    const spacing = Math.min(44, (H - top - bottom) / Math.max(...D.sizes));
    const r = Math.max(8, Math.min(14, spacing * 0.36));
    pos.input = [];
    for (let i = 0; i < D.sizes[0]; ++i) pos.input.push([colX(0), colY(D.sizes[0], i)]);
    units.forEach((u) => { pos.unit[u.id] = [colX(u.layer + 1), colY(D.sizes[u.layer + 1], u.index)]; });

    edgeLayer.selectAll('*').remove();
    nodeLayer.selectAll('*').remove();
    columns = [];
    for (let c = 1; c < nCols; ++c) {
      const half = Math.min(60, (W - left - right) / Math.max(1, nCols - 1) / 2 - 4);
      columns.push(edgeLayer.append('rect').attr('class', 'column').attr('x', colX(c) - half)
        .attr('y', 22).attr('width', 2 * half).attr('height', H - 26).attr('rx', 8));
    }
    edges = [];
    const firstOfLayer = [];
    units.forEach((u) => { if (firstOfLayer[u.layer] === undefined) firstOfLayer[u.layer] = u.id; });
    units.forEach((u) => {
      for (let i = 0; i < u.n; ++i) {
        const from = u.layer === 0 ? pos.input[i] : pos.unit[firstOfLayer[u.layer - 1] + i];
        const line = edgeLayer.append('line').attr('class', 'edge')
          .attr('x1', from[0]).attr('y1', from[1])
          .attr('x2', pos.unit[u.id][0]).attr('y2', pos.unit[u.id][1]);
        line.append('title');
        edges.push({ unit: u, slot: i, param: u.p + i, line: line });
      }
    });
    // Column headings.
    const heads = [say('input')];
    for (let l = 1; l < nCols; ++l) {
      const u = units.find((v) => v.layer === l - 1);
      heads.push('L' + l + ' \u00b7 ' + u.act);
    }
    heads.forEach((h, c) => nodeLayer.append('text').attr('class', 'colhead')
      .attr('x', colX(c)).attr('y', 16).attr('text-anchor', 'middle').text(h));
    pos.input.forEach((p, i) => {
      const g = nodeLayer.append('g').attr('class', 'input');
      g.append('circle').attr('cx', p[0]).attr('cy', p[1]).attr('r', r)
        .attr('fill', '#dbeafe').attr('stroke', '#4b5563');
      g.append('text').attr('x', p[0]).attr('y', p[1] + 4).attr('text-anchor', 'middle')
        .text('x' + (i + 1));
    });
    units.forEach((u) => {
      const p = pos.unit[u.id];
      const color = D.colors[u.act] || ['#475569', '#e2e8f0'];
      const g = nodeLayer.append('g').attr('class', 'unit').attr('id', 'unit-' + u.name.replace(/\./g, '-'))
        .attr('data-unit', u.name).on('click', (ev) => { ev.stopPropagation(); selectUnit(u); });
      g.append('title');
      g.append('circle').attr('cx', p[0]).attr('cy', p[1]).attr('r', r)
        .attr('fill', color[1]).attr('stroke', color[0]);
      g.append('text').attr('x', p[0]).attr('y', p[1] + 4).attr('text-anchor', 'middle')
        .text('n' + (u.index + 1));
      g.append('text').attr('class', 'bias').attr('x', p[0] + r + 5).attr('y', p[1] + 4);
      g.append('text').attr('class', 'mark').attr('x', p[0] - r - 2).attr('y', p[1] - r + 4)
        .attr('text-anchor', 'end');
      u.g = g;
    });
  }

  // The edge scale: |value| on a log scale from lo to hi (over every recorded iteration).
  function extent(key) {
    let hi = 0;
    for (const s of steps) for (const v of s[key]) hi = Math.max(hi, Math.abs(num(v)) || 0);
    hi = hi || 1;
    return [hi / (key === 'p' ? 1e3 : 1e4), hi];
  }
  const scales = {};
  function makeScales() {
    scales.weight = d3.scaleLog().domain(extent('p')).range([0, 1]).clamp(true);
    scales.gradient = d3.scaleLog().domain(extent('g')).range([0, 1]).clamp(true);
  }
  const edgeColor = (v, t) => d3.interpolateRdBu(v > 0 ? 0.62 + 0.38 * t : 0.38 - 0.38 * t);
  const edgeWidth = (t) => 0.3 + 3.4 * t;

  function drawLegend() {
    const svg = d3.select('#legend');
    svg.selectAll('*').remove();
    const s = scales[state.mode];
    const x = d3.scaleLog().domain(s.domain()).range([70, 290]);
    const g = svg.append('g');
    const ticks = x.ticks(40);
    for (let i = 0; i + 1 < ticks.length; ++i) {
      const t = s(ticks[i]);
      g.append('rect').attr('x', x(ticks[i])).attr('y', 4)
        .attr('width', Math.max(0.5, x(ticks[i + 1]) - x(ticks[i]))).attr('height', edgeWidth(t) + 1)
        .attr('fill', edgeColor(1, t));
    }
    svg.append('g').attr('transform', 'translate(0,18)')
      .call(d3.axisBottom(x).ticks(4, '~g').tickSizeOuter(0));
    svg.append('text').attr('x', 0).attr('y', 14).text(say(state.mode === 'weight' ? 'weightScale' : 'gradientScale'));
  }

  function drawNetwork() {
    const s = steps[state.k];
    const values = state.mode === 'weight' ? s.p : s.g;
    const scale = scales[state.mode];
    for (const e of edges) {
      const v = num(values[e.param]);
      const t = v === 0 || !Number.isFinite(v) ? 0 : scale(Math.abs(v));
      e.line.classed('zero', v === 0)
        .attr('stroke', v === 0 ? null : edgeColor(v, t))
        .attr('stroke-width', v === 0 ? 1 : edgeWidth(t))
        .attr('stroke-opacity', v === 0 ? 0.8 : 0.12 + 0.68 * t);
      e.line.select('title').text(say('edgeTip', D.paramNames[e.param], fmt(s.p[e.param]), fmt(s.g[e.param])));
    }
    for (const u of units) {
      const a = s.u[u.id];
      const b = num(s.p[u.p + u.n]);
      const dead = num(a[2]) >= 1, sat = num(a[3]) >= 0.95;
      u.g.classed('dead', dead).classed('saturated', !dead && sat);
      u.g.select('text.bias').text('b ' + signed(b)).attr('fill', b < 0 ? '#b91c1c' : '#1d4ed8');
      u.g.select('text.mark').text(dead ? '\u2715' : sat ? '\u26a0' : '');
      u.g.select('title').text(say('unitTip', u.name, u.act, fmt(b), fmt(s.g[u.p + u.n]), Math.round(100 * num(a[2]))) +
        (num(a[3]) > 0 ? say('unitTipSat', Math.round(100 * num(a[3]))) : ''));
    }
  }

  const zoom = d3.zoom().scaleExtent([0.3, 8]).on('zoom', (ev) => zoomLayer.attr('transform', ev.transform));
  net.call(zoom).on('dblclick.zoom', null);

  // ---- the curves -------------------------------------------------------------------------------
  const curves = d3.select('#curves');
  const cw = 340, ch = 150, cm = { l: 44, r: 34, t: 8, b: 22 };
  let cx = null, cursor = null;
  function drawCurves() {
  curves.selectAll('*').remove();
  const its = steps.map((s) => s.it);
  cx = d3.scaleLinear().domain(d3.extent(its)).range([cm.l, cw - cm.r]);
  if (its.length === 1) cx.domain([its[0] - 1, its[0] + 1]);
  const losses = steps.map((s) => num(s.loss));
  const cyL = d3.scaleLinear().domain([0, d3.max(losses.filter(Number.isFinite)) || 1]).nice()
    .range([ch - cm.b, cm.t]);
  const cyA = d3.scaleLinear().domain([0, 1]).range([ch - cm.b, cm.t]);
  curves.append('g').attr('transform', 'translate(0,' + (ch - cm.b) + ')')
    .call(d3.axisBottom(cx).ticks(5).tickSizeOuter(0));
  curves.append('g').attr('transform', 'translate(' + cm.l + ',0)').call(d3.axisLeft(cyL).ticks(4));
  curves.append('g').attr('transform', 'translate(' + (cw - cm.r) + ',0)')
    .call(d3.axisRight(cyA).ticks(4, '.0%'));
  curves.append('path').attr('fill', 'none').attr('stroke', '#1d4ed8').attr('stroke-width', 1.6)
    .attr('d', d3.line().defined((d) => Number.isFinite(d[1])).x((d) => cx(d[0])).y((d) => cyL(d[1]))(
      steps.map((s) => [s.it, num(s.loss)])));
  curves.append('path').attr('fill', 'none').attr('stroke', '#059669').attr('stroke-width', 1.6)
    .attr('stroke-dasharray', '4 2')
    .attr('d', d3.line().x((d) => cx(d[0])).y((d) => cyA(d[1]))(steps.map((s) => [s.it, num(s.acc)])));
  curves.append('text').attr('x', cm.l + 6).attr('y', cm.t + 10).attr('fill', '#1d4ed8').text(say('loss'));
  curves.append('text').attr('x', cw - cm.r - 6).attr('y', cm.t + 10).attr('text-anchor', 'end')
    .attr('fill', '#059669').text(say('accuracy'));
  cursor = curves.append('line').attr('class', 'cursor').attr('y1', cm.t).attr('y2', ch - cm.b);
  }
  curves.on('click', (ev) => {
    const it = cx.invert(d3.pointer(ev)[0]);
    let best = 0;
    steps.forEach((s, i) => { if (Math.abs(s.it - it) < Math.abs(steps[best].it - it)) best = i; });
    go(best);
  });

  // ---- layers: gradient flow and diagnostics, summarised -------------------------------------------
  // Per layer, the mean over its units of the recorded mean |d loss / d output| (an average of
  // recorded numbers, no derivative), and the units that are dead or saturated for the batch.

  function layerRows(s) {
    const rows = [];
    for (let l = 0; l < nCols - 1; ++l) {
      const us = units.filter((u) => u.layer === l);
      const dead = us.filter((u) => num(s.u[u.id][2]) >= 1);
      const sat = us.filter((u) => num(s.u[u.id][2]) < 1 && num(s.u[u.id][3]) >= 0.95);
      rows.push({ l: l, us: us, dead: dead, sat: sat, g: d3.mean(us, (u) => num(s.u[u.id][4])) });
    }
    return rows;
  }
  let flowDomain = [1e-4, 1];
  function makeFlowDomain() {
    let hi = 0;
    for (const s of steps) for (const r of layerRows(s)) if (Number.isFinite(r.g)) hi = Math.max(hi, r.g);
    hi = hi || 1;
    flowDomain = [hi / 1e4, hi];
  }
  function drawLayers() {
    const s = steps[state.k];
    const rows = layerRows(s);
    const svg = d3.select('#flow');
    svg.selectAll('*').remove();
    const rowH = 17, w = 340;
    svg.attr('height', rows.length * rowH + 26);
    const x = d3.scaleLog().domain(flowDomain).range([34, w - 70]).clamp(true);
    rows.forEach((r, i) => {
      const y = 4 + i * rowH;
      svg.append('text').attr('class', 'name').attr('x', 0).attr('y', y + 11).text('L' + (r.l + 1));
      if (r.g === 0) {
        svg.append('text').attr('class', 'blocked').attr('x', 34).attr('y', y + 11)
          .text(say('blockedRow'));
        return;
      }
      const color = (D.colors[r.us[0].act] || ['#475569'])[0];
      svg.append('rect').attr('x', 34).attr('y', y + 2).attr('height', rowH - 5)
        .attr('width', Math.max(1, x(r.g) - 34)).attr('fill', color).attr('fill-opacity', 0.7);
      svg.append('text').attr('x', x(r.g) + 4).attr('y', y + 11).text(fmt(r.g));
    });
    svg.append('g').attr('transform', 'translate(0,' + (rows.length * rowH + 6) + ')')
      .call(d3.axisBottom(x).ticks(4, '~g').tickSizeOuter(0));
    const list = document.getElementById('layer-diag');
    list.textContent = '';
    for (const r of rows) {
      const li = document.createElement('li');
      const names = (us) => us.slice(0, 6).map((u) => 'n' + (u.index + 1)).join(', ') + (us.length > 6 ? ', \u2026' : '');
      let text = 'L' + (r.l + 1) + ' (' + r.us[0].act + '): ';
      if (!r.dead.length && !r.sat.length) text += say('allPass');
      if (r.dead.length) text += say('dead', r.dead.length, r.us.length, names(r.dead));
      if (r.sat.length) text += (r.dead.length ? '; ' : '') + say('saturated', r.sat.length, r.us.length, names(r.sat));
      li.textContent = text + (lang === 'zh' ? '。' : '.');
      li.className = r.dead.length ? 'dead' : r.sat.length ? 'saturated' : '';
      list.appendChild(li);
    }
  }

  // ---- the chosen unit ---------------------------------------------------------------------------
  // The recorded backward passes nearest the current iteration (the latest at or before it, else
  // the first after it).
  function detailFor(k) {
    for (let i = k; i >= 0; --i) if (steps[i].detail) return i;
    for (let i = k + 1; i < steps.length; ++i) if (steps[i].detail) return i;
    return -1;
  }

  // The chosen sample's backward pass through every unit's nodes: {at (the step it was taken
  // at), d ({sample, units}) or null (not recorded there; why: the reason)}. Live (the lab): the
  // engine's pass at this very step; else the record's at the nearest detail iteration.
  function passAt(k) {
    const row = state.sample;
    if (opts.detail) {
      const key = steps[k].it + '/' + row;  // by iteration: a live record may thin its steps
      if (!passCache.has(key)) {
        const d = opts.detail(row, k);
        if (d && d.labels) Object.assign(labels, d.labels);
        passCache.set(key, d || null);
      }
      return { at: k, d: passCache.get(key) };
    }
    const at = detailFor(k);
    if (at < 0) return { at: at, d: null };
    const d = steps[at].detail.find((x) => x.sample === row) || rebuilt(at, row);
    return { at: at, d: d };
  }

  // Any sample's pass at a detail iteration, from the step's brief record (pass: per sample and
  // unit, z + b and d loss / d output, from the engine's backward pass of that sample) and the
  // step's parameters, on the pattern of the recorded pass there (the same nodes and edges, in
  // the same order): values and local derivatives by each op's rule, contributions as upstream
  // times local derivative. An operand's gradient after an edge is the recorded pass's, less its
  // sample's contributions through the units so far, plus this sample's: what is left (the L2
  // penalty's share) does not depend on the sample.
  function f32(b64) {
    const bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; ++i) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }
  const activations = {
    relu: (z) => [z > 0 ? z : 0, z > 0 ? 1 : 0],
    identity: (z) => [z, 1],
    sigmoid: (z) => { const y = 1 / (1 + Math.exp(-z)); return [y, y * (1 - y)]; },
    tanh: (z) => { const y = Math.tanh(z); return [y, 1 - y * y]; },
  };
  const rebuiltCache = new Map();
  function rebuilt(at, row) {
    const st = steps[at], tpl = st.detail[0];
    if (!st.pass || !tpl || row < 0 || row >= D.y.length) return null;
    const key = st.it + '/' + row;
    if (rebuiltCache.has(key)) return rebuiltCache.get(key);
    if (units.some((u) => !activations[u.act])) return null;
    if (!st.passDecoded) st.passDecoded = { pre: f32(st.pass.pre), grad: f32(st.pass.grad) };
    const nU = units.length, P = st.passDecoded;
    const out = units.map((u) => activations[u.act](P.pre[row * nU + u.id])[0]);
    const firstOfLayer = [];
    units.forEach((u) => { if (firstOfLayer[u.layer] === undefined) firstOfLayer[u.layer] = u.id; });
    const input = (u, i) => (u.layer === 0 ? num(D.x[row * D.features + i]) : out[firstOfLayer[u.layer - 1] + i]);
    const edgesInOrder = [];  // [global index, template edge, new edge]
    const result = tpl.units.map((nodes, uid) => {
      const u = units[uid];
      const z = P.pre[row * nU + uid], gy = P.grad[row * nU + uid];
      const a = activations[u.act](z), gz = gy * a[1];
      const w = (i) => num(st.p[u.p + i]), b = num(st.p[u.p + u.n]);
      return nodes.map((n) => {
        let value, up, locals;
        if (n[1] === 'mul') {
          const m = /\.w(\d+)$/.exec(label(n[5][0][0]));
          const i = m ? Number(m[1]) - 1 : 0, x = input(u, i);
          value = w(i) * x; up = gz; locals = [x, w(i)];
        } else if (n[1] === 'sum') {
          value = z - b; up = gz; locals = n[5].map(() => 1);
        } else if (n[1] === 'bias') {
          value = z; up = gz; locals = n[5].map(() => 1);
        } else {  // the activation
          value = a[0]; up = gy; locals = [a[1]];
        }
        const edges = n[5].map((e, j) => {
          const ne = [e[0], locals[j], up * locals[j], 0];
          edgesInOrder.push([n[7], e, ne]);
          return ne;
        });
        const sat = (u.act === 'sigmoid' || u.act === 'tanh') && n[1] === u.act && a[1] !== 0 &&
          Math.abs(a[1]) < num(D.saturationThreshold);
        return [n[0], n[1], value, up, up, edges, sat, n[7]];
      });
    });
    edgesInOrder.sort((p, q) => p[0] - q[0]);
    const was = new Map(), now = new Map();
    for (const [, e, ne] of edgesInOrder) {
      const id = e[0];
      was.set(id, (was.get(id) || 0) + num(e[2]));
      now.set(id, (now.get(id) || 0) + ne[2]);
      ne[3] = num(e[3]) - was.get(id) + now.get(id);
    }
    const d = { sample: row, units: result, rebuilt: true };
    rebuiltCache.set(key, d);
    return d;
  }

  function unitNodes() {
    if (!state.unit) return { at: -1, nodes: [] };
    const p = passAt(state.k);
    if (!p.d) return { at: p.at, nodes: [] };
    return { at: p.at, sample: p.d.sample, rebuilt: !!p.d.rebuilt, nodes: p.d.units[state.unit.id] || [] };
  }

  // The chosen sample's backward pass through every unit's nodes, in the order backward visits
  // them: [{unit, j (position in the unit's list)}], at the iteration in use.
  const walkCache = new Map();
  function walk() {
    const p = passAt(state.k);
    if (!p.d) return [];
    const key = steps[p.at].it + '/' + p.d.sample;
    if (!walkCache.has(key)) {
      const seq = [];
      p.d.units.forEach((nodes, u) => nodes.forEach((n, j) => seq.push({ unit: units[u], j: j, index: n[7] })));
      seq.sort((a, b) => a.index - b.index);
      walkCache.set(key, seq);
    }
    return walkCache.get(key);
  }
  function walkPosition() {
    if (!state.unit) return -1;
    return walk().findIndex((e) => e.unit === state.unit && e.j === state.node);
  }
  function goWalk(i) {
    const seq = walk();
    if (!seq.length) return;
    const e = seq[Math.max(0, Math.min(seq.length - 1, i))];
    state.unit = e.unit;
    state.node = e.j;
    drawUnit();
    writeHash();
  }
  // One step of the backward pass at the chosen granularity: the next node, the first node of the
  // next unit, or the first node of the next layer (back: of the previous one).
  function stepWalk(delta, by) {
    by = by || state.by;
    const seq = walk();
    if (!seq.length) return;
    const at = walkPosition();
    if (at < 0) { goWalk(delta > 0 ? 0 : seq.length - 1); return; }
    if (by === 'node') { goWalk(at + delta); return; }
    const same = by === 'unit' ? (e) => e.unit === seq[at].unit : (e) => e.unit.layer === seq[at].unit.layer;
    let i = at;
    if (delta > 0) {
      while (i < seq.length && same(seq[i])) ++i;
      if (i < seq.length) goWalk(i);
    } else {
      while (i >= 0 && same(seq[i])) --i;  // the group before this one
      if (i < 0) return;
      const j = i;
      const group = by === 'unit' ? (e) => e.unit === seq[j].unit : (e) => e.unit.layer === seq[j].unit.layer;
      while (i > 0 && group(seq[i - 1])) --i;
      goWalk(i);
    }
  }

  function label(id) { return labels[String(id)] || '#' + id; }
  // A node's name; an unnamed one (a neuron's w_i * x_i) is named by its operands.
  function nodeName(n) {
    const own = labels[String(n[0])];
    if (own && own[0] !== '#') return own;
    const ops = n[5].map((e) => label(e[0]).replace(/^.*\.(w\d+|b)$/, '$1'));
    return ops.length === 2 && n[1] === 'mul' ? ops[0] + ' \u00d7 ' + ops[1] : label(n[0]);
  }

  function drawUnit() {
    const panel = document.getElementById('unit');
    const u = state.unit;
    units.forEach((v) => v.g.classed('current', v === u));
    columns.forEach((c, l) => c.classed('current', !!u && u.layer === l));
    edges.forEach((e) => e.line.classed('lit', false).classed('vanishing', false).style('stroke', null).style('stroke-width', null)
      .style('stroke-dasharray', null));
    if (!u) {
      panel.hidden = true;
      document.body.removeAttribute('data-unit');
      document.body.removeAttribute('data-node');
      document.body.removeAttribute('data-step');
      drawMap(document.getElementById('unitmap'), null, false);
      return;
    }
    panel.hidden = false;
    const s = steps[state.k];
    const a = s.u[u.id];
    document.body.setAttribute('data-unit', u.name);
    document.getElementById('unit-head').textContent = u.name + ' \u00b7 ' + u.act;
    const facts = document.getElementById('unit-facts');
    facts.textContent = '';
    const add = (text, cls) => {
      const span = document.createElement('span');
      if (cls) span.className = cls;
      span.textContent = text;
      facts.appendChild(span);
    };
    add(say('facts', signed(s.p[u.p + u.n]), fmt(s.g[u.p + u.n]), fmt(a[0]), fmt(a[1]), fmt(a[4])));
    if (num(a[2]) > 0) add(say('blockedFor', Math.round(100 * num(a[2]))), num(a[2]) >= 1 ? 'dead' : '');
    if (num(a[3]) > 0) add(say('saturatedFor', Math.round(100 * num(a[3]))), 'saturated');
    document.getElementById('unitmap-caption').textContent =
      say(D.features === 1 ? 'unitOutputAxis' : 'unitOutputPlane', u.name);
    drawMap(document.getElementById('unitmap'), s.umaps ? s.umaps[u.id] : null, false);

    const nd = unitNodes();
    document.getElementById('detail-gap').textContent = '';
    const note = document.getElementById('detail-note');
    const body = document.getElementById('nodes-body');
    const ebody = document.getElementById('edges-body');
    body.textContent = '';
    ebody.textContent = '';
    if (!nd.nodes.length) {
      note.textContent = nd.at < 0 || !opts.detail && !detailSamples.includes(state.sample)
        ? say('notRecorded', state.sample) + (detailSamples.length ? say('clickRinged', detailSamples.join(', #')) : '.')
        : say('noPass', state.sample);
      document.getElementById('node-where').textContent = '';
      document.body.removeAttribute('data-node');
      document.body.removeAttribute('data-step');
      return;
    }
    state.node = Math.max(0, Math.min(state.node, nd.nodes.length - 1));
    note.textContent = say('passAt', nd.sample, steps[nd.at].it) + (nd.at === state.k ? '' : say('nearest')) +
      say('nodeByNode') + (nd.rebuilt ? say('rebuilt') : lang === 'zh' ? '：' : ':');
    document.getElementById('detail-gap').textContent = nd.at === state.k ? ''
      : say('gap', steps[state.k].it, steps[nd.at].it);
    nd.nodes.forEach((n, j) => {
      const tr = document.createElement('tr');
      if (j === state.node) tr.className = 'current';
      else if (n[6]) tr.className = 'saturated';
      [nodeName(n), n[1], fmt(n[2]), fmt(n[3])].forEach((t) => {
        const td = document.createElement('td');
        td.textContent = t;
        tr.appendChild(td);
      });
      tr.addEventListener('click', () => { state.node = j; drawUnit(); writeHash(); });
      body.appendChild(tr);
    });
    const cur = nd.nodes[state.node];
    document.body.setAttribute('data-node', nodeName(cur));
    const seq = walk(), pos = walkPosition();
    const walkSlider = document.getElementById('walk');
    walkSlider.max = String(seq.length);
    walkSlider.value = String(pos + 1);
    document.body.setAttribute('data-step', String(pos + 1));
    document.getElementById('node-where').textContent =
      say('where', pos + 1, seq.length, u.name, u.layer + 1, state.node + 1, nd.nodes.length);
    for (const e of cur[5]) {
      const tr = document.createElement('tr');
      if (num(e[1]) === 0 && num(cur[4]) !== 0) tr.className = 'blocked';
      else if (vanishing(e[1])) tr.className = 'vanishing';
      [label(e[0]), fmt(e[1]) + (tr.className === 'vanishing' ? ' \u22480' : ''), fmt(e[2]), fmt(e[3])].forEach((t) => {
        const td = document.createElement('td');
        td.textContent = t;
        tr.appendChild(td);
      });
      ebody.appendChild(tr);
      // A weight times an input: light the connection it belongs to.
      const m = /\.w(\d+)$/.exec(label(e[0]));
      if (m) edges.forEach((ed) => { if (ed.unit === u && ed.slot === Number(m[1]) - 1) litEdge(ed.line, cur); });
    }
  }

  // An edge whose local derivative is not 0 but below the saturation threshold passes back less
  // than 1% of what arrived: "vanishing" (\u22480), drawn faint and dotted, apart from blocked.
  function vanishing(local) {
    const d = Math.abs(num(local));
    return d > 0 && d < num(D.saturationThreshold);
  }

  // A lit connection (the current w_i \u00d7 x_i node's): coloured and thickened by |the
  // contribution passed back to x_i| on views/look.hpp's heat scale, as in the DOT dumps; exactly
  // 0 (blocked) red and dashed; a weight below 1% (vanishing) grey and dotted, titled \u22480.
  function litEdge(line, node) {
    const edge = node[5][1];
    const back = edge ? Math.abs(num(edge[2])) : NaN;
    const faint = !!edge && back !== 0 && vanishing(edge[1]);
    const heat = D.heat || [];
    const h = heat.find((x) => back >= num(x[0])) || heat[heat.length - 1];
    line.classed('lit', true).classed('vanishing', faint).raise();
    if (back === 0) {
      line.style('stroke', D.marks.blocked).style('stroke-width', '2px').style('stroke-dasharray', '4 3');
    } else if (faint) {
      line.style('stroke', D.marks.vanishing).style('stroke-width', '2px').style('stroke-dasharray', '1 3');
    } else if (h) {
      line.style('stroke', h[1]).style('stroke-width', num(h[2]) + 1 + 'px').style('stroke-dasharray', null);
    }
    line.select('title').text(label(edge ? edge[0] : node[0]) + ' \u2190 ' + fmt(back) + (faint ? ' \u22480' : ''));
  }

  function selectUnit(u) {
    state.unit = u;
    state.node = 0;
    drawUnit();
    writeHash();
  }

  function setBy(by) {
    state.by = ['node', 'unit', 'layer'].includes(by) ? by : 'node';
    document.getElementById('by').value = state.by;
    document.body.setAttribute('data-by', state.by);
    writeHash();
  }

  // ---- the timeline -----------------------------------------------------------------------------
  const slider = document.getElementById('slider');

  function go(k) {
    if (!steps.length) return;
    state.k = Math.max(0, Math.min(steps.length - 1, k));
    const s = steps[state.k];
    slider.value = String(state.k);
    document.getElementById('iteration').textContent = s.it;
    document.getElementById('loss-text').textContent = s.lossText;
    document.getElementById('accuracy').textContent = Number((100 * num(s.acc)).toPrecision(6)) + '%';
    document.getElementById('progress').textContent = s.progress;
    document.body.setAttribute('data-train', String(s.it));
    cursor.attr('x1', cx(s.it)).attr('x2', cx(s.it));
    drawNetwork();
    drawLayers();
    drawMap(document.getElementById('decision'), s.map, true);
    drawUnit();
    writeHash();
  }

  function setMode(mode) {
    state.mode = mode === 'gradient' ? 'gradient' : 'weight';
    document.querySelectorAll('input[name=mode]').forEach((r) => { r.checked = r.value === state.mode; });
    document.body.setAttribute('data-' + hk('mode'), state.mode);
    drawLegend();
    drawNetwork();
    writeHash();
  }

  let hashReady = false;
  const hk = (k) => (opts.hashKeys && opts.hashKeys[k]) || k;
  // The view's part of the fragment: train=K, the step or unit and node, the sample, the edges.
  function hashText() {
    let h = hk('train') + '=' + steps[state.k].it;
    if (state.unit) {
      const pos = walkPosition();
      h += pos >= 0 ? '&step=' + (pos + 1) + '&by=' + state.by : '&unit=' + state.unit.name + '&node=' + state.node;
    }
    if (state.sample !== (detailSamples.length ? detailSamples[0] : 0)) h += '&sample=' + state.sample;
    if (state.mode !== 'weight') h += '&' + hk('mode') + '=' + state.mode;
    return h;
  }
  function writeHash() {
    if (!hashReady || selftest || !steps.length) return;
    if (opts.onHash) { opts.onHash(hashText()); return; }
    if (opts.hash === false) return;
    const h = '#' + hashText();
    if (location.hash !== h) history.replaceState(null, '', h);
  }

  function play() {
    const button = document.getElementById('play');
    if (state.playing) {
      clearInterval(state.playing);
      state.playing = null;
      button.textContent = say('play');
      return;
    }
    if (state.k === steps.length - 1) go(0);
    button.textContent = say('pause');
    state.playing = setInterval(() => {
      if (state.k >= steps.length - 1) play();
      else go(state.k + 1);
    }, 120);
  }

  document.getElementById('first').addEventListener('click', () => go(0));
  document.getElementById('prev').addEventListener('click', () => go(state.k - 1));
  document.getElementById('next').addEventListener('click', () => go(state.k + 1));
  document.getElementById('last').addEventListener('click', () => go(steps.length - 1));
  document.getElementById('play').addEventListener('click', play);
  slider.addEventListener('input', () => go(Number(slider.value)));
  document.getElementById('node-prev').addEventListener('click', () => stepWalk(-1));
  document.getElementById('node-next').addEventListener('click', () => stepWalk(1));
  document.getElementById('by').addEventListener('change', (ev) => setBy(ev.target.value));
  document.getElementById('walk').addEventListener('input', (ev) => goWalk(Number(ev.target.value) - 1));
  document.getElementById('reset-zoom').addEventListener('click', () => net.call(zoom.transform, d3.zoomIdentity));
  document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', () => setMode(r.value)));
  document.addEventListener('keydown', (ev) => {
    if (!D || (opts.active && !opts.active())) return;
    if (ev.target && ev.target.tagName === 'INPUT' && ev.target.type === 'range' && ev.key.startsWith('Arrow')) return;
    if (ev.target && ev.target.tagName === 'SELECT') return;
    const keys = {
      ArrowRight: () => go(state.k + 1), ArrowLeft: () => go(state.k - 1),
      Home: () => go(0), End: () => go(steps.length - 1), ' ': play,
      n: () => stepWalk(1), p: () => stepWalk(-1), u: () => stepWalk(1, 'unit'), U: () => stepWalk(-1, 'unit'),
      g: () => setBy(state.by === 'node' ? 'unit' : state.by === 'unit' ? 'layer' : 'node'),
      0: () => net.call(zoom.transform, d3.zoomIdentity),
    };
    const f = keys[ev.key];
    if (f) { ev.preventDefault(); f(); }
  });
  function resize() { if (!D) return; layout(); drawNetwork(); drawUnit(); }
  window.addEventListener('resize', resize);

  // ---- start ------------------------------------------------------------------------------------
  const params = opts.params || new Map(location.hash.replace(/^#/, '').split('&').filter(Boolean)
    .map((kv) => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), decodeURIComponent(kv.slice(i + 1))]; }));
  const selftest = params.has('selftest') && !opts.detail;
  const samePlan = (a, b) => a && b && a.sizes.join() === b.sizes.join() &&
    a.units.map((u) => u[5]).join() === b.units.map((u) => u[5]).join();

  // Draws `data` (the JSON above). The first call opens at the fragment's state; later ones (a
  // live record that grew) keep the chosen unit, node and sample, and follow the last step if it
  // was showing; reset: a new network (forget the passes asked for).
  let shown = 0;  // the steps the last load() had (a live record grows in place)
  function load(data, reset) {
    const first = D === null;
    const relayout = first || reset || !samePlan(D, data);
    const following = !first && state.k >= shown - 1;
    // The iteration showing: a live record that thinned its older steps (a new array; the lab)
    // moves it to another index.
    const showing = !first && steps[state.k] ? steps[state.k].it : 0;
    D = data;
    steps = D.steps;
    shown = steps.length;
    Object.assign(labels, D.labels || {});
    if (reset || relayout) { passCache.clear(); walkCache.clear(); rebuiltCache.clear(); }
    if (relayout) {
      units = D.units.map((u, i) => ({ id: i, name: u[0], layer: u[1], index: u[2], n: u[3], p: u[4], act: u[5] }));
      byName = new Map(units.map((u) => [u.name, u]));
      nCols = D.sizes.length;
      if (!first) { state.unit = null; state.node = 0; }
    }
    const withDetail = steps.find((st) => st.detail);
    detailSamples = withDetail ? withDetail.detail.map((d) => d.sample) : [];
    document.querySelector('#decision figcaption').textContent = say(D.features === 1 ? 'decisionCurve' : 'decisionMap');
    slider.max = String(Math.max(0, steps.length - 1));
    if (!steps.length) return;
    makeScales();
    makeFlowDomain();
    drawCurves();
    if (relayout) layout();
    if (first) {
      hashReady = false;
      if (params.get(hk('mode')) === 'gradient') state.mode = 'gradient';
      setMode(state.mode);
      if (params.has('unit') && byName.has(params.get('unit'))) {
        state.unit = byName.get(params.get('unit'));
        state.node = Number(params.get('node')) || 0;
      }
      setBy(params.get('by'));
      state.sample = detailSamples.length ? detailSamples[0] : 0;
      const sm = Number(params.get('sample'));
      if (params.has('sample') && Number.isInteger(sm) && sm >= 0 && sm < D.y.length) state.sample = sm;
      document.body.setAttribute('data-sample', String(state.sample));
      const t = params.get(hk('train'));
      state.k = t === undefined || t === 'last' ? steps.length - 1 : stepIndexOf(Number(t) || 0);
      if (params.has('step')) {
        const seq = walk();
        const e = seq[Math.max(0, Math.min(seq.length - 1, (Number(params.get('step')) || 1) - 1))];
        if (e) { state.unit = e.unit; state.node = e.j; }
      }
    } else {
      if (relayout) { state.sample = Math.min(state.sample, D.y.length - 1); drawLegend(); }
      state.k = following || reset || relayout ? steps.length - 1 : stepIndexOf(showing);
    }
    go(state.k);
    hashReady = true;
    writeHash();
  }

  if (opts.data) load(opts.data);
  if (!D) return { load: load, resize: resize, go: go, state: state };

  if (selftest) {
    // Scripted clicks and keys, each followed by what the page shows; the tests read this back.
    const out = [];
    const key = (k) => document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    const seen = () => 'it=' + document.body.getAttribute('data-train') + ' loss=' +
      document.getElementById('loss-text').textContent + ' unit=' + (document.body.getAttribute('data-unit') || '-') +
      ' rows=' + document.getElementById('nodes-body').children.length + ' node=' +
      (document.body.getAttribute('data-node') || '-') + ' lit=' + document.querySelectorAll('#net line.lit').length +
      ' step=' + (document.body.getAttribute('data-step') || '-');
    out.push(seen());
    const first = units[0].g.node();
    first.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    out.push(seen());
    key('n');
    out.push(seen());
    key('n');
    out.push(seen());
    key('p');
    out.push(seen());
    key('U');
    out.push(seen());
    key('ArrowLeft');
    out.push(seen());
    document.querySelector('input[name=mode][value=gradient]').click();
    out.push('mode=' + document.body.getAttribute('data-mode'));
    for (let i = 0; i < 4; ++i) key('n');
    out.push(seen());
    const by = document.getElementById('by');
    by.value = 'layer';
    by.dispatchEvent(new Event('change'));
    key('p');
    out.push(seen());
    key('n');
    out.push(seen());
    key('p');
    key('g');  // layer -> node
    key('g');  // node -> unit
    key('n');
    out.push(seen() + ' by=' + document.body.getAttribute('data-by'));
    const ring = document.querySelector('#decision circle.sample:last-of-type');
    if (ring) ring.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    out.push(seen() + ' sample=' + document.body.getAttribute('data-sample'));
    // The smallest font of any text on screen, in CSS pixels at the page's default zoom.
    let minFont = Infinity;
    document.querySelectorAll('body *').forEach((el) => {
      if (el.tagName === 'SCRIPT' || el.tagName === 'STYLE' || el.tagName === 'title') return;
      if (![...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) return;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) minFont = Math.min(minFont, parseFloat(getComputedStyle(el).fontSize));
    });
    out.push('minfont=' + minFont);
    // Zoom with the wheel and pan with a drag, as a person would; '0' resets.
    const svgBox = net.node().getBoundingClientRect();
    const at = { clientX: svgBox.left + svgBox.width / 2, clientY: svgBox.top + svgBox.height / 2, bubbles: true, cancelable: true, view: window };
    net.node().dispatchEvent(new WheelEvent('wheel', Object.assign({ deltaY: -300, deltaMode: 0 }, at)));
    const t1 = d3.zoomTransform(net.node());
    net.node().dispatchEvent(new MouseEvent('mousedown', Object.assign({ button: 0 }, at)));
    const to = Object.assign({}, at, { clientX: at.clientX + 40, clientY: at.clientY + 25 });
    window.dispatchEvent(new MouseEvent('mousemove', to));
    window.dispatchEvent(new MouseEvent('mouseup', to));
    const t2 = d3.zoomTransform(net.node());
    out.push('zoom=' + (t1.k > 1 ? 'in' : 'no') + ' pan=' + Math.round(t2.x - t1.x) + ',' + Math.round(t2.y - t1.y) +
      ' drawn=' + (zoomLayer.attr('transform') === t2.toString()));
    key('0');
    out.push('reset k=' + d3.zoomTransform(net.node()).k);
    document.getElementById('selftest').textContent = out.join('\n');
  }
  // From navigation start to a drawn page, in ms (bench/training_page.sh reads it).
  // #playtest: the timeline's playback in real time: play (the button), pause, space twice,
  // then End and Home; what the page showed after each, into <pre id="selftest">. Resolves
  // when done (the page says ready only then).
  let pending = null;
  if (params.has('playtest') && !opts.detail) {
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    const key = (k) => document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    const it = () => Number(document.body.getAttribute('data-train'));
    const button = document.getElementById('play');
    const out = ['start=' + it()];
    pending = (async () => {
      button.click();
      out.push('button=' + button.textContent.trim());
      await wait(800);
      const a = it();
      button.click();
      const b = it();
      out.push('played=' + (a > 0) + ' button=' + button.textContent.trim());
      await wait(600);
      out.push('paused=' + (it() === b));
      key(' ');
      await wait(800);
      const c = it();
      key(' ');
      out.push('space=' + (c > b) + ' stopped=' + (state.playing === null));
      key('End');
      out.push('end=' + it());
      key('Home');
      out.push('home=' + it());
      document.getElementById('selftest').textContent = out.join(' ');
    })();
  }

  return { load: load, resize: resize, go: go, state: state, pending: pending };
};

// The training page: its record is the JSON of #gf-data.
(function () {
  const data = document.getElementById('gf-data');
  if (!data) return;
  const lang = document.documentElement.lang.startsWith('zh') ? 'zh' : 'en';
  const view = window.gradflowTraining({ data: JSON.parse(data.textContent), lang: lang });
  // From navigation start to a drawn page, in ms (bench/training_page.sh reads it).
  document.body.setAttribute('data-ready-ms', performance.now().toFixed(1));
  if (!view.pending) document.body.setAttribute('data-status', 'ready');
  else view.pending.then(() => document.body.setAttribute('data-status', 'ready'));
})();
