// The backward pass in a browser: one self-contained HTML file (no network, no external scripts
// or fonts) with the graph drawn once by Graphviz's `dot` as inline SVG, and controls that walk
// the stepper's records: buttons, arrow keys and a slider. The current node is highlighted, the
// edges it passes gradient along are lit, every node shows its running gradient, and a side
// panel lists the step's local derivatives, contributions and the parameters' gradients so far,
// followed by the diagnostics' findings.
//
// The page's HTML, CSS and JavaScript are the files under web/stepper/, compiled into the library
// at build time (cmake/embed.cmake); the records reach the page as one JSON document. The page
// replays the recorded steps; it computes no gradient itself.
//
// Steps are numbered from 1 in the page; the URL fragment #step=N opens it at step N (clamped
// to the last step), so a step can be linked.
#pragma once

#include <string>

#include <gradflow/engine/stepper.hpp>
#include <gradflow/views/dot.hpp>
#include <gradflow/views/language.hpp>

namespace gradflow {

/// What html_view() puts on the page.
struct HtmlOptions {
  /// Heading of the page; empty: "Backward pass from '<root>'".
  std::string title;
  /// A line of text under the heading (what the graph is).
  std::string subtitle;
  /// List the diagnostics' findings (explain(diagnose(pass))) in the side panel.
  bool diagnostics = true;
  /// Where values flow in the drawing.
  RankDir rankdir = RankDir::LR;
  /// The language of the page's own words (labels, sentences, help, the drawing's captions).
  /// The findings are explain()'s in the same language.
  Language lang = Language::en;
};

/// The page as text. Runs `dot`; throws gradflow::Error if Graphviz is not installed or fails.
std::string html_view(const Stepper& pass, const HtmlOptions& options = {});
/// html_view() written to `path`; throws gradflow::Error on failure.
void write_html_view(const std::string& path, const Stepper& pass, const HtmlOptions& options = {});

}  // namespace gradflow
