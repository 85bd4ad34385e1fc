// libFuzzer target: arbitrary bytes -> a graph (every op, raw operands, so domain errors and
// non-finite values happen) -> forward, backward, plan, re-evaluation, DOT dump, stepping forward
// and back through the backward pass, gradients() recorded as nodes. Anything but a documented
// gradflow::Error is a bug: libFuzzer reports an escaped exception, a crash, a sanitizer finding,
// or an abort from the invariants checked below.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/evaluate.hpp>
#include <gradflow/graph/gradients.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/graph/plan.hpp>
#include <gradflow/ops/errors.hpp>
#include <gradflow/views/dot.hpp>

#include <fixtures/random_graph.hpp>

namespace gf = gradflow;

namespace {

class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint32_t operator()() {
    std::uint32_t v = 0;
    for (int i = 0; i < 2; ++i) v = v << 8 | (pos_ < size_ ? data_[pos_++] : 0u);
    return v;
  }
  std::size_t left() const { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

void require(bool ok) {
  if (!ok) std::abort();
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes in(data, size);
  gf::Graph g;
  const std::uint32_t flags = in();
  g.set_check_finite(flags & 1u);
  g.conventions().relu_grad_at_zero = (flags >> 1) & 1u;
  g.conventions().step_gradient = static_cast<gf::StepGradient>((flags >> 2) % 3);
  try {
    (void)gf::testing::build_graph(g, in, 1 + in() % 6, std::min<std::size_t>(in.left() / 3, 400),
                                   false);
  } catch (const gf::Error&) {
    // A rejected op records nothing: what was built so far must stay fully usable.
  }
  if (g.size() == 0) return 0;
  const gf::Node root = g.node(static_cast<gf::NodeId>(g.size() - 1));
  try {
    g.backward(root);
    const auto plan = gf::make_plan(g, root);
    std::size_t reached = 0;
    for (gf::NodeId i = 0; i < g.size(); ++i) reached += g.reached(i);
    require(reached == plan.order.size());
    require(plan.order.back() == root.id());

    const std::vector<double> values = g.workspace().value, grads = g.workspace().grad;
    g.forward();
    g.backward(root);
    require(same_bits(values, g.workspace().value));
    require(same_bits(grads, g.workspace().grad));

    gf::Workspace ws = g.workspace();
    gf::forward(g, ws, plan);
    gf::backward(g, ws, plan);
    require(ws.value[root.id()] == g.value(root.id()) ||
            ws.value[root.id()] != ws.value[root.id()]);

    for (gf::NodeId i = 0; i < g.size(); ++i)
      for (std::size_t k = 0; k < g.operands(i).size(); ++k) (void)g.contribution(i, k);

    const std::string dot = gf::to_dot(g);
    require(dot.find("digraph") != std::string::npos);

    // Replaying every step gives exactly backward's gradients; stepping back undoes them all.
    gf::Stepper stepper(g, root);
    require(stepper.size() == plan.order.size());
    while (stepper.next()) {
    }
    const std::vector<double> walked(stepper.gradients().begin(), stepper.gradients().end());
    require(same_bits(walked, g.workspace().grad));
    while (stepper.prev()) {
    }
    require(stepper.position() == 0);

    // gradients() records backward's sums as nodes: where every gradient is finite, the same
    // bits (it skips exact zeros, which only matter against infinities and NaN).
    bool finite = true;
    for (gf::NodeId i = 0; i < g.size(); ++i)
      finite = finite && (!g.reached(i) || std::isfinite(g.grad(i)));
    const std::vector<gf::Node> leaves = g.inputs();
    const std::vector<gf::Node> d = gf::gradients(root, leaves);
    for (std::size_t k = 0; k < leaves.size(); ++k)
      require(!finite || d[k].value() == grads[leaves[k].id()]);
  } catch (const gf::Error&) {
  }
  return 0;
}
