// group_findings(): the diagnostics of a network summarised per layer, the worst cases named.
#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <gradflow/engine/diagnostics.hpp>
#include <gradflow/engine/stepper.hpp>
#include <gradflow/graph/graph.hpp>
#include <gradflow/nn/nn.hpp>
#include <gradflow/views/findings.hpp>

namespace gf = gradflow;

TEST_CASE("findings: a 2-16-16-1 net with zero inputs is summarised per layer, worst first") {
  gf::Graph g;
  gf::nn::MLPOptions mo;
  mo.hidden = gf::nn::Activation::relu;
  const gf::nn::MLP net(g, {2, 16, 16, 1}, mo);
  const std::vector<gf::Node> x = {g.input("x1", 0.0), g.input("x2", 0.0)};
  const auto y = net(x).front().named("y");
  const gf::Stepper s(g, y);
  const std::vector<gf::Finding> all = gf::explain(gf::diagnose(s));
  const std::vector<gf::Finding> grouped = gf::group_findings(g, all);
  INFO(gf::to_text(grouped));
  REQUIRE(all.size() >= 32);  // one per neuron of layers 2 and 3
  CHECK(grouped.size() <= 4);
  CHECK(grouped.size() < all.size());

  // The layer of a finding: the name of the outermost group holding its first node.
  const auto layer_of = [&](const gf::Finding& f) -> std::string {
    if (f.nodes.empty()) return {};
    for (const auto& gr : g.groups())
      if (gr.parent < 0 && f.nodes.front() >= gr.begin && f.nodes.front() < gr.end) return gr.name;
    return {};
  };
  // At most one finding per (kind, layer) where a layer had more than two of a kind.
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& f : grouped) {
    const std::string layer = layer_of(f);
    if (layer.empty()) continue;
    CHECK_MESSAGE(seen.insert({f.kind, layer}).second, f.kind << " in " << layer);
  }
  // Nothing lost: every node a finding was about is in a grouped finding of the same kind, and
  // a merged finding names its layer and quotes the worst of its findings (explain()'s first).
  for (const auto& f : all)
    for (const gf::NodeId id : f.nodes) {
      const bool kept = std::any_of(grouped.begin(), grouped.end(), [&](const gf::Finding& m) {
        return m.kind == f.kind && std::find(m.nodes.begin(), m.nodes.end(), id) != m.nodes.end();
      });
      CHECK(kept);
    }
  bool merged_any = false;
  for (const auto& m : grouped) {
    if (m.text.find("findings of the kind") == std::string::npos) continue;
    merged_any = true;
    const std::string layer = layer_of(m);
    CHECK(m.text.rfind(layer + ": ", 0) == 0);
    const auto worst = std::find_if(all.begin(), all.end(), [&](const gf::Finding& f) {
      return f.kind == m.kind && layer_of(f) == layer;
    });
    REQUIRE(worst != all.end());
    CHECK(m.text.find("(1) " + worst->text) != std::string::npos);
    CHECK(m.severity == worst->severity);  // explain() puts the most severe first
  }
  CHECK(merged_any);
}

TEST_CASE("findings: in Chinese the merged summary is Chinese and the English one unchanged") {
  gf::Graph g;
  gf::nn::MLPOptions mo;
  mo.hidden = gf::nn::Activation::relu;
  const gf::nn::MLP net(g, {2, 16, 16, 1}, mo);
  const std::vector<gf::Node> x = {g.input("x1", 0.0), g.input("x2", 0.0)};
  const gf::Stepper s(g, net(x).front().named("y"));
  const auto report = gf::diagnose(s);
  const auto en = gf::group_findings(g, gf::explain(report));
  const auto zh =
      gf::group_findings(g, gf::explain(report, {}, gf::Language::zh), 2, gf::Language::zh);
  INFO(gf::to_text(zh));
  REQUIRE(zh.size() == en.size());
  bool merged = false;
  for (std::size_t i = 0; i < zh.size(); ++i) {
    CHECK(zh[i].kind == en[i].kind);
    CHECK(zh[i].nodes == en[i].nodes);
    if (en[i].text.find("findings of the kind \"") == std::string::npos) continue;
    merged = true;
    // "<layer>: <n> findings of the kind "<kind>", about <m> nodes; the worst: (1) ..."
    const auto colon = en[i].text.find(": ");
    const std::string layer = en[i].text.substr(0, colon);
    const std::size_t n = std::stoul(en[i].text.substr(colon + 2));
    CHECK(zh[i].text.rfind(layer + "：" + std::to_string(n) + " 条“", 0) == 0);
    CHECK(zh[i].text.find("（1）") != std::string::npos);
    CHECK(zh[i].text.find("（另有 " + std::to_string(n - 2) + " 条）") != std::string::npos);
    for (const char* english : {"findings", "kind", "worst", "more", "about", "nodes"})
      CHECK_MESSAGE(zh[i].text.find(english) == std::string::npos, english);
  }
  CHECK(merged);
}

TEST_CASE("findings: a graph without groups keeps every finding as it is") {
  gf::Graph g;
  const auto x = g.input("x", 10.0);
  const auto y = (sigmoid(x) + sigmoid(x * 2.0)).named("y");
  const gf::Stepper s(g, y);
  const auto all = gf::explain(gf::diagnose(s));
  const auto grouped = gf::group_findings(g, all);
  REQUIRE(grouped.size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(grouped[i].text == all[i].text);
}
