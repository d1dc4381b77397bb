#!/usr/bin/env bash
# A fully cached run of the same 50-stage pipeline: slmflow against DVC, interleaved in
# one session so both see the same machine load. Prints the median wall time of each.
#
#   python3 -m venv /tmp/dvcenv && /tmp/dvcenv/bin/pip install dvc
#   swift build -c release
#   DVC=/tmp/dvcenv/bin/dvc bash scripts/bench/cached_run_vs_dvc.sh [stages] [repetitions]
set -euo pipefail
stages=${1:-50}
repetitions=${2:-15}
slmflow=${SLMFLOW:-$(pwd)/.build/release/slmflow}
dvc=${DVC:-dvc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The same DAG for both tools: layers of five stages, each reading the layer before.
python3 - "$work" "$stages" <<'PY'
import sys, os
work, stages = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{work}/slm/out"); os.makedirs(f"{work}/dvc/out")
slm = ["slmflow: 1", "name: bench", "params: {salt: 1}", "stages:"]
dvc = ["stages:"]
for i in range(stages):
    layer = i // 5
    deps = [] if layer == 0 else [f"out/s{j}.txt" for j in range((layer - 1) * 5, min(layer * 5, stages))]
    slm += [f"  s{i}:", "    kind: command", f"    cmd: [sh, -c, \"echo ${{params.salt}}-{i} > out/s{i}.txt\"]"]
    dvc += [f"  s{i}:", f"    cmd: echo 1-{i} > out/s{i}.txt"]
    if deps:
        slm.append(f"    deps: [{', '.join(deps)}]")
        dvc.append(f"    deps: [{', '.join(deps)}]")
    slm.append(f"    outs: [out/s{i}.txt]")
    dvc.append(f"    outs: [out/s{i}.txt]")
open(f"{work}/slm/bench.yaml", "w").write("\n".join(slm) + "\n")
open(f"{work}/dvc/dvc.yaml", "w").write("\n".join(dvc) + "\n")
PY

(cd "$work/dvc" && git init -q && "$dvc" init -q && "$dvc" repro -q >/dev/null && "$dvc" repro -q >/dev/null)
(cd "$work/slm" && "$slmflow" run bench.yaml 2>/dev/null && "$slmflow" run bench.yaml 2>/dev/null)

python3 - "$work" "$slmflow" "$dvc" "$repetitions" <<'PY'
import subprocess, sys, time, statistics
work, slmflow, dvc, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def timed(cmd, cwd):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t
ours, theirs = [], []
for _ in range(n):
    ours.append(timed([slmflow, "run", "bench.yaml"], f"{work}/slm"))
    theirs.append(timed([dvc, "repro"], f"{work}/dvc"))
m1, m2 = statistics.median(ours), statistics.median(theirs)
print(f"fully cached run of {open(f'{work}/slm/bench.yaml').read().count('kind:')} stages, median of {n}:")
print(f"  slmflow run  {m1*1000:8.1f} ms")
print(f"  dvc repro    {m2*1000:8.1f} ms   ({m2/m1:.0f}x slmflow)")
PY
