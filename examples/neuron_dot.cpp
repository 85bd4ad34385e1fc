// Graphviz pictures of the tutorial's neuron, y = f(w1x1 + w2x2 + w3x3 + b), after backward, for
// each activation: step (the gradient is blocked), sigmoid (it shrinks), tanh, relu; then a
// saturated sigmoid (vanishing), a dead relu (blocked), and a 2-16-16-1 network kept readable
// by the size guard. Writes NAME.dot and, when Graphviz's dot is installed, NAME.svg.
//
//   neuron_dot [--out DIR]      (default out/; --out docs/images regenerates the docs' pictures)
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/views/dot.hpp>
#include <tutorial/neuron.hpp>

namespace gf = gradflow;

namespace {

// A small deterministic generator, so the network's picture is the same on every platform.
struct Lcg {
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  double uniform(double lo, double hi) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return lo + (hi - lo) * static_cast<double>(state >> 11) * 0x1.0p-53;
  }
};

// y = MLP(x), hidden layers of tanh neurons and a linear output, then the loss (y - t)^2, with
// every neuron and layer recorded as a group. Layer l's unit j is "Ll.uj"; its weights are
// "Ll.uj w1", ..., its bias "Ll.uj b", and the dump names its other nodes after it ("Ll.uj ×1",
// "Ll.uj Σ", "Ll.uj +b", "Ll.uj tanh").
gf::Node mlp(gf::Graph& g, const std::vector<int>& sizes) {
  Lcg rng;
  std::vector<gf::Node> act;
  for (int i = 0; i < sizes[0]; ++i)
    act.push_back(g.input(fmt::format("x{}", i + 1), i % 2 ? -1.2 : 0.5));
  for (std::size_t l = 1; l < sizes.size(); ++l) {
    const bool last = l + 1 == sizes.size();
    gf::GroupScope layer(g, last ? fmt::format("L{} output", l) : fmt::format("L{}", l), "layer");
    std::vector<gf::Node> next;
    for (int j = 0; j < sizes[l]; ++j) {
      const std::string unit = fmt::format("L{}.u{}", l, j + 1);
      gf::GroupScope scope(g, unit, "neuron");
      std::vector<gf::Node> products;
      for (std::size_t i = 0; i < act.size(); ++i) {
        const auto w = g.parameter(fmt::format("{} w{}", unit, i + 1), rng.uniform(-1.0, 1.0));
        products.push_back(w * act[i]);
      }
      const auto zb = gf::bias(gf::sum(products), g.parameter(unit + " b", rng.uniform(-0.5, 0.5)));
      next.push_back(last ? gf::identity(zb).named("y") : gf::tanh(zb));
    }
    act = next;
  }
  const auto err = (act[0] - g.constant(1.0, "target")).named("y - t");
  return gf::pow(err, 2).named("loss");
}

struct Output {
  std::filesystem::path dir;
  bool have_dot = gf::dot_available();

  void write(const std::string& name, const gf::Graph& g, const gf::DotOptions& options) {
    const auto dot = (dir / (name + ".dot")).string();
    gf::write_dot_file(dot, g, options);
    if (!have_dot) {
      fmt::print("wrote {} (install Graphviz for the SVG: dot -Tsvg -O {})\n", dot, dot);
      return;
    }
    const auto svg = (dir / (name + ".svg")).string();
    gf::render(dot, svg);
    fmt::print("wrote {} and {}\n", dot, svg);
  }
};

int run(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  Output out{dir};

  struct Variant {
    const char* file;
    const char* f;
    double b;
    const char* title;
  };
  const Variant variants[] = {
      {"neuron_step", "step", -0.4, "step neuron: the step's local derivative is 0"},
      {"neuron_sigmoid", "sigmoid", -0.4, "sigmoid neuron: y(1 - y) \u2264 0.25 shrinks it"},
      {"neuron_tanh", "tanh", -0.4, "tanh neuron: 1 - y\u00b2, close to 1 near 0"},
      {"neuron_relu", "relu", -0.4, "relu neuron: the gradient passes unchanged"},
      {"neuron_sigmoid_saturated", "sigmoid", 8.0, "saturated sigmoid (b = 8): it vanishes"},
      {"neuron_relu_dead", "relu", -1.0, "relu off at this input (b = -1): z + b < 0 blocks it"},
  };
  for (const auto& v : variants) {
    gf::Graph g;
    const auto y = gf::tutorial::neuron(g, gf::tutorial::activation_op(v.f), v.b);
    g.backward(y);
    gf::DotOptions options;
    options.title = v.title;
    out.write(v.file, g, options);
  }

  {  // the same neuron before backward: values and local derivatives only
    gf::Graph g;
    gf::tutorial::neuron(g, gf::Op::sigmoid);
    gf::DotOptions options;
    options.title = "sigmoid neuron before backward";
    out.write("neuron_forward", g, options);
  }

  {  // a small network drawn node by node, its layers and neurons as clusters
    gf::Graph net;
    net.backward(mlp(net, {2, 2, 1}));
    gf::DotOptions options;
    options.title = "MLP 2-2-1, tanh, loss (y - 1)\u00b2: layers and neurons as clusters";
    out.write("mlp_2_2_1", net, options);
  }
  {  // 745 nodes: the size guard draws each neuron as one box
    gf::Graph net;
    net.backward(mlp(net, {2, 16, 16, 1}));
    gf::DotOptions options;
    options.title = fmt::format("MLP 2-16-16-1, tanh, loss (y - 1)\u00b2: {} nodes", net.size());
    out.write("mlp_2_16_16_1", net, options);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = "out";
  gf::cli::App app{
      "Graphviz pictures of the tutorial's neuron after backward, for each activation, and of\n"
      "small networks: NAME.dot and, when Graphviz's dot is installed, NAME.svg."};
  app.add_option("--out", dir, "Write the pictures into DIR (docs/images: the docs' pictures)")
      ->type_name("DIR")
      ->capture_default_str();
  app.parse_or_exit(argc, argv);
  try {
    return run(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "neuron_dot: %s\n", e.what());
    return 1;
  }
}
