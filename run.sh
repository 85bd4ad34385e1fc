#!/usr/bin/env bash
# The README's two commands:  ./run.sh demo   and   ./run.sh test
# Installs the Debian packages that are missing (with sudo when not root), configures and builds
# (Release) in build/, then runs the flagship demo or the whole test suite. Idempotent: a second
# run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

what=${1:-}
if [[ $what != demo && $what != test ]]; then
  echo "usage: ./run.sh demo | test" >&2
  exit 2
fi

# Packages: .ci/packages lists what every build needs; .ci/packages-test what the tests add.
lists=(.ci/packages)
[[ $what == test ]] && lists+=(.ci/packages-test)
.ci/install-packages "${lists[@]}"
# npm vendors the training page's d3 modules at build time; a Node.js from elsewhere brings its
# own npm, so Debian's is installed only when none is on the PATH.
command -v npm >/dev/null 2>&1 || .ci/install-packages .ci/packages-npm

# Configured every time (quick when nothing changed), so that a build first made for the demo
# picks up the lab once the test packages (emscripten) are installed.
lab=AUTO
[[ $what == test ]] && lab=ON  # the test command builds and tests the WebAssembly lab
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGRADFLOW_BUILD_LAB=$lab >/dev/null
cmake --build build -j2

if [[ $what == demo ]]; then
  ./build/examples/neuron_demo
else
  ctest --test-dir build --output-on-failure -j2
fi
