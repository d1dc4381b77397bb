#!/usr/bin/env python3
"""Writes the PyTorch-checkpoint fixtures for Tests/SLMZooTests (CPU torch; pip install torch).

  seed_tiny.pt          torch.save({"model_state_dict", "model_config", "global_step", "score"}),
                        bf16 tensors, lm_head.weight tied to transformer.wte.weight (one storage),
                        the seed's layout (seed-spec 1.6-1.7) at toy sizes.
  bare_mixed.pt         torch.save(state_dict) with fp32, fp16 and bf16 tensors, one a
                        non-contiguous slice (storage offset + strides).
  seed_tiny.values.json every tensor of both files as exact float values, plus torch's version.
  float64.pt            a state dict with a float64 tensor (refused: the zoo stores F32/F16/BF16/I64/I32).
  evil_system.pt        a torch.save-shaped zip whose data.pkl calls os.system when unpickled.
  evil_eval.pkl         a bare pickle calling builtins.eval.
  evil_traversal.zip    a zip whose members are named ../escape.txt and /abs/data.pkl.

Run from the repository root: python3 scripts/golden/make_torch_checkpoint.py
"""
import json
import os
import pickle
import zipfile
from collections import OrderedDict

import torch

OUT = "Tests/SLMZooTests/Fixtures"


def seed_state(generator):
    d, q, kv, hidden, vocab = 16, 8, 4, 32, 40
    sd = OrderedDict()
    sd["transformer.wte.weight"] = torch.randn(vocab, d, generator=generator)
    for block, prefix in (("e", "attn"), ("h", "causal_attn")):
        p = f"transformer.{block}.0."
        sd[p + "ln1.weight"] = torch.ones(d) + 0.01 * torch.randn(d, generator=generator)
        sd[p + "ln2.weight"] = torch.ones(d)
        for name, rows in (("q_linear", q), ("k_linear", kv), ("v_linear", kv)):
            sd[p + f"{prefix}.{name}.weight"] = torch.randn(rows, d, generator=generator) * 0.1
            sd[p + f"{prefix}.{name}.bias"] = torch.randn(rows, generator=generator) * 0.01
        sd[p + f"{prefix}.out_linear.weight"] = torch.randn(d, q, generator=generator) * 0.1
        sd[p + f"{prefix}.out_linear.bias"] = torch.zeros(d)
        sd[p + "mlp.fc1.weight"] = torch.randn(hidden, d, generator=generator) * 0.1
        sd[p + "mlp.fc1.bias"] = torch.zeros(hidden)
        sd[p + "mlp.fc2.weight"] = torch.randn(d, hidden, generator=generator) * 0.1
        sd[p + "mlp.fc2.bias"] = torch.zeros(d)
    sd["transformer.ln_e.weight"] = torch.ones(d)
    sd["transformer.ln_f.weight"] = torch.ones(d)
    sd = OrderedDict((k, v.to(torch.bfloat16)) for k, v in sd.items())
    sd["lm_head.weight"] = sd["transformer.wte.weight"]  # tied: same storage
    config = dict(n_encoder_layer=1, n_decoder_layer=1, n_embd=d, qkv_embd=q, is_interleaved=False,
                  hidden_dim=hidden, n_head=2, n_kv_head=1, block_size=64, dropout=0.0,
                  rope_theta=10000.0, rope_factor=1.0, pad_token_id=0, vocab_size=vocab)
    return sd, config


def values(sd):
    return {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                "values": v.float().flatten().tolist()} for k, v in sd.items()}


class CallsSystem:
    def __reduce__(self):
        return (os.system, ("echo slmflow-pickle-exploit > /tmp/slmflow-pwned",))


class CallsEval:
    def __reduce__(self):
        import builtins
        return (builtins.eval, ("__import__('os').system('touch /tmp/slmflow-pwned')",))


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(20250127)
    sd, config = seed_state(g)
    torch.save({"model_state_dict": sd, "model_config": config, "global_step": 7, "score": -2.5},
               f"{OUT}/seed_tiny.pt")

    wide = torch.randn(6, 8, generator=g)
    bare = OrderedDict()
    bare["encoder.weight"] = torch.randn(5, 3, generator=g)
    bare["decoder.weight"] = torch.randn(4, 4, generator=g).to(torch.float16)
    bare["head.bias"] = torch.randn(9, generator=g).to(torch.bfloat16)
    bare["slice.weight"] = wide[1:4, 2:7]  # offset 10, strides (8, 1): not contiguous
    torch.save(bare, f"{OUT}/bare_mixed.pt")

    with open(f"{OUT}/seed_tiny.values.json", "w") as f:
        json.dump({"torch_version": torch.__version__, "model_config": config,
                   "seed_tiny": values(sd), "bare_mixed": values(bare)}, f, sort_keys=True)

    torch.save({"w": torch.arange(4, dtype=torch.float64)}, f"{OUT}/float64.pt")

    with zipfile.ZipFile(f"{OUT}/evil_system.pt", "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("evil_system/data.pkl"), pickle.dumps({"model_state_dict": CallsSystem()}, protocol=2))
        z.writestr(zipfile.ZipInfo("evil_system/version"), "3\n")
    with open(f"{OUT}/evil_eval.pkl", "wb") as f:
        f.write(pickle.dumps([CallsEval()], protocol=2))
    with zipfile.ZipFile(f"{OUT}/evil_traversal.zip", "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("../escape.txt"), b"outside")
        z.writestr(zipfile.ZipInfo("/abs/data.pkl"), pickle.dumps({}, protocol=2))
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()
