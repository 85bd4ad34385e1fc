#!/usr/bin/env bash
# Load time of the training page in headless Chromium (Debian's chromium), next to the stepper
# page of the tutorial's neuron (the small page the project already had) measured in the same run.
#   bench/training_page.sh [BUILD_DIR] [RUNS]        (defaults: build, 7)
# Writes both pages with the built examples, then loads each RUNS times, interleaved, each in a
# fresh headless Chromium, and prints the medians of:
#   ready: the page's own performance.now() when its script has drawn everything (data-ready-ms:
#          navigation start to a drawn page, inside the browser);
#   process: wall-clock of the whole chromium --dump-dom run (browser start-up included).
# Not a test: nothing asserts a time. Results go into docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
runs=${2:-7}
cmake --build "$build" -j2 --target tutorial_9_moons stepper >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$build/examples/tutorial_9_moons" --out "$dir" --html "$dir/moons.html" >/dev/null
"$build/examples/stepper" --all --html "$dir/neuron.html" </dev/null >/dev/null
load() {  # prints "ready_ms process_ms"
  local start end dom
  start=$(date +%s%N)
  dom=$(timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$dir/profile" --window-size=1024,700 --dump-dom "file://$1" 2>/dev/null)
  end=$(date +%s%N)
  local ready
  ready=$(grep -o 'data-ready-ms="[0-9.]*"' <<<"$dom" | grep -o '[0-9.]*' || echo NA)
  echo "$ready $(((end - start) / 1000000))"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: >"$dir/moons.txt"
: >"$dir/neuron.txt"
for ((i = 0; i < runs; ++i)); do
  load "$dir/moons.html" >>"$dir/moons.txt"
  load "$dir/neuron.html" >>"$dir/neuron.txt"
done
size() { stat -c %s "$1"; }
printf '| page | size | ready (median ms) | chromium process (median ms) |\n|---|---|---|---|\n'
printf '| training page, moons 2-16-16-1, 100 iterations, 100 points | %.2f MB | %s | %s |\n' \
  "$(awk -v s="$(size "$dir/moons.html")" 'BEGIN {print s / 1e6}')" \
  "$(cut -d' ' -f1 "$dir/moons.txt" | median)" "$(cut -d' ' -f2 "$dir/moons.txt" | median)"
printf '| stepper page, the tutorial neuron (baseline) | %.2f MB | %s | %s |\n' \
  "$(awk -v s="$(size "$dir/neuron.html")" 'BEGIN {print s / 1e6}')" \
  "$(cut -d' ' -f1 "$dir/neuron.txt" | median)" "$(cut -d' ' -f2 "$dir/neuron.txt" | median)"
echo "($runs loads each, interleaved, 1024x700, $(chromium --version 2>/dev/null | head -1))"
