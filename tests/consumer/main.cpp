// A neuron's backward pass through the installed (or embedded) gradflow; exits 1 on a wrong
// number. y = sigmoid(0.5*1 + (-0.25)*2 + 0.2*3 - 0.4) = sigmoid(0.2).
#include <cmath>
#include <cstdio>

#include <gradflow/gradflow.hpp>  // the whole API: also checks that it needs no other package

int main() {
  gradflow::Graph g;
  const double xs[] = {1, 2, 3}, ws[] = {0.5, -0.25, 0.2};
  gradflow::Node z = g.constant(0.0);
  gradflow::Node w3;
  for (int i = 0; i < 3; ++i) {
    w3 = g.parameter("w", ws[i]);
    z = z + w3 * g.input("x", xs[i]);
  }
  const auto y = gradflow::sigmoid(gradflow::bias(z, g.parameter("b", -0.4)));
  g.backward(y);
  const double s = 1.0 / (1.0 + std::exp(-0.2));
  const bool ok = std::abs(y.value() - s) < 1e-15 && std::abs(w3.grad() - 3 * s * (1 - s)) < 1e-15;
  std::printf("gradflow %s: y = %.12f, dy/dw3 = %.12f: %s\n", gradflow::version_string, y.value(),
              w3.grad(), ok ? "ok" : "WRONG");
  bool caught = false;  // the error types come with the API
  try {
    (void)(y / 0.0);
  } catch (const gradflow::DomainError&) {
    caught = true;
  }
  return ok && caught ? 0 : 1;
}
