// Runs a shell command for tests that drive the example programs or Chromium.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <doctest/doctest.h>

namespace gradflow::testing {

struct Run {
  int status = -1;  ///< exit code; -1 if the process died from a signal
  std::string out;  ///< what it wrote to stdout (and stderr, when the command redirects it)
};

inline Run run_command(const std::string& cmd) {
  Run r;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[8192];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace gradflow::testing
