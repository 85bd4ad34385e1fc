// The training page's data: a TrainingRecord (engine/training_record.hpp) as the JSON that
// web/training/app.js draws (described at the top of that file). training_html() puts it in the
// page; the live lab (lab/lab.cpp, compiled to WebAssembly) hands it to the same script as its
// record grows. Parameters and gradients travel rounded to 6 significant digits, maps as 8-bit
// levels, the losses as the trainer's text. Needs no Graphviz, no files and no web assets.
#pragma once

#include <cstddef>
#include <string>

#include <gradflow/engine/training_record.hpp>

namespace gradflow {

/// The record as the page's JSON text; `first` > 0 leaves out the snapshots before it (a page
/// that has them already appends the rest).
std::string training_json(const TrainingRecord& record, std::size_t first = 0);

/// One sample's backward pass through the units, as one entry of a step's "detail" list,
/// with a "labels" table (node id -> label) for its nodes and operands.
std::string sample_detail_json(const SampleDetail& detail);

}  // namespace gradflow
