// Graphs are values: the tutorial's first claim, the threshold h becoming a bias b = -h, built
// three ways by one factory that returns each graph by value, kept in a std::vector, cloned and
// read through const references; nodes printed with fmt and std::ostream and used as keys.
//
//   f(z - h)    the McCulloch-Pitts threshold, subtracted from the sum (z -= h)
//   f(z + b)    the threshold as a bias, b = -h, a parameter
//   f(z + b*1)  the bias as a weight on a constant input 1 (an unnamed input: it prints as #id)
//
// Each graph ends in the loss (y - 1)^2 / 2. The three forms give the same y and the same
// weight gradients; only the bias forms have a parameter that can learn where the neuron fires.
// With --activation step every gradient is exactly 0: the set of blocked parameters is full.
#include <iostream>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include <common/cli.hpp>
#include <gradflow/gradflow.hpp>
#include <tutorial/neuron.hpp>

namespace gf = gradflow;

namespace {

constexpr auto kInputs = gf::tutorial::neuron_inputs;
constexpr auto kWeights = gf::tutorial::neuron_weights;
constexpr double kThreshold = -gf::tutorial::neuron_bias;

// A graph and the handles a caller wants from it. Handles stay valid when the graph moves.
struct Neuron {
  std::string form;
  gf::Graph graph;
  gf::Node y, loss;
  gf::Node one;  // the constant input 1 of the third form (an empty handle in the others)
};

enum class Form { threshold, bias, bias_as_weight };

// The factory: builds one form of the neuron and returns the graph by value (moved out).
Neuron make_neuron(Form form, gf::Op activation) {
  Neuron n;
  gf::Graph& g = n.graph;
  gf::Node z = g.parameter("w1", kWeights[0]) * g.input("x1", kInputs[0]);
  for (std::size_t i = 1; i < 3; ++i)
    z += g.parameter(fmt::format("w{}", i + 1), kWeights[i]) *
         g.input(fmt::format("x{}", i + 1), kInputs[i]);
  z.named("z");
  switch (form) {
    case Form::threshold:
      n.form = "f(z - h)";
      z -= kThreshold;  // h is a constant of the op, not a parameter: nothing learns it
      break;
    case Form::bias:
      n.form = "f(z + b)";
      z = gf::bias(z, g.parameter("b", -kThreshold));
      break;
    case Form::bias_as_weight:
      n.form = "f(z + b*1)";
      n.one = g.input(1.0);  // the constant input 1, unnamed
      z += g.parameter("b", -kThreshold) * n.one;
      break;
  }
  n.y = g.apply(activation, {z.named("s")}).named("y");
  const gf::Node error = n.y - 1.0;
  n.loss = error * error;
  n.loss /= 2.0;
  n.loss.named("loss");
  g.backward(n.loss);
  return n;  // the graph moves; n.y and n.loss keep pointing into it
}

// Reads a graph through a const reference: const graphs hand out handles too.
void show(const Neuron& n) {
  const gf::Graph& g = n.graph;
  fmt::print("{:<11} y = {:.12f}  loss = {:.12f}  ({} nodes)\n", n.form, n.y.value(),
             n.loss.value(), g.size());
  fmt::print("            s: {}\n", g.find("s"));  // fmt prints a node as every message does
  for (const gf::Node& p : g.parameters())
    fmt::print("            dloss/d{} = {:.12f}\n", p.label(), p.grad());
}

}  // namespace

int main(int argc, char** argv) {
  std::string activation = "sigmoid";
  gf::cli::App app{
      "The threshold becoming a bias, built three ways by a factory that returns graphs by\n"
      "value: graphs kept in a vector, cloned and read through const references, nodes\n"
      "printed and used as keys."};
  app.add_option("--activation", activation, "step, sigmoid (the default), tanh or relu")
      ->option_text("F")
      ->check(CLI::IsMember({"step", "sigmoid", "tanh", "relu"}));
  app.parse_or_exit(argc, argv);
  const gf::Op f = gf::tutorial::activation_op(activation);

  std::vector<Neuron> neurons;  // graphs are movable: a vector of them grows and relocates
  for (const Form form : {Form::threshold, Form::bias, Form::bias_as_weight})
    neurons.push_back(make_neuron(form, f));
  fmt::print(
      "The tutorial's neuron, x = ({}, {}, {}), w = ({}, {}, {}), h = {}, b = -h, f = {},\n"
      "loss = (y - 1)^2 / 2:\n\n",
      kInputs[0], kInputs[1], kInputs[2], kWeights[0], kWeights[1], kWeights[2], kThreshold,
      activation);
  for (const Neuron& n : neurons) show(n);

  // Nodes as keys: one ordered map over the parameters of all three graphs (ordered by graph,
  // then id), and a hash set of those whose gradient is exactly 0 (blocked).
  std::map<gf::Node, double> grads;
  for (const Neuron& n : neurons)
    for (const gf::Node& p : n.graph.parameters()) grads[p] = p.grad();
  int same = 0;
  for (const auto& [p, g] : grads)
    if (p.name() != "b") same += g == neurons[0].graph.find(p.name()).grad();
  fmt::print(
      "\n{} parameters in all; the 9 weight gradients agree with the first form's: {} of 9\n",
      grads.size(), same);
  std::unordered_set<gf::Node> blocked;
  for (const auto& [p, g] : grads)
    if (g == 0.0) blocked.insert(p);
  fmt::print("parameters whose gradient is exactly 0 (blocked): {} of {}\n", blocked.size(),
             grads.size());
  std::cout << "the third form's constant input 1: " << neurons[2].one << "\n";

  // clone(): an independent copy with handles of its own. Saturate the copy's neuron.
  gf::Graph copy = neurons[1].graph.clone();
  copy.find("b").set(8.0);
  copy.backward(copy.find("loss"));
  fmt::print("\nclone of f(z + b) with b = 8: y = {:.12f}, dloss/db = {:.6g}\n",
             copy.find("y").value(), copy.find("b").grad());
  fmt::print("the original is unchanged:   y = {:.12f}, dloss/db = {:.6g}\n", neurons[1].y.value(),
             neurons[1].graph.find("b").grad());
  return 0;
}
