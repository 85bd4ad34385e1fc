#include <gradflow/views/html_view.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/chart.hpp>

namespace gradflow {
namespace {

// ---- escaping -----------------------------------------------------------------------------------

// A JavaScript string literal that is also safe inside <script>: no '<', no line terminators;
// bytes of UTF-8 pass through (the page is UTF-8).
std::string js_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&' || u == 0x7F) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A number as a JavaScript literal: shortest round-trip form, or NaN/Infinity.
std::string js_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

// ---- the drawing --------------------------------------------------------------------------------

// The graph as SVG by `dot`, through temporary files; without the XML prologue, so that it can
// be inlined in HTML.
std::string layout_svg(const Graph& g, RankDir rankdir) {
  DotOptions o;
  o.rankdir = rankdir;
  o.show.gradient = false;  // the page shows running gradients itself
  o.show.contribution = false;
  o.legend = false;
  const std::string dot = to_dot(g, o);

  namespace fs = std::filesystem;
  std::random_device rd;
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("gradflow-view-{:08x}{:08x}", rd(), rd());
  fs::create_directories(dir);
  const fs::path dot_path = dir / "graph.dot", svg_path = dir / "graph.svg";
  std::string svg;
  try {
    plot::write_text_file(dot_path.string(), dot);
    if (!render(dot_path.string(), svg_path.string()))
      throw Error(
          "gradflow: the browser view needs Graphviz's `dot` to lay out the graph: install "
          "graphviz (Debian: apt-get install graphviz)");
    std::ifstream in(svg_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    svg = text.str();
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    throw;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  const auto start = svg.find("<svg");
  if (start == std::string::npos) throw Error("gradflow: dot produced no SVG for the browser view");
  return svg.substr(start);
}

// ---- the records --------------------------------------------------------------------------------

std::string data_script(const Stepper& pass, const std::string& words) {
  const Graph& g = pass.graph();
  std::string out = "const DATA = {\n";
  out += fmt::format("root: {},\nrootLabel: {},\n", pass.root(), js_string(g.label(pass.root())));
  out += "nodes: [\n";
  for (NodeId i = 0; i < g.size(); ++i)
    out += fmt::format("{{label: {}, op: {}, kind: {}, value: {}}},\n", js_string(g.label(i)),
                       js_string(info(g.op(i)).name),
                       js_string(g.kind(i) == NodeKind::op ? "op" : info(g.op(i)).name),
                       js_number(pass.value(i)));
  out += "],\nparams: [";
  for (const NodeId p : pass.parameters()) out += fmt::format("{},", p);
  out += "],\nsteps: [\n";
  for (std::size_t k = 0; k < pass.size(); ++k) {
    const Step s = pass.step(k);
    out += fmt::format("{{node: {}, up: {}, passed: {}, edges: [", s.node, js_number(s.upstream),
                       js_number(s.passed));
    for (const EdgeStep& e : s.edges)
      out += fmt::format("{{e: {}, to: {}, d: {}, c: {}, before: {}, after: {}}},", e.edge,
                         e.operand, js_number(e.local_derivative), js_number(e.contribution),
                         js_number(e.grad_before), js_number(e.grad_after));
    out += "]},\n";
  }
  out += "],\ndiagnostics: [";
  std::size_t at = 0;
  while (at < words.size()) {
    auto end = words.find('\n', at);
    if (end == std::string::npos) end = words.size();
    std::string_view line(words.data() + at, end - at);
    if (line.starts_with("- ")) line.remove_prefix(2);
    if (!line.empty()) out += js_string(line) + ",\n";
    at = end + 1;
  }
  out += "],\n};\n";
  return out;
}

// ---- the page -----------------------------------------------------------------------------------

// Installed before anything else runs, so that even a syntax error in the main script is caught
// and written into the page (the tests read it with chromium --dump-dom).
constexpr std::string_view kErrorTrap = R"JS(
window.gfErrors = [];
window.addEventListener('error', function (e) {
  window.gfErrors.push(String(e.message || e));
  var list = document.getElementById('errors');
  if (list) { var li = document.createElement('li'); li.textContent = String(e.message || e);
              list.appendChild(li); }
  document.documentElement.setAttribute('data-errors', String(window.gfErrors.length));
});
)JS";

constexpr std::string_view kStyle = R"CSS(
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --accent: #d946ef;
        --flow: #2563eb; --lit: #f59e0b; --blocked: #dc2626; --panel: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
       sans-serif; color: var(--ink); background: #fff; }
header { padding: 14px 22px 10px; border-bottom: 1px solid var(--line); }
h1 { font-size: 19px; margin: 0; font-weight: 650; }
h1 code { font-size: 18px; }
header p { margin: 3px 0 0; color: var(--muted); }
main { display: flex; align-items: stretch; min-height: calc(100vh - 70px); }
#graph { flex: 1 1 auto; min-width: 0; padding: 14px; display: flex; align-items: center;
         justify-content: center; }
#graph svg { width: 100%; height: auto; max-height: calc(100vh - 100px); }
aside { flex: 0 0 420px; border-left: 1px solid var(--line); background: var(--panel);
        padding: 14px 18px; overflow-y: auto; max-height: calc(100vh - 70px); }
#controls { display: flex; gap: 6px; align-items: center; }
#controls button { font: inherit; padding: 4px 10px; border: 1px solid #d1d5db;
                   background: #fff; border-radius: 6px; cursor: pointer; }
#controls button:hover { border-color: var(--accent); }
#controls button:disabled { opacity: .4; cursor: default; }
#slider { flex: 1; accent-color: var(--accent); }
#where { margin: 10px 0 4px; font-size: 13px; color: var(--muted); }
#where b { color: var(--ink); }
#sentence { margin: 4px 0 10px; font-size: 15px; }
#sentence .name { font-weight: 650; color: var(--accent); }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
     margin: 16px 0 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 3px 6px; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
tr.blocked td { color: var(--blocked); }
tr.changed td { background: #fdf4ff; }
td.empty { color: var(--muted); text-align: left; font-style: italic; }
#diag { padding-left: 18px; margin: 4px 0; }
#diag li { margin-bottom: 6px; }
.help { color: var(--muted); font-size: 12px; margin-top: 14px; }
kbd { border: 1px solid #d1d5db; border-bottom-width: 2px; border-radius: 4px; padding: 0 4px;
      font-size: 11px; background: #fff; }
#errors:empty, #selftest:empty { display: none; }
#errors { color: var(--blocked); }

/* The drawing: future edges grey, passed edges blue, the current step's edges lit. */
#graph .edge path { stroke: #cbd5e1 !important; stroke-width: 1.2px; }
#graph .edge polygon { fill: #cbd5e1 !important; stroke: #cbd5e1 !important; }
#graph .edge text { fill: #9ca3af !important; }
#graph .edge.flowed path { stroke: var(--flow) !important; stroke-width: 2px; }
#graph .edge.flowed polygon { fill: var(--flow) !important; stroke: var(--flow) !important; }
#graph .edge.flowed text { fill: var(--ink) !important; }
#graph .edge.lit path { stroke: var(--lit) !important; stroke-width: 3.5px;
                        stroke-dasharray: 9 5; animation: gf-flow .9s linear infinite; }
#graph .edge.lit polygon { fill: var(--lit) !important; stroke: var(--lit) !important; }
#graph .edge.lit text { fill: var(--ink) !important; font-weight: 700; }
#graph .edge.blocked path { stroke: var(--blocked) !important; stroke-dasharray: 4 4; }
#graph .edge.blocked polygon { fill: var(--blocked) !important; stroke: var(--blocked) !important; }
#graph .edge.blocked text { fill: var(--blocked) !important; }
#graph .edge.nil path { stroke: #9ca3af !important; stroke-width: 1.6px; }
#graph .edge.nil polygon { fill: #9ca3af !important; stroke: #9ca3af !important; }
#graph .edge.lit.nil path { stroke: #fbbf24 !important; }
@keyframes gf-flow { to { stroke-dashoffset: -28; } }
#graph .node.current :is(path, polygon, ellipse) {
  stroke: var(--accent) !important; stroke-width: 3.5px !important; }
#graph .node.done { opacity: .9; }
#graph .badge rect { fill: #fff; stroke: var(--flow); stroke-width: 1px; }
#graph .badge text { fill: var(--flow); font: 600 10px system-ui, Helvetica, Arial, sans-serif; }
#graph .badge.zero rect { stroke: #9ca3af; }
#graph .badge.zero text { fill: #6b7280; }
#graph .badge.current rect { stroke: var(--accent); stroke-width: 2px; }
#graph .badge.current text { fill: var(--accent); }
)CSS";

constexpr std::string_view kScript = R"JS(
(function () {
  'use strict';
  const D = DATA, N = D.steps.length;
  const $ = (id) => document.getElementById(id);
  const SVGNS = 'http://www.w3.org/2000/svg';

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
  const wrap = (s) => /[-+*\/() ]/.test(s) ? '(' + s + ')' : s;
  const dfrac = (id) => '\u2202' + wrap(D.rootLabel) + '/\u2060\u2202' + wrap(label(id));

  // Drawing: scale to the panel, and one gradient badge under every node.
  const svg = document.querySelector('#graph svg');
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  // dot's caption states whether gradients exist; here they arrive step by step.
  for (const t of svg.querySelectorAll('#graph0 > text'))
    if (/^after (forward|backward)/.test(t.textContent)) t.remove();
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
    text.setAttribute('y', box.y + box.height + 8);  // a pill hanging from the bottom border
    text.setAttribute('text-anchor', 'middle');
    g.appendChild(rect);
    g.appendChild(text);
    el.parentNode.appendChild(g);
    badges.set(id, {g, rect, text});
  }

  // Running gradients after step k, replayed from the records.
  function gradientsAt(k) {
    const grad = new Float64Array(D.nodes.length), got = new Uint8Array(D.nodes.length);
    grad[D.root] = 1; got[D.root] = 1;
    for (let i = 0; i <= k; ++i) {
      const s = D.steps[i];
      grad[s.node] = s.passed;
      for (const e of s.edges) { grad[e.to] = e.after; got[e.to] = 1; }
    }
    return {grad, got};
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
    const n = D.nodes[s.node];
    p.appendChild(name);
    let text;
    if (n.kind === 'op') {
      text = ' (' + n.op + ', value ' + fmt(n.value) + ') receives ' + dfrac(s.node) + ' = ' +
             fmt(s.up) + '.';
      if (s.passed !== s.up && !(Number.isNaN(s.passed) && Number.isNaN(s.up)))
        text += ' A hook turns it into ' + fmt(s.passed) + '.';
      if (s.up === 0) text += ' Nothing arrived, so nothing can pass on.';
      const parts = s.edges.map((e) => label(e.to) + ' gets ' + fmt(s.passed) + ' \u00d7 ' +
                                       fmt(e.d) + ' = ' + fmt(e.c));
      text += ' It passes on: ' + parts.join('; ') + '.';
      const blocked = s.edges.filter((e) => e.d === 0).map((e) => label(e.to));
      if (blocked.length && s.passed !== 0)
        text += ' Blocked toward ' + blocked.join(', ') + ': the local derivative is exactly 0.';
    } else {
      text = ' is ' + (n.kind === 'input' ? 'an input' : 'a ' + n.kind) + ': its gradient is ' +
             'complete, ' + dfrac(s.node) + ' = ' + fmt(s.passed) + '.';
      if (s.passed !== s.up) text += ' (A hook changed it from ' + fmt(s.up) + '.)';
    }
    p.appendChild(document.createTextNode(text));
  }

  let current = -1;
  function show(k) {
    k = Math.max(0, Math.min(N - 1, k | 0));
    current = k;
    const s = D.steps[k];
    for (const el of document.querySelectorAll('#graph .current, #graph .lit, #graph .flowed, ' +
                                               '#graph .blocked, #graph .done, #graph .nil'))
      el.classList.remove('current', 'lit', 'flowed', 'blocked', 'done', 'nil');
    for (let i = 0; i <= k; ++i) {
      const si = D.steps[i];
      const ne = nodeEl(si.node);
      if (ne && i < k) ne.classList.add('done');
      for (const e of si.edges) {
        const ee = edgeEl(e.e);
        if (!ee) continue;
        ee.classList.add(i === k ? 'lit' : 'flowed');
        if (e.d === 0 && si.passed !== 0) ee.classList.add('blocked');
        else if (e.c === 0) ee.classList.add('nil');
      }
    }
    const cur = nodeEl(s.node);
    if (cur) cur.classList.add('current');

    const {grad, got} = gradientsAt(k);
    for (const [id, b] of badges) {
      if (!got[id]) { b.g.style.display = 'none'; continue; }
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
      if (e.d === 0 && s.passed !== 0) tr.className = 'blocked';
      cell(tr, label(e.to));
      cell(tr, fmt(e.d));
      cell(tr, fmt(e.c));
      cell(tr, fmt(e.before) + ' \u2192 ' + fmt(e.after));
      edges.appendChild(tr);
    }

    const params = $('params-body');
    params.textContent = '';
    const touched = new Set(s.edges.map((e) => e.to).concat([s.node]));
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
      try { history.replaceState(null, '', want); } catch (err) { /* file:// may refuse */ }
    }
  }

  function fromHash() {
    const m = /(?:^#|&)step=(-?\d+)/.exec(location.hash);
    return m ? Math.max(1, Math.min(N, parseInt(m[1], 10))) - 1 : 0;
  }
  const selftest = /(?:^#|&)selftest\b/.test(location.hash);

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
  window.addEventListener('hashchange', () => { if (fromHash() !== current) show(fromHash()); });

  const diag = $('diag');
  for (const line of D.diagnostics) {
    const li = document.createElement('li');
    li.textContent = line;
    diag.appendChild(li);
  }
  if (!D.diagnostics.length) $('diag-head').style.display = 'none';

  show(fromHash());

  // #selftest: drive the controls as a user would and write what was highlighted after each
  // action, for the headless-browser test.
  if (selftest) {
    const seen = [document.body.getAttribute('data-current')];
    const note = () => seen.push(document.body.getAttribute('data-current'));
    document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
    note();
    $('next').click();
    note();
    document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}));
    note();
    $('slider').value = String(N);
    $('slider').dispatchEvent(new Event('input', {bubbles: true}));
    note();
    $('first').click();
    note();
    $('selftest').textContent = seen.join(' ');
  }
  document.body.setAttribute('data-status', 'ready');
})();
)JS";

}  // namespace

std::string html_view(const Stepper& pass, const HtmlOptions& options) {
  const Graph& g = pass.graph();
  const std::string title = options.title.empty()
                                ? fmt::format("Backward pass from '{}'", g.label(pass.root()))
                                : options.title;
  const std::string words = options.diagnostics ? to_text(explain(diagnose(pass))) : std::string();
  const std::string svg = layout_svg(g, options.rankdir);

  std::string out;
  out.reserve(svg.size() + 32768);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>{} \u2014 gradflow</title>\n", plot::xml_escape(title));
  out += fmt::format("<script>{}</script>\n<style>{}</style>\n</head>\n", kErrorTrap, kStyle);
  out += "<body data-status=\"loading\">\n<header>\n";
  out += fmt::format("<h1>{}</h1>\n", plot::xml_escape(title));
  out += fmt::format(
      "<p>{}{}{} steps: every node that reaches <code>{}</code>, in the order backward "
      "processes them.</p>\n",
      plot::xml_escape(options.subtitle), options.subtitle.empty() ? "" : " \u00b7 ", pass.size(),
      plot::xml_escape(g.label(pass.root())));
  out += "</header>\n<main>\n<section id=\"graph\">\n" + svg + "\n</section>\n<aside>\n";
  out += R"HTML(<div id="controls">
<button id="first" title="first step (Home)">&#xAB;</button>
<button id="prev" title="back (&#x2190;, p)">&#x25C0; back</button>
<input id="slider" type="range" min="1" value="1" aria-label="step">
<button id="next" title="next (&#x2192;, n)">next &#x25B6;</button>
<button id="last" title="last step (End)">&#xBB;</button>
</div>
<div id="where">Step <b id="stepno">1</b> of <b id="total"></b></div>
<p id="sentence"></p>
<table><thead><tr><th>to operand</th><th>local &#x2202;</th><th>contribution</th>
<th>its gradient</th></tr></thead><tbody id="edges-body"></tbody></table>
<h2>Parameters: gradients so far</h2>
<table><thead><tr><th>parameter</th><th>value</th><th>gradient</th></tr></thead>
<tbody id="params-body"></tbody></table>
<h2 id="diag-head">Diagnostics</h2>
<ul id="diag"></ul>
<p class="help"><kbd>&#x2192;</kbd> <kbd>n</kbd> next &#xb7; <kbd>&#x2190;</kbd> <kbd>p</kbd> back
&#xb7; <kbd>Home</kbd> <kbd>End</kbd> &#xb7; link a step with <code>#step=N</code>.
Edges labelled &#x2202; carry the local derivative. Blue edges have carried gradient, grey ones
carried 0, the dashed amber ones carry it now, red ones are blocked (local derivative 0); the
badge under each node is its gradient so far.</p>
<ol id="errors"></ol>
<pre id="selftest"></pre>
</aside>
</main>
)HTML";
  out += "<script>\n" + data_script(pass, words) + "</script>\n";
  out += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  return out;
}

void write_html_view(const std::string& path, const Stepper& pass, const HtmlOptions& options) {
  plot::write_text_file(path, html_view(pass, options));
}

}  // namespace gradflow
