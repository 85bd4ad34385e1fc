#!/usr/bin/env bash
# The live lab's training speed: the moons preset (2-16-16-1, 100 points, full batch, the
# Executor) for STEPS steps in headless Chromium (WebAssembly), then the same lab.cpp calls
# natively. Run after a build with the lab:   bench/lab_speed.sh [STEPS]   (default 1000)
# Each browser figure is one fresh page load; five loads are printed, then the median.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
steps=${1:-1000}
page="file://$PWD/build/lab/gradflow_lab.html#preset=moons&steps=$steps"
[[ -f build/lab/gradflow_lab.html && -x build/bench/lab_speed ]] ||
  { echo "build the lab first: ./run.sh test (or cmake -DGRADFLOW_BUILD_LAB=ON)" >&2; exit 2; }
rates=()
for run in 1 2 3 4 5; do
  ms=$(python3 tests/cdp.py "$page" | grep -o 'data-train-ms="[0-9.]*"' | grep -o '[0-9.]*')
  rate=$(python3 -c "print(round($steps / ($ms / 1000)))")
  echo "chromium run $run: $steps steps in ${ms%.*} ms: $rate steps/s"
  rates+=("$rate")
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n 3p)
echo "chromium (WebAssembly) median: $median steps/s"
build/bench/lab_speed "$steps"
