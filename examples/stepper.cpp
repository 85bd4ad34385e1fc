// Walk the backward pass of the tutorial's neuron one node at a time, in the terminal.
//
//   stepper [--activation step|sigmoid|tanh|relu] [--surrogate[=sigmoid|straight-through]]
//           [--all] [--html FILE] [--flow FILE]
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
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/version.hpp>
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
};

void usage(std::FILE* to) {
  fmt::print(to,
             "usage: stepper [--activation step|sigmoid|tanh|relu] "
             "[--surrogate[=sigmoid|straight-through]] [--all] [--html FILE] [--flow FILE]\n"
             "  interactive keys: Enter or n: next step, p: back, a number: jump to that step, "
             "q: quit\n");
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view flag) -> std::string {
      if (i + 1 >= argc) throw gf::UsageError(fmt::format("{} needs a value", flag));
      return argv[++i];
    };
    if (arg == "--activation") {
      a.activation = value(arg);
      if (a.activation != "step" && a.activation != "sigmoid" && a.activation != "tanh" &&
          a.activation != "relu")
        throw gf::UsageError(fmt::format("unknown activation '{}'", a.activation));
    } else if (arg == "--surrogate" || arg == "--surrogate=sigmoid") {
      a.step_gradient = gf::StepGradient::sigmoid_surrogate;
    } else if (arg == "--surrogate=straight-through") {
      a.step_gradient = gf::StepGradient::straight_through;
    } else if (arg == "--all") {
      a.all = true;
    } else if (arg == "--html") {
      a.html = value(arg);
    } else if (arg == "--flow") {
      a.flow = value(arg);
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      std::exit(0);
    } else if (arg == "--version") {
      fmt::print("gradflow {}\n", gf::version_string);
      std::exit(0);
    } else {
      throw gf::UsageError(fmt::format("unknown argument '{}'", arg));
    }
  }
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
  const gf::Step st = s.current();
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
  fmt::print("  parameters so far:");
  for (const gf::NodeId p : s.parameters())
    fmt::print("  {} = {}", partial(root, g.label(p)), num(s.grad(p)));
  fmt::print("\n");
}

void print_diagnostics(const gf::Stepper& s, const std::string& flow) {
  const gf::DiagnosticReport report = gf::diagnose(s);
  if (!flow.empty()) {
    fmt::print("\nGradient flow (|gradient| by depth, edges from y):\n{}", gf::flow_table(report));
    gf::write_flow_chart(flow, report);
    fmt::print("chart written to {}\n", flow);
  }
  fmt::print("\nDiagnostics:\n{}", gf::to_text(gf::explain(report)));
}

void interactive(gf::Stepper& s, const std::string& flow) {
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
  print_diagnostics(s, flow);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse(argc, argv);
  } catch (const gf::Error& e) {
    fmt::print(stderr, "stepper: {}\n", e.what());
    usage(stderr);
    return 2;
  }
  try {
    gf::Graph g;
    g.conventions().step_gradient = args.step_gradient;
    const auto y = gf::tutorial::neuron(g, gf::tutorial::activation_op(args.activation));
    const char* how = args.step_gradient == gf::StepGradient::sigmoid_surrogate ? " (backward: "
                                                                                  "sigmoid "
                                                                                  "surrogate)"
                      : args.step_gradient == gf::StepGradient::straight_through
                          ? " (backward: straight-through)"
                          : "";
    fmt::print("y = {}(w1 x1 + w2 x2 + w3 x3 + b){}, x = ({}, {}, {}), w = ({}, {}, {}), b = {}\n",
               args.activation, args.activation == "step" ? how : "", kInputs[0], kInputs[1],
               kInputs[2], kWeights[0], kWeights[1], kWeights[2], kBias);
    fmt::print("forward: z = {}, z+b = {}, y = {}\n", num(g.find("z").value()),
               num(g.find("z+b").value()), num(y.value()));
    gf::Stepper s(g, y);
    fmt::print("backward from y: {} steps, one per node, in the order backward processes them\n",
               s.size());
    if (!args.html.empty()) {
      gf::HtmlOptions o;
      o.subtitle = fmt::format("y = {}(w1 x1 + w2 x2 + w3 x3 + b){}", args.activation,
                               args.activation == "step" ? how : "");
      gf::write_html_view(args.html, s, o);
      fmt::print("browser view written to {}\n", args.html);
    }
    if (args.all) {
      print_step(s);
      while (s.next()) print_step(s);
      print_diagnostics(s, args.flow);
    } else {
      interactive(s, args.flow);
    }
  } catch (const gf::Error& e) {
    fmt::print(stderr, "stepper: {}\n", e.what());
    return 1;
  }
  return 0;
}
