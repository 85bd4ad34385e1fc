// Builds a graph from a stream of choices: random graphs for property tests, arbitrary bytes
// for the fuzzer. Every op of ops/ops.hpp can appear; operands are drawn from recent nodes, so
// subexpressions are shared. Safe mode (for finite-difference checks) wraps ops with a domain
// or fast growth so that values stay finite and moderate; unsafe mode feeds ops raw operands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gradflow/graph/graph.hpp>

namespace gradflow::testing {

template <class Next>  // Next: () -> std::uint32_t
std::vector<Node> build_graph(Graph& g, Next&& next, std::size_t leaves, std::size_t ops,
                              bool safe) {
  std::vector<Node> pool;
  const auto real = [&] { return (static_cast<double>(next() % 2001) - 1000.0) / 500.0; };
  for (std::size_t i = 0; i < leaves; ++i)
    pool.push_back(i % 2 ? g.parameter("", real()) : g.input("", real()));
  const auto pick = [&] {
    const std::size_t window = std::min<std::size_t>(pool.size(), 64);
    return pool[pool.size() - 1 - next() % window];
  };
  for (std::size_t i = 0; i < ops; ++i) {
    const Node a = pick(), b = pick();
    Node r;
    switch (next() % 20) {
      case 0:
        r = a + b;
        break;
      case 1:
        r = a - b;
        break;
      case 2:
        r = safe ? tanh(a * b) : a * b;
        break;
      case 3:
        r = safe ? a / (1.5 + sigmoid(b)) : a / b;
        break;
      case 4:
        r = -a;
        break;
      case 5:
        r = safe ? pow(tanh(a), 2) : pow(a, real());
        break;
      case 6:
        r = safe ? exp(tanh(a)) : exp(a);
        break;
      case 7:
        r = safe ? log(1.0 + sigmoid(a)) : log(a);
        break;
      case 8: {
        std::vector<Node> terms;
        const std::size_t k = 1 + next() % 5;
        for (std::size_t t = 0; t < k; ++t) terms.push_back(pick());
        r = sum(terms);
        if (safe) r = tanh(r);
        break;
      }
      case 9:
        r = bias(a, b);
        break;
      case 10:
        r = step(a);
        break;
      case 11:
        r = sigmoid(a);
        break;
      case 12:
        r = tanh(a);
        break;
      case 13:
        r = relu(a);
        break;
      case 14:
        r = leaky_relu(a, 0.1);
        break;
      case 15:
        r = identity(a);
        break;
      case 16:
        r = a * 0.5 + b * 0.25;
        break;
      case 17:
        r = safe ? a * sigmoid(b) : a * b * b;
        break;
      case 18:
        r = safe ? pow(1.0 + a * a, 0.5) : pow(a, 0.5);
        break;
      default:
        r = a + 1.0;
        break;
    }
    pool.push_back(r);
  }
  return pool;
}

}  // namespace gradflow::testing
