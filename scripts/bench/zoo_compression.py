#!/usr/bin/env python3
"""Sizes of a safetensors file's tensors stored raw, zstd -3, and zstd -3 after grouping the
bytes of each value into planes (what the zoo's blob store tries), for docs/performance.md.

  python3 scripts/bench/zoo_compression.py FILE.safetensors [--bf16]

--bf16 first rounds F32 tensors to bf16 (round-to-nearest-even), to measure bf16 weights.
Uses the zstd command-line tool (same libzstd, level 3) and numpy.
"""
import json
import struct
import subprocess
import sys

import numpy as np


def zstd_size(data):
    return len(subprocess.run(["zstd", "-3", "-c", "-q"], input=data, capture_output=True, check=True).stdout)


def planes(data, width):
    n = len(data) // width * width
    a = np.frombuffer(data[:n], dtype=np.uint8).reshape(-1, width)
    return a.T.tobytes() + data[n:]


def main():
    path, to_bf16 = sys.argv[1], "--bf16" in sys.argv
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    totals = {"raw": 0, "zstd": 0, "shuffled": 0, "best": 0}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        data, width = body[begin:end], {"F32": 4, "F16": 2, "BF16": 2}.get(info["dtype"], 1)
        if to_bf16 and info["dtype"] == "F32":
            bits = np.frombuffer(data, dtype=np.uint32).astype(np.uint64)
            rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
            data, width = rounded.tobytes(), 2
        plain, shuffled = zstd_size(data), zstd_size(planes(data, width))
        totals["raw"] += len(data)
        totals["zstd"] += plain
        totals["shuffled"] += shuffled
        totals["best"] += min(len(data), plain, shuffled)
    raw = totals["raw"]
    for key in ("raw", "zstd", "shuffled", "best"):
        print(f"{key:9s} {totals[key]:>12,d} bytes  {totals[key] / raw:6.1%}")


if __name__ == "__main__":
    main()
