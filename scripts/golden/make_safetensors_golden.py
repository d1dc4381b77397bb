#!/usr/bin/env python3
"""Writes Tests/SLMFormatsTests/Fixtures/golden.safetensors with the official `safetensors`
package (pip install safetensors numpy), so the Swift reader is checked against an
independent writer. SafetensorsGoldenTests hard-codes the same values.

With --check PATH it instead reads a file written by the Swift writer and prints it,
to check the other direction by hand.
"""
import sys
import numpy as np
import safetensors
from safetensors.numpy import load_file

OUT = "Tests/SLMFormatsTests/Fixtures/golden.safetensors"

def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        for name, array in sorted(load_file(sys.argv[2]).items()):
            print(name, array.dtype, list(array.shape), array.ravel().tolist())
        return
    f32 = (np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5 - 1).astype(np.float32)
    f16 = np.array([1, -2, 65504, 2.0 ** -24, np.inf, 0.1], dtype=np.float16)
    i64 = np.array([-1, 0, 32000], dtype=np.int64)
    # bf16 has no numpy dtype: top 16 bits of fp32 values that bf16 represents exactly.
    bf16_values = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)
    bf16_bytes = (bf16_values.view(np.uint32) >> 16).astype("<u2").tobytes()
    buffers = {  # name: (dtype, shape, contiguous little-endian array kept alive below)
        "layer.f32": ("float32", list(f32.shape), np.ascontiguousarray(f32.astype("<f4"))),
        "layer.f16": ("float16", list(f16.shape), np.ascontiguousarray(f16.astype("<f2"))),
        "ids": ("int64", list(i64.shape), np.ascontiguousarray(i64.astype("<i8"))),
        "bf16": ("bfloat16", [2, 2], np.frombuffer(bf16_bytes, dtype=np.uint8).copy()),
    }
    specs = {name: safetensors.TensorSpec(dtype=dtype, shape=shape, data_ptr=array.ctypes.data, data_len=array.nbytes)
             for name, (dtype, shape, array) in buffers.items()}
    data = safetensors.serialize(specs, metadata={"source": "safetensors-python"})
    with open(OUT, "wb") as f:
        f.write(data)
    print("wrote", OUT, len(data), "bytes with safetensors", safetensors.__version__)

if __name__ == "__main__":
    main()
