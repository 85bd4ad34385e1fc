// Walk the backward pass of the tutorial's neuron, or of an MLP, one node at a time, in the
// terminal.
//
//   stepper [--activation step|sigmoid|tanh|relu] [--surrogate[=sigmoid|straight-through]]
//           [--layers 2,4,1] [--all] [--html FILE] [--flow FILE]
//
// --layers N0,N1,...,1 builds an MLP (nn::MLP, seed 1: weights uniform on [-1, 1), biases 0)
// with the activation in its hidden layers and a linear output, over inputs x1, x2, ... set to
// the tutorial neuron's inputs in turn, and walks the backward pass from its output y.
//
// Interactive by default: Enter or n steps on, p steps back, a number jumps to that step, q
// quits. --all prints every step without asking. Each step shows the node processed, the
// gradient that arrived, and per operand the local derivative, the contribution and how the
// operand's gradient changed; then the parameters' gradients so far. The walk ends with the
// diagnostics in words. --html FILE also writes the browser view of the same walk; --flow FILE
// prints the gradient-flow table and writes its chart (SVG).
#include <array>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/findings.hpp>
#include <gradflow/views/flow_chart.hpp>
#include <gradflow/views/html_view.hpp>
#include <tutorial/neuron.hpp>

namespace gf = gradflow;

namespace {

constexpr auto kInputs = gf::tutorial::neuron_inputs;
constexpr auto kWeights = gf::tutorial::neuron_weights;
constexpr double kBias = gf::tutorial::neuron_bias;

struct Args {
  std::string activation = "sigmoid";
  gf::StepGradient step_gradient = gf::StepGradient::exact;
  bool all = false;
  std::string html;
  std::string flow;
  std::vector<std::size_t> layers;  // empty: the tutorial's neuron
  gf::Language lang = gf::Language::en;
};

// The command line; exits on --help, --version or a mistake (<common/cli.hpp>).
Args parse(int argc, char** argv) {
  Args a;
  gf::cli::App app{
      "Walk the backward pass of the tutorial's neuron one node at a time.\n"
      "Interactive keys: Enter or n: next step, p: back, a number: jump to that step, q: quit."};
  app.add_option("--activation", a.activation, "step, sigmoid (the default), tanh or relu")
      ->option_text("F")
      ->check(CLI::IsMember({"step", "sigmoid", "tanh", "relu"}));
  std::string surrogate;  // empty: step's exact derivative, 0
  app.add_option("--surrogate", surrogate,
                 "BackwardStep passes back a surrogate gradient: sigmoid (the default)\n"
                 "or straight-through")
      ->expected(0, 1)
      ->default_str("sigmoid")
      ->option_text("[=KIND]")
      ->check(CLI::IsMember({"sigmoid", "straight-through"}));
  app.add_option("--layers", a.layers,
                 "Build an MLP of these sizes instead of the neuron, e.g. 2,4,1\n"
                 "(hidden layers use --activation, the output is linear)")
      ->delimiter(',')
      ->expected(2, 64)
      ->type_name("N,N,...");
  app.add_flag("--all", a.all, "Print every step without asking");
  app.add_option("--lang", a.lang,
                 "Language of the browser view's and the flow chart's words and of the\n"
                 "diagnostics' findings: en (English) or zh (中文)")
      ->option_text("en|zh")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, gf::Language>{{"en", gf::Language::en}, {"zh", gf::Language::zh}}));
  app.add_option("--html", a.html, "Also write the browser view of the walk")->type_name("FILE");
  app.add_option("--flow", a.flow, "Print the gradient-flow table and write its chart (SVG)")
      ->type_name("FILE");
  app.parse_or_exit(argc, argv);
  if (surrogate == "sigmoid") a.step_gradient = gf::StepGradient::sigmoid_surrogate;
  if (surrogate == "straight-through") a.step_gradient = gf::StepGradient::straight_through;
  return a;
}

std::string num(double v) { return fmt::format("{:.6g}", v == 0.0 ? 0.0 : v); }

// "dy/dw3", "dy/d(z+b)": the partial derivative of the root with respect to a node.
std::string partial(std::string_view root, std::string_view name) {
  const bool plain = name.find_first_of("+-*/() ") == std::string_view::npos;
  return fmt::format("d{}/d{}{}{}", root, plain ? "" : "(", name, plain ? "" : ")");
}

void print_step(const gf::Stepper& s) {
  const gf::Graph& g = s.graph();
  const gf::BackwardStep st = s.current();
  const std::string root = g.label(s.root());
  const std::string name = g.label(st.node);
  fmt::print("\nstep {}/{}  ", st.index + 1, s.size());
  if (st.edges.empty()) {
    fmt::print("{} ({}) = {}: gradient complete, {} = {}\n", name, gf::info(st.op).name,
               num(st.value), partial(root, name), num(st.passed));
  } else {
    std::string args;
    for (const auto& e : st.edges) args += (args.empty() ? "" : ", ") + g.label(e.operand);
    fmt::print("{} = {}({}) = {}   receives {} = {}\n", name, gf::info(st.op).name, args,
               num(st.value), partial(root, name), num(st.upstream));
    if (st.passed != st.upstream) fmt::print("  a hook passes on {} instead\n", num(st.passed));
    fmt::print("  {:<8} {:>11} {:>13}   {}\n", "operand", "local d", "contribution",
               "its gradient: before -> after");
    for (const auto& e : st.edges)
      fmt::print("  {:<8} {:>11} {:>13}   {} -> {}{}\n", g.label(e.operand),
                 num(e.local_derivative), num(e.contribution), num(e.grad_before),
                 num(e.grad_after),
                 e.local_derivative == 0.0 && st.passed != 0.0 ? "   blocked" : "");
  }
  // A network's hundreds of parameters: only those of the current node's neuron (its innermost
  // group), as the browser view opens only that neuron's.
  constexpr std::size_t kAll = 12;
  const auto params = s.parameters();
  if (params.size() <= kAll) {
    fmt::print("  parameters so far:");
    for (const gf::NodeId p : params)
      fmt::print("  {} = {}", partial(root, g.label(p)), num(s.grad(p)));
    fmt::print("\n");
    return;
  }
  const auto groups = g.groups();
  const auto group_of = [&](gf::NodeId id) -> std::string_view {
    std::string_view inner;
    for (const auto& gr : groups)  // parents first: the innermost group wins
      if (id >= gr.begin && id < gr.end) inner = gr.name;
    return inner;
  };
  const std::string_view here = group_of(st.node);
  std::vector<gf::NodeId> shown;
  for (const gf::NodeId p : params)
    if (!here.empty() && group_of(p) == here) shown.push_back(p);
  if (shown.empty()) {
    fmt::print("  {} parameters (those of the current node's neuron are listed at its steps)\n",
               params.size());
    return;
  }
  fmt::print("  parameters of {} so far ({} of {}):", here, shown.size(), params.size());
  for (const gf::NodeId p : shown)
    fmt::print("  {} = {}", partial(root, g.label(p)), num(s.grad(p)));
  fmt::print("\n");
}

void print_diagnostics(const gf::Stepper& s, const std::string& flow, gf::Language lang) {
  const gf::DiagnosticReport report = gf::diagnose(s);
  if (!flow.empty()) {
    fmt::print("\nGradient flow (|gradient| by depth, edges from y):\n{}", gf::flow_table(report));
    gf::write_flow_chart(flow, report, gf::FlowAxis::depth, lang);
    fmt::print("chart written to {}\n", flow);
  }
  // Per layer when the network has them: a 2-16-16-1 net with zero inputs gave ~300 lines.
  const auto findings = gf::group_findings(s.graph(), gf::explain(report, {}, lang), 2, lang);
  fmt::print("\n{}\n{}",
             lang == gf::Language::zh ? "诊断：" : "Diagnostics:", gf::to_text(findings));
}

void interactive(gf::Stepper& s, const std::string& flow, gf::Language lang) {
  print_step(s);
  std::string line;
  while (true) {
    fmt::print("[Enter/n] next  [p] back  [1-{}] jump  [q] quit > ", s.size());
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) {
      fmt::print("\n");
      break;
    }
    const auto first = line.find_first_not_of(" \t\r");
    line = first == std::string::npos
               ? ""
               : line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (line.empty() || line == "n") {
      if (!s.next()) {
        fmt::print("(that was the last step)\n");
        continue;
      }
    } else if (line == "p") {
      if (!s.prev()) {
        fmt::print("(already at the first step)\n");
        continue;
      }
    } else if (line == "q") {
      break;
    } else if (line.find_first_not_of("0123456789") == std::string::npos && line.size() < 9) {
      const std::size_t k = std::stoul(line);
      if (k < 1 || k > s.size()) {
        fmt::print("(steps are numbered 1 to {})\n", s.size());
        continue;
      }
      s.jump(k - 1);
    } else {
      fmt::print("(unknown command '{}')\n", line);
      continue;
    }
    print_step(s);
  }
  print_diagnostics(s, flow, lang);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  try {
    gf::Graph g;
    g.conventions().step_gradient = args.step_gradient;
    gf::Node y;
    if (args.layers.empty()) {
      y = gf::tutorial::neuron(g, gf::tutorial::activation_op(args.activation));
    } else {
      if (args.layers.back() != 1)
        throw gf::UsageError(
            fmt::format("--layers: the last layer must have one output (the root y), not {}",
                        args.layers.back()));
      gf::nn::MLPOptions mo;
      mo.hidden = gf::nn::parse_activation(args.activation);
      const gf::nn::MLP net(g, args.layers, mo);
      std::vector<gf::Node> inputs;
      for (std::size_t i = 0; i < args.layers.front(); ++i)
        inputs.push_back(g.input(fmt::format("x{}", i + 1), kInputs[i % kInputs.size()]));
      y = net(inputs).front().named("y");
    }
    const char* how = args.step_gradient == gf::StepGradient::sigmoid_surrogate ? " (backward: "
                                                                                  "sigmoid "
                                                                                  "surrogate)"
                      : args.step_gradient == gf::StepGradient::straight_through
                          ? " (backward: straight-through)"
                          : "";
    std::string sizes;
    for (const std::size_t n : args.layers)
      sizes += fmt::format("{}{}", sizes.empty() ? "" : "-", n);
    if (args.layers.empty()) {
      fmt::print(
          "y = {}(w1 x1 + w2 x2 + w3 x3 + b){}, x = ({}, {}, {}), w = ({}, {}, {}), b = {}\n",
          args.activation, args.activation == "step" ? how : "", kInputs[0], kInputs[1], kInputs[2],
          kWeights[0], kWeights[1], kWeights[2], kBias);
      fmt::print("forward: z = {}, z+b = {}, y = {}\n", num(g.find("z").value()),
                 num(g.find("z+b").value()), num(y.value()));
    } else {
      fmt::print("y = MLP {} ({} hidden layers, linear output, seed 1), {} nodes\n", sizes,
                 args.activation, g.size());
      fmt::print("forward: y = {}\n", num(y.value()));
    }
    gf::Stepper s(g, y);
    fmt::print("backward from y: {} steps, one per node, in the order backward processes them\n",
               s.size());
    if (!args.html.empty()) {
      gf::HtmlOptions o;
      o.lang = args.lang;
      o.subtitle =
          args.layers.empty() ? fmt::format("y = {}(w1 x1 + w2 x2 + w3 x3 + b){}", args.activation,
                                            args.activation == "step" ? how : "")
          : args.lang == gf::Language::zh
              ? fmt::format("y = MLP {}（隐藏层用 {}，输出层是线性的）", sizes, args.activation)
              : fmt::format("y = MLP {} ({} hidden layers, linear output)", sizes, args.activation);
      gf::write_html_view(args.html, s, o);
      fmt::print("browser view written to {}\n", args.html);
    }
    if (args.all) {
      print_step(s);
      while (s.next()) print_step(s);
      print_diagnostics(s, args.flow, args.lang);
    } else {
      interactive(s, args.flow, args.lang);
    }
  } catch (const gf::Error& e) {
    fmt::print(stderr, "stepper: {}\n", e.what());
    return 1;
  }
  return 0;
}
