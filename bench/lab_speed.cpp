// The native side of bench/lab_speed.sh: the lab's moons preset (tutorial_9_moons's network,
// data and schedule) trained by the same lab.cpp calls the WebAssembly page makes, timed here.
//   lab_speed [STEPS]   prints "native STEPS steps in T ms: R steps/s"
#include <chrono>
#include <cstdio>
#include <string>

#include <lab.hpp>

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::stoi(argv[1]) : 1000;
  double best = 1e300;
  for (int rep = 0; rep < 5; ++rep) {  // the best of five fresh runs
    gradflow::lab::network_reset(R"({"preset":"moons"})");
    const auto t0 = std::chrono::steady_clock::now();
    const std::string r = gradflow::lab::network_train(steps);
    const auto t1 = std::chrono::steady_clock::now();
    if (r.find("\"error\"") != std::string::npos) {
      std::fprintf(stderr, "lab_speed: %s\n", r.c_str());
      return 1;
    }
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::printf("native %d steps in %.1f ms: %.0f steps/s\n", steps, best, steps / best * 1000.0);
  return 0;
}
