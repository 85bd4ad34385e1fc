// The browser view of a recorded backward pass. It only replays what the C++ Stepper recorded
// and explain() found: no derivative, product or sum of gradients is computed here.
//
// The data (the JSON text of the element #gf-data, written by views/html_view.cpp with
// nlohmann::json):
//   root                 id of the node the pass started from
//   saturationThreshold  ops' saturation_threshold: below it a squashing node is "saturated"
//   nodes[id]            {label, op, kind ("op", "input", "parameter", "constant"), value}
//   params               ids of the parameter nodes
//   steps[k]             {node, upstream, passed, saturated, edges: [{edge, operand, slot,
//                         local, contribution, before, after, blocked}]}: the Stepper's
//                         records; before/after are the operand's gradient around the step
//   findings[i]          {severity ("error", "warning", "note"), kind, text, nodes: [ids]}
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
  const wrap = (s) => (/[-+*/() ]/.test(s) ? '(' + s + ')' : s);
  const dfrac = (id) => '\u2202' + wrap(label(D.root)) + '/\u2060\u2202' + wrap(label(id));
  const same = (a, b) => a === b || (Number.isNaN(a) && Number.isNaN(b));

  // ---- the drawing: scaled to its panel, one gradient badge under every node ------------------

  const svg = document.querySelector('#graph svg');
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  // dot's caption states whether gradients exist; here they arrive step by step.
  for (const t of svg.querySelectorAll('#graph0 > text')) {
    if (/^after (forward|backward)/.test(t.textContent)) t.remove();
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
      text = ' (' + n.op + ', value ' + fmt(n.value) + ') receives ' + dfrac(s.node) + ' = ' +
        fmt(s.upstream) + '.';
      if (!same(s.passed, s.upstream)) text += ' A hook turns it into ' + fmt(s.passed) + '.';
      if (s.upstream === 0) text += ' Nothing arrived, so nothing can pass on.';
      const parts = s.edges.map((e) => label(e.operand) + ' gets ' + fmt(s.passed) + ' \u00d7 ' +
        fmt(e.local) + ' = ' + fmt(e.contribution));
      text += ' It passes on: ' + parts.join('; ') + '.';
      const blocked = s.edges.filter((e) => e.blocked).map((e) => label(e.operand));
      if (blocked.length) {
        text += ' Blocked toward ' + blocked.join(', ') + ': the local derivative is exactly 0.';
      }
    } else {
      text = ' is ' + (n.kind === 'input' ? 'an input' : 'a ' + n.kind) + ': its gradient is ' +
        'complete, ' + dfrac(s.node) + ' = ' + fmt(s.passed) + '.';
      if (!same(s.passed, s.upstream)) text += ' (A hook changed it from ' + fmt(s.upstream) + '.)';
    }
    p.appendChild(document.createTextNode(text));
    if (s.saturated) {
      const warn = document.createElement('span');
      warn.className = 'saturated';
      warn.textContent = ' Saturated: its local derivative ' + fmt(s.edges[0].local) +
        ' is below ' + fmt(D.saturationThreshold) +
        ', so it passes on almost none of the gradient.';
      p.appendChild(warn);
    }
  }

  // ---- one step -----------------------------------------------------------------------------------

  let current = -1;
  const selftest = /(?:^#|&)selftest\b/.test(location.hash);

  function show(k) {
    k = Math.max(0, Math.min(N - 1, k | 0));
    current = k;
    const s = D.steps[k];
    for (const el of document.querySelectorAll('#graph .current, #graph .lit, #graph .flowed, ' +
                                               '#graph .blocked, #graph .done, #graph .nil')) {
      el.classList.remove('current', 'lit', 'flowed', 'blocked', 'done', 'nil');
    }
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
      }
    }
    const cur = nodeEl(s.node);
    if (cur) cur.classList.add('current');

    const { grad, got } = gradientsAt(k);
    for (const [id, b] of badges) {
      if (!got[id]) {
        b.g.style.display = 'none';
        continue;
      }
      b.g.style.display = '';
      b.text.textContent = '\u2202 ' + fmt(grad[id]);
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
      cell(tr, 'a leaf: nothing to pass on', 'empty').colSpan = 4;
      edges.appendChild(tr);
    }
    for (const e of s.edges) {
      const tr = document.createElement('tr');
      if (e.blocked) tr.className = 'blocked';
      cell(tr, label(e.operand));
      cell(tr, fmt(e.local));
      cell(tr, fmt(e.contribution));
      cell(tr, fmt(e.before) + ' \u2192 ' + fmt(e.after));
      edges.appendChild(tr);
    }

    const params = $('params-body');
    params.textContent = '';
    const touched = new Set(s.edges.map((e) => e.operand).concat([s.node]));
    for (const p of D.params) {
      const tr = document.createElement('tr');
      if (touched.has(p)) tr.className = 'changed';
      cell(tr, label(p));
      cell(tr, fmt(D.nodes[p].value));
      cell(tr, got[p] ? fmt(grad[p]) : '\u2013');
      params.appendChild(tr);
    }
    if (!D.params.length) {
      const tr = document.createElement('tr');
      cell(tr, 'no parameters', 'empty').colSpan = 3;
      params.appendChild(tr);
    }

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
    tag.textContent = f.severity;
    li.appendChild(tag);
    li.appendChild(document.createTextNode(f.text));
    li.addEventListener('mouseenter', () => mention(f.nodes, true));
    li.addEventListener('mouseleave', () => mention(f.nodes, false));
    const target = f.nodes.find((id) => stepOf.has(id));
    if (target !== undefined) {
      li.title = 'go to the step of \u2018' + label(target) + '\u2019';
      li.addEventListener('click', () => show(stepOf.get(target)));
    }
    diag.appendChild(li);
  }
  if (!D.findings.length) $('diag-head').style.display = 'none';

  show(fromHash());

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
