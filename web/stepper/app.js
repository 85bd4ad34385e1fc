// The browser view of a recorded backward pass. It only replays what the C++ Stepper recorded
// and explain() found: no derivative, product or sum of gradients is computed here.
//
// The data (the JSON text of the element #gf-data, written by views/html_view.cpp with
// nlohmann::json):
//   root                 id of the node the pass started from
//   saturationThreshold  ops' saturation_threshold: below it a squashing node is "saturated"
//   nodes[id]            {label, op, kind ("op", "input", "parameter", "constant"), value,
//                         box, boxName, boxKind, group}: label is the name the drawing shows;
//                         box the id of the drawn box holding the node (-1: drawn itself), the
//                         box's group name and kind; group the node's innermost group, or ""
//   params               ids of the parameter nodes
//   paramGroups[i]       {name, params: [ids]}: the parameters by the group they were made in
//   steps[k]             {node, upstream, passed, saturated, edges: [{edge, operand, slot,
//                         local, contribution, before, after, blocked, vanishing}]}: the Stepper's
//                         records; before/after are the operand's gradient around the step
//                         (vanishing: 0 < |local| < saturationThreshold, drawn faint)
//   findings[i]          {severity ("error", "warning", "note"), kind, text, nodes: [ids]},
//                         summarised per layer by group_findings()
//   look                 {heat: [{atLeast, color, width, range}], zero, unreached, blocked,
//                         vanishing, highlight}: views/look.hpp's colours, so that an edge's
//                         colour and width mean the same |contribution| as in the DOT dumps
//   lang, words          the page's language tag and every word it shows, in that language
// JSON has no NaN or infinities: those numbers arrive as the strings "NaN", "Infinity" and
// "-Infinity" and are turned back into numbers by decode().
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const SVGNS = 'http://www.w3.org/2000/svg';

  // ---- the data ---------------------------------------------------------------------------------

  const SPECIAL = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
  function number(v) {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(SPECIAL, v)) {
      return SPECIAL[v];
    }
    throw new Error('gradflow: not a number in the data: ' + JSON.stringify(v));
  }
  function decode(raw) {
    raw.saturationThreshold = number(raw.saturationThreshold);
    for (const n of raw.nodes) n.value = number(n.value);
    for (const s of raw.steps) {
      s.upstream = number(s.upstream);
      s.passed = number(s.passed);
      for (const e of s.edges) {
        for (const key of ['local', 'contribution', 'before', 'after']) e[key] = number(e[key]);
      }
    }
    return raw;
  }
  const D = decode(JSON.parse($('gf-data').textContent));
  const N = D.steps.length;
  window.gfData = D; // for the tests and for the curious, in the console
  const stepOf = new Map(D.steps.map((s, k) => [s.node, k]));

  // ---- words --------------------------------------------------------------------------------------

  // The marks' colours come from look.hpp through the data, as the DOT dumps draw them.
  for (const [name, color] of [['--blocked', D.look.blocked], ['--vanishing', D.look.vanishing],
    ['--zero', D.look.zero]]) {
    document.documentElement.style.setProperty(name, color);
  }
  const W = D.words;
  // A word with its {0}, {1}, ... filled in.
  const say = (key, ...args) => W[key].replace(/\{(\d)\}/g, (m, i) => String(args[Number(i)]));
  for (const el of document.querySelectorAll('[data-word]')) {
    el.textContent = W[el.getAttribute('data-word')];
  }
  $('first').title = W.first;
  $('last').title = W.last;
  $('prev').title = W.back + ' (\u2190, p)';
  $('next').title = W.next + ' (\u2192, n)';
  $('fit').textContent = W.zoom;
  {
    // "Step {0} of {1}": the numbers in their own elements, which show() updates.
    const where = $('where');
    const parts = W.step.split(/(\{[01]\})/);
    for (const part of parts) {
      if (part === '{0}' || part === '{1}') {
        const b = document.createElement('b');
        b.id = part === '{0}' ? 'stepno' : 'total';
        where.appendChild(b);
      } else if (part) {
        where.appendChild(document.createTextNode(part));
      }
    }
  }

  function fmt(x) {
    if (Number.isNaN(x)) return 'NaN';
    if (!Number.isFinite(x)) return x > 0 ? '\u221e' : '\u2212\u221e';
    if (x === 0) return '0';
    const a = Math.abs(x);
    const s = (a >= 1e-3 && a < 1e5) ? String(Number(x.toPrecision(4)))
      : x.toExponential(3).replace(/\.?0+e/, 'e');
    return s.replace('-', '\u2212');
  }
  const label = (id) => D.nodes[id].label;
  const same = (a, b) => a === b || (Number.isNaN(a) && Number.isNaN(b));

  // ---- the drawing: scaled to its panel, one gradient badge under every node ------------------

  const svg = document.querySelector('#graph svg');
  // Zoom and pan (d3-zoom): the drawing goes into a group the zoom transforms; without a viewBox
  // one unit of the drawing is one CSS pixel at zoom 1.
  const view = svg.viewBox.baseVal;
  const drawing = { width: view ? view.width : 400, height: view ? view.height : 300 };
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.removeAttribute('viewBox');
  const viewport = document.createElementNS(SVGNS, 'g');
  viewport.setAttribute('id', 'viewport');
  while (svg.firstChild) viewport.appendChild(svg.firstChild);
  svg.appendChild(viewport);
  // dot's caption states whether gradients exist; here they arrive step by step.
  for (const t of svg.querySelectorAll('#graph0 > text')) {
    const line = t.textContent.trim();
    if (line.startsWith(W.captionForward) || line.startsWith(W.captionBackward)) t.remove();
  }
  const nodeEl = (id) => document.getElementById('n' + id);
  const edgeEl = (e) => document.getElementById('e' + e);
  const badges = new Map();
  for (let id = 0; id < D.nodes.length; ++id) {
    const el = nodeEl(id);
    if (!el || !el.classList.contains('node')) continue;
    const box = el.getBBox();
    const g = document.createElementNS(SVGNS, 'g');
    g.setAttribute('class', 'badge');
    const rect = document.createElementNS(SVGNS, 'rect');
    const text = document.createElementNS(SVGNS, 'text');
    text.setAttribute('x', box.x + box.width / 2);
    text.setAttribute('y', box.y + box.height + 8); // a pill hanging from the bottom border
    text.setAttribute('text-anchor', 'middle');
    g.appendChild(rect);
    g.appendChild(text);
    el.parentNode.appendChild(g);
    badges.set(id, { g, rect, text });
  }

  // Every node's gradient after step k: the last record that wrote it, replayed in order (a
  // step's own node keeps what it passed on; each operand holds its recorded `after`).
  function gradientsAt(k) {
    const grad = new Float64Array(D.nodes.length);
    const got = new Uint8Array(D.nodes.length);
    for (let i = 0; i <= k; ++i) {
      const s = D.steps[i];
      grad[s.node] = s.passed;
      got[s.node] = 1;
      for (const e of s.edges) {
        grad[e.operand] = e.after;
        got[e.operand] = 1;
      }
    }
    return { grad, got };
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function sentence(s) {
    const p = $('sentence');
    p.textContent = '';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = label(s.node);
    p.appendChild(name);
    const n = D.nodes[s.node];
    let text;
    if (n.kind === 'op') {
      text = say('receives', n.op, fmt(n.value), fmt(s.upstream));
      if (!same(s.passed, s.upstream)) text += say('hook', fmt(s.passed));
      if (s.upstream === 0) text += W.nothing;
      const parts = s.edges.map((e) => say('gets', label(e.operand), fmt(s.passed), fmt(e.local),
        fmt(e.contribution)));
      text += say('passesOn', parts.join(W.listSep));
      const blocked = s.edges.filter((e) => e.blocked).map((e) => label(e.operand));
      if (blocked.length) text += say('blockedToward', blocked.join(', '));
    } else {
      const what = n.kind === 'input' ? W.input : n.kind === 'parameter' ? W.param : W.constant;
      text = say('leafIs', what, fmt(s.passed));
      if (!same(s.passed, s.upstream)) text += say('hookChanged', fmt(s.upstream));
    }
    p.appendChild(document.createTextNode(text));
    if (s.saturated) {
      const warn = document.createElement('span');
      warn.className = 'saturated';
      warn.textContent = say('saturated', fmt(s.edges[0].local), fmt(D.saturationThreshold));
      p.appendChild(warn);
    }
    if (n.box >= 0 && n.box !== s.node) {
      const inside = document.createElement('span');
      inside.className = 'inside';
      inside.textContent = say('inside', n.boxName, n.boxKind);
      p.appendChild(inside);
    }
  }

  // The decade of |contribution| on the DOT dumps' scale (look.hpp's heat).
  function heat(c) {
    const a = Math.abs(c);
    for (const h of D.look.heat) if (a >= h.atLeast) return h;
    return D.look.heat[D.look.heat.length - 1];
  }

  // "← contribution" under a lit edge's label (or at its middle when it has none).
  function contributionLabel(ee, e) {
    if (ee.classList.contains('bundle')) return; // many edges: its label says how many
    const t = document.createElementNS(SVGNS, 'text');
    t.setAttribute('class', 'contribution');
    t.setAttribute('text-anchor', 'middle');
    const texts = ee.querySelectorAll('text');
    if (texts.length) {
      const last = texts[texts.length - 1];
      t.setAttribute('x', last.getAttribute('x'));
      t.setAttribute('y', Number(last.getAttribute('y')) + 12);
    } else {
      const path = ee.querySelector('path');
      const mid = path.getPointAtLength(path.getTotalLength() / 2);
      t.setAttribute('x', mid.x);
      t.setAttribute('y', mid.y - 4);
    }
    t.textContent = '\u2190 ' + fmt(e.contribution);
    // On top of every node, so that no box hides it.
    (svg.querySelector('#graph0') || ee.parentNode).appendChild(t);
  }

  // ---- the parameters, by the group they were made in ----------------------------------------------

  // Groups the reader opened or closed, by name; the current node's group opens by itself.
  const opened = new Map();
  function paramTable(ids, touched, grad, got) {
    const table = document.createElement('table');
    const head = document.createElement('tr');
    for (const w of [W.parameter, W.value, W.gradient]) {
      const th = document.createElement('th');
      th.textContent = w;
      head.appendChild(th);
    }
    const thead = document.createElement('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    const body = document.createElement('tbody');
    for (const p of ids) {
      const tr = document.createElement('tr');
      if (touched.has(p)) tr.className = 'changed';
      cell(tr, label(p));
      cell(tr, fmt(D.nodes[p].value));
      cell(tr, got[p] ? fmt(grad[p]) : '\u2013');
      body.appendChild(tr);
    }
    table.appendChild(body);
    return table;
  }
  function showParams(s, grad, got) {
    const box = $('params');
    box.textContent = '';
    if (!D.params.length) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = W.noParams;
      box.appendChild(p);
      return;
    }
    const touched = new Set(s.edges.map((e) => e.operand).concat([s.node]));
    const here = D.nodes[s.node].group;
    // The group of the current node (or of the parameters it touches) first, open.
    const isHere = (grp) => grp.name === here || grp.params.some((p) => touched.has(p));
    const groups = D.paramGroups.filter(isHere).concat(D.paramGroups.filter((g) => !isHere(g)));
    for (const grp of groups) {
      if (!grp.name || D.paramGroups.length === 1) {
        box.appendChild(paramTable(grp.params, touched, grad, got));
        continue;
      }
      const details = document.createElement('details');
      details.setAttribute('data-group', grp.name);
      const auto = isHere(grp);
      details.open = opened.has(grp.name) ? opened.get(grp.name) : auto;
      if (auto) details.className = 'here';
      const summary = document.createElement('summary');
      let most = NaN; // no gradient yet: shown as a dash
      for (const p of grp.params) {
        if (got[p]) most = Number.isNaN(most) ? Math.abs(grad[p]) : Math.max(most, Math.abs(grad[p]));
      }
      const title = document.createElement('b');
      title.textContent = grp.name;
      summary.appendChild(title);
      summary.appendChild(document.createTextNode(' ' + say('paramsIn', grp.params.length,
        Number.isNaN(most) ? '\u2013' : fmt(most))));
      details.appendChild(summary);
      details.appendChild(paramTable(grp.params, touched, grad, got));
      details.addEventListener('toggle', () => opened.set(grp.name, details.open));
      box.appendChild(details);
    }
  }

  // ---- zoom and pan ---------------------------------------------------------------------------------

  // The smallest text of the drawing is 9 points: never below 10 px at the starting zoom.
  const READABLE = 10 / 9;
  const sel = d3.select(svg);
  const zoom = d3.zoom().scaleExtent([0.1, 8]).on('zoom', (ev) => {
    viewport.setAttribute('transform', ev.transform.toString());
    document.body.setAttribute('data-zoom', ev.transform.k.toFixed(3));
  });
  sel.call(zoom).on('dblclick.zoom', null);
  function fitScale() {
    const w = svg.clientWidth || 600, h = svg.clientHeight || 400;
    return Math.min(w / drawing.width, h / drawing.height) * 0.98;
  }
  // The whole drawing if its text is readable that way, else readable and centred on `el`.
  function home(el) {
    const fit = fitScale();
    if (fit >= READABLE || !el) {
      const k = Math.min(Math.max(fit, 0.1), 2);
      const w = svg.clientWidth || 600, h = svg.clientHeight || 400;
      sel.call(zoom.transform, d3.zoomIdentity.translate((w - drawing.width * k) / 2,
        (h - drawing.height * k) / 2).scale(k));
    } else {
      sel.call(zoom.transform, d3.zoomIdentity.scale(READABLE));
      centre(el);
    }
  }
  // The point of the viewport (untransformed drawing coordinates) at the middle of `el`.
  function middle(el) {
    const r = el.getBoundingClientRect(), s0 = svg.getBoundingClientRect();
    const t = d3.zoomTransform(svg);
    return t.invert([r.left + r.width / 2 - s0.left, r.top + r.height / 2 - s0.top]);
  }
  function centre(el) {
    const [x, y] = middle(el);
    zoom.translateTo(sel, x, y);
  }
  // Pans to `el` when it is not in view, keeping the zoom.
  function reveal(el) {
    const r = el.getBoundingClientRect(), s0 = svg.getBoundingClientRect();
    const inside = r.left >= s0.left && r.right <= s0.right && r.top >= s0.top &&
      r.bottom <= s0.bottom;
    if (!inside) centre(el);
  }
  $('fit').addEventListener('click', () => {
    const k = fitScale();
    const w = svg.clientWidth || 600, h = svg.clientHeight || 400;
    sel.call(zoom.transform, d3.zoomIdentity.translate((w - drawing.width * k) / 2,
      (h - drawing.height * k) / 2).scale(k));
  });

  // ---- the legend: the DOT dumps' scale ------------------------------------------------------------

  {
    const legend = $('legend');
    const item = (cls, color, width, text) => {
      const span = document.createElement('span');
      span.className = 'key ' + cls;
      const line = document.createElement('i');
      line.style.borderTopColor = color;
      line.style.borderTopWidth = width + 'px';
      span.appendChild(line);
      span.appendChild(document.createTextNode(text));
      legend.appendChild(span);
    };
    const head = document.createElement('span');
    head.textContent = W.scale;
    legend.appendChild(head);
    for (const h of D.look.heat) item('heat', h.color, h.width, h.range);
    item('zero', D.look.zero, 1, '0');
    item('blocked', D.look.blocked, 2, W.blocked);
    item('vanishing', D.look.vanishing, 1.5, '\u22480 ' + W.vanishing);
  }

  // ---- one step -----------------------------------------------------------------------------------

  let current = -1;
  const selftest = /(?:^#|&)selftest\b/.test(location.hash);

  function show(k) {
    k = Math.max(0, Math.min(N - 1, k | 0));
    current = k;
    const s = D.steps[k];
    for (const el of document.querySelectorAll('#graph .current, #graph .lit, #graph .flowed, ' +
                                               '#graph .blocked, #graph .done, #graph .nil, ' +
                                               '#graph .vanishing, #graph .inside')) {
      el.classList.remove('current', 'lit', 'flowed', 'blocked', 'done', 'nil', 'vanishing',
        'inside');
    }
    for (const el of document.querySelectorAll('#graph text.contribution')) el.remove();
    for (let i = 0; i <= k; ++i) {
      const si = D.steps[i];
      const ne = nodeEl(si.node);
      if (ne && i < k) ne.classList.add('done');
      for (const e of si.edges) {
        const ee = edgeEl(e.edge);
        if (!ee) continue;
        ee.classList.add(i === k ? 'lit' : 'flowed');
        if (e.blocked) ee.classList.add('blocked');
        else if (e.contribution === 0) ee.classList.add('nil');
        else if (e.vanishing) ee.classList.add('vanishing');
        const h = heat(e.contribution);
        ee.style.setProperty('--heat', h.color);
        ee.style.setProperty('--heat-w', h.width + 'px');
        if (i === k) contributionLabel(ee, e);
      }
    }
    // The current node, or the box it is drawn in.
    const n = D.nodes[s.node];
    const cur = nodeEl(s.node) || (n.box >= 0 ? nodeEl(n.box) : null);
    if (cur) {
      cur.classList.add('current');
      if (!nodeEl(s.node) || n.box >= 0) cur.classList.add('inside');
      reveal(cur);
    }

    const { grad, got } = gradientsAt(k);
    for (const [id, b] of badges) {
      if (!got[id]) {
        b.g.style.display = 'none';
        continue;
      }
      b.g.style.display = '';
      b.text.textContent = '\u2207 ' + fmt(grad[id]);
      b.g.setAttribute('class', 'badge' + (grad[id] === 0 ? ' zero' : '') +
        (id === s.node ? ' current' : ''));
      const t = b.text.getBBox();
      b.rect.setAttribute('x', t.x - 4);
      b.rect.setAttribute('y', t.y - 1);
      b.rect.setAttribute('width', t.width + 8);
      b.rect.setAttribute('height', t.height + 2);
      b.rect.setAttribute('rx', 4);
    }

    $('stepno').textContent = String(k + 1);
    $('slider').value = String(k + 1);
    $('prev').disabled = $('first').disabled = k === 0;
    $('next').disabled = $('last').disabled = k === N - 1;
    sentence(s);

    const edges = $('edges-body');
    edges.textContent = '';
    if (!s.edges.length) {
      const tr = document.createElement('tr');
      cell(tr, W.leaf, 'empty').colSpan = 4;
      edges.appendChild(tr);
    }
    for (const e of s.edges) {
      const tr = document.createElement('tr');
      if (e.blocked) tr.className = 'blocked';
      if (e.vanishing) tr.className = 'vanishing';
      cell(tr, label(e.operand));
      cell(tr, fmt(e.local));
      cell(tr, fmt(e.contribution));
      cell(tr, fmt(e.before) + ' \u2192 ' + fmt(e.after));
      edges.appendChild(tr);
    }

    showParams(s, grad, got);

    document.body.setAttribute('data-step', String(k + 1));
    document.body.setAttribute('data-current', 'n' + s.node);
    const want = '#step=' + (k + 1);
    if (location.hash !== want && !selftest) {
      try {
        history.replaceState(null, '', want);
      } catch (err) {
        // file:// may refuse; the page works without it
      }
    }
  }

  function fromHash() {
    const m = /(?:^#|&)step=(-?\d+)/.exec(location.hash);
    return m ? Math.max(1, Math.min(N, parseInt(m[1], 10))) - 1 : 0;
  }

  // ---- controls -----------------------------------------------------------------------------------

  $('slider').max = String(N);
  $('total').textContent = String(N);
  $('first').addEventListener('click', () => show(0));
  $('prev').addEventListener('click', () => show(current - 1));
  $('next').addEventListener('click', () => show(current + 1));
  $('last').addEventListener('click', () => show(N - 1));
  $('slider').addEventListener('input', (ev) => show(parseInt(ev.target.value, 10) - 1));
  document.addEventListener('keydown', (ev) => {
    if (ev.target && ev.target.tagName === 'INPUT' && ev.target.type !== 'range') return;
    let k = null;
    if (ev.key === 'ArrowRight' || ev.key === 'n' || ev.key === ' ') k = current + 1;
    else if (ev.key === 'ArrowLeft' || ev.key === 'p') k = current - 1;
    else if (ev.key === 'Home') k = 0;
    else if (ev.key === 'End') k = N - 1;
    if (k === null) return;
    ev.preventDefault();
    show(k);
  });
  window.addEventListener('hashchange', () => {
    if (fromHash() !== current) show(fromHash());
  });

  // ---- the findings: pointing at one marks its nodes, clicking goes to its first node's step -

  function mention(nodes, on) {
    for (const id of nodes) {
      const el = nodeEl(id);
      if (el) el.classList.toggle('mentioned', on);
    }
  }
  const diag = $('diag');
  for (const f of D.findings) {
    const li = document.createElement('li');
    li.className = 'finding ' + f.severity;
    li.setAttribute('data-kind', f.kind);
    const tag = document.createElement('span');
    tag.className = 'severity';
    tag.textContent = W[f.severity] || f.severity;
    li.appendChild(tag);
    li.appendChild(document.createTextNode(f.text));
    li.addEventListener('mouseenter', () => mention(f.nodes, true));
    li.addEventListener('mouseleave', () => mention(f.nodes, false));
    const target = f.nodes.find((id) => stepOf.has(id));
    if (target !== undefined) {
      li.title = say('goTo', label(target));
      li.addEventListener('click', () => show(stepOf.get(target)));
    }
    diag.appendChild(li);
  }
  if (!D.findings.length) $('diag-head').style.display = 'none';

  document.documentElement.lang = D.lang;
  home(null);
  show(fromHash());
  if (fitScale() < READABLE) home(nodeEl(D.steps[current].node) ||
    nodeEl(D.nodes[D.steps[current].node].box));

  // #selftest: drive the controls as a user would and write what was highlighted after each
  // action, then how many nodes pointing at the first finding marked, for the headless test.
  if (selftest) {
    const seen = [document.body.getAttribute('data-current')];
    const note = () => seen.push(document.body.getAttribute('data-current'));
    const key = (k) => document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true }));
    key('ArrowRight');
    note();
    $('next').click();
    note();
    key('ArrowLeft');
    note();
    $('slider').value = String(N);
    $('slider').dispatchEvent(new Event('input', { bubbles: true }));
    note();
    const first = diag.querySelector('li');
    if (first) {
      first.click();
      note();
    }
    $('last').click();
    note();
    $('first').click();
    note();
    if (first) {
      first.dispatchEvent(new MouseEvent('mouseenter'));
      seen.push('mentioned=' + document.querySelectorAll('#graph .node.mentioned').length);
      first.dispatchEvent(new MouseEvent('mouseleave'));
      seen.push('mentioned=' + document.querySelectorAll('#graph .node.mentioned').length);
    }
    $('selftest').textContent = seen.join(' ');
  }
  document.body.setAttribute('data-status', 'ready');
}());
