// A training run in a browser: one self-contained HTML file (no network; the d3 modules it uses
// are vendored from the npm registry at build time and inlined) drawing a TrainingRecord
// (engine/training_record.hpp, written by train::TrainingRecorder):
//   - the network: layers as columns, units as circles in their activation's colour, each with
//     its bias; connections coloured by sign and thickened by |weight| or |gradient| (a toggle)
//     on a labelled log scale; dead (blocked) and saturated units marked; zoom and pan;
//   - a timeline over the recorded iterations with the loss and accuracy curves; the page opens
//     at `#train=K` (an iteration number, or `last`) and shows that iteration's loss exactly as
//     the trainer printed it (train::progress_line());
//   - for 2-D inputs the decision map (the score over the input plane, the data on top) and, for
//     the chosen unit, its output map;
//   - a click on a unit lists its primitive nodes (mul, sum, bias, activation) as one sample's
//     backward pass saw them at the nearest recorded detail iteration: every local derivative
//     and contribution, stepped node by node (`&unit=L1.n3&node=K`).
// The page's HTML, CSS and JS are web/training/ (and web/stepper/error-trap.js); it replays the
// record and computes no gradient. Parameters and gradients travel rounded to 6 significant
// digits, maps as 8-bit levels; the losses travel as the trainer's text.
#pragma once

#include <string>

#include <gradflow/engine/training_record.hpp>
#include <gradflow/views/language.hpp>

namespace gradflow {

/// What training_html() puts on the page.
struct TrainingHtmlOptions {
  /// Heading of the page; empty: "Training a 2-16-16-1 network".
  std::string title;
  /// A line of text under the heading (the data, the loss, the schedule).
  std::string subtitle;
  /// The page's own words (labels, captions, notes, help): English or Chinese; `<html lang>`
  /// follows. The title and subtitle are put in as given.
  Language lang = Language::en;
};

/// The page as text; UsageError for a record without snapshots, or if this gradflow was built
/// without the page's d3 modules (configured without npm: GRADFLOW_BUILD_PAGES).
std::string training_html(const TrainingRecord& record, const TrainingHtmlOptions& options = {});
/// training_html() written to `path`; throws gradflow::Error on failure.
void write_training_html(const std::string& path, const TrainingRecord& record,
                         const TrainingHtmlOptions& options = {});

}  // namespace gradflow
