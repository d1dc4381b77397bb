#!/usr/bin/env bash
# Runs `slmflow bench train|infer` and scripts/bench/engine_bench.py alternately, ROUNDS
# times each, on this machine, and summarises the medians as Markdown for docs/performance.md.
#   scripts/bench/compare_engine.sh [OUT_DIR] [ROUNDS]
# Each run holds /tmp/swift-build.lock so that no build on the shared machine overlaps it.
set -euo pipefail
out=${1:-/tmp/engine-bench}
rounds=${2:-2}
bin=${SLMFLOW:-.build/release/slmflow}
mkdir -p "$out"
lock() { flock /tmp/swift-build.lock "$@"; }
for r in $(seq 1 "$rounds"); do
  lock "$bin" bench train --json > "$out/swift-train-$r.json"
  lock python3 scripts/bench/engine_bench.py train > "$out/torch-train-$r.json"
  lock "$bin" bench infer --json > "$out/swift-infer-$r.json"
  lock python3 scripts/bench/engine_bench.py infer > "$out/torch-infer-$r.json"
done
lock "$bin" bench infer --lengths 64 --large --repetitions 3 --json > "$out/swift-large.json"
python3 scripts/bench/summarize_engine.py "$out"
