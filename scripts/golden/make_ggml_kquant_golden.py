#!/usr/bin/env python3
"""Golden dequantisation of llama.cpp's k-quant blocks (Q4_K, Q5_K, Q6_K: what Q4_K_M and
Q5_K_M files are made of), by the `gguf` package's reference `gguf.quants.dequantize`:
Tests/SLMZooTests/Fixtures/ggml-kquants.json.

    pip install gguf   # version used: see the file
    python3 scripts/golden/make_ggml_kquant_golden.py

Each case is two blocks of random bytes whose fp16 scales are set to finite values, and the
256 × 2 floats they decode to.
"""
import json
import os
from importlib.metadata import version

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, quants

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "SLMZooTests", "Fixtures", "ggml-kquants.json")

# Byte offsets of each block's fp16 scales (d, and dmin where the type has one).
SCALES = {GGMLQuantizationType.Q4_K: [0, 2], GGMLQuantizationType.Q5_K: [0, 2], GGMLQuantizationType.Q6_K: [208]}


def main():
    rng = np.random.default_rng(21)
    cases = []
    for qtype, offsets in SCALES.items():
        _, size = GGML_QUANT_SIZES[qtype]
        raw = rng.integers(0, 256, size=2 * size, dtype=np.uint8)
        for block in range(2):
            for k, offset in enumerate(offsets):
                half = np.array([0.01 * (block + 1) * (k + 1)], dtype=np.float16).view(np.uint8)
                raw[block * size + offset:block * size + offset + 2] = half
        values = quants.dequantize(raw, qtype).astype(np.float32).reshape(-1)
        cases.append(dict(type=qtype.name, ggml_type=int(qtype.value), bytes=raw.tolist(), values=values.tolist()))
    with open(OUT, "w") as f:
        json.dump(dict(gguf=version("gguf"), cases=cases), f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
