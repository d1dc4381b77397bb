#!/usr/bin/env python3
"""PyTorch (CPU, eager, fp32) reference for `slmflow bench train` and `slmflow bench infer`:
the same configuration, data shapes and measurements, to run in the same session.

    pip install torch==2.13.0+cpu
    python3 scripts/bench/engine_bench.py train [--threads 2] [--steps 5]
    python3 scripts/bench/engine_bench.py infer [--lengths 64,128,...] [--new-tokens 64]

Models: scripts/golden/mu_reference.py (the seed's Mu and the decoder-only baseline from the
same blocks, seed-spec §1.4/§1.9). Training: forward, backward, clip_grad_norm_(1.0) and
AdamW (betas 0.9/0.98, weight decay 0.01 on ≥2-D tensors) per step, dropout 0.1. Inference:
batch 1 under no_grad; the first token is the encoder + first decoder step (Mu) or the prefill
(baseline); decoding keeps a self-attention KV cache and computes cross-attention K/V once,
like the Swift generator. Prints one JSON object.
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from mu_reference import Mu, DecoderOnly, rope_cos_sin, rotate_half  # noqa: E402

MU = dict(n_encoder_layer=4, n_decoder_layer=2, n_embd=256, qkv_embd=256, n_head=4, n_kv_head=2,
          is_interleaved=False, hidden_dim=1024, block_size=4096, dropout=0.1, rope_theta=10000.0,
          rope_factor=1.0, pad_token_id=0, vocab_size=8192)


def block_params(c):
    d, q, kv, m = c["n_embd"], c["qkv_embd"], c["qkv_embd"] // c["n_head"] * c["n_kv_head"], c["hidden_dim"]
    attn = d * q + q + 2 * (d * kv + kv) + q * d + d
    return 2 * d + attn + (d * m + m) + (m * d + d), attn


def baseline_config(mu):
    enc, attn = block_params(mu)
    dec = enc + attn + mu["n_embd"]
    emb = mu["vocab_size"] * mu["n_embd"]
    total = emb + mu["n_encoder_layer"] * enc + mu["n_decoder_layer"] * dec + 2 * mu["n_embd"]
    budget = total - emb - mu["n_embd"]
    lower = max(1, budget // enc)
    layers = min([lower, lower + 1], key=lambda n: abs(emb + n * enc + mu["n_embd"] - total))
    return dict(mu, n_layer=layers)


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def train(args):
    torch.manual_seed(1)
    B, S, T = args.batch, args.source, args.target
    mu_c = dict(MU, dropout=args.dropout)
    results = []
    for name, model in [("mu 4+2", Mu(mu_c)), ("decoder-only", DecoderOnly(baseline_config(mu_c)))]:
        model.train()
        decay = [p for p in model.parameters() if p.dim() >= 2]
        no_decay = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=1e-4, betas=(0.9, 0.98), eps=1e-8)

        def step():
            opt.zero_grad(set_to_none=True)
            if isinstance(model, Mu):
                src = torch.randint(3, 8192, (B, S))
                y = torch.randint(3, 8192, (B, T))
                dec = torch.cat([torch.ones(B, 1, dtype=torch.long), y[:, :-1]], dim=1)
                logits, _ = model(src, dec)
                loss = F.cross_entropy(logits.reshape(-1, 8192), y.reshape(-1), ignore_index=0)
            else:
                ids = torch.randint(3, 8192, (B, S + T))
                labels = torch.zeros_like(ids)
                labels[:, S - 1:-1] = ids[:, S:]
                logits = model(ids)
                loss = F.cross_entropy(logits.reshape(-1, 8192), labels.reshape(-1), ignore_index=0)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        for _ in range(2):
            step()
        times = []
        for _ in range(args.steps):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        results.append(dict(model=name, parameters=sum(p.numel() for p in model.parameters()),
                            step_seconds=times, tokens_per_s=B * (S + T) / med, peak_rss_bytes=peak_rss()))
    return dict(torch=torch.__version__, threads=torch.get_num_threads(), batch=B, source=S, target=T,
                dropout=args.dropout, figures=results)


# --------------------------------------------------------------------------------------
# Cached greedy decoding (no_grad)

def attend(att, x, cache, positions, key_mask=None, cross_kv=None):
    """x [1, n, d]; cache dict with 'k', 'v' [1, G, L, hd] (self) or cross_kv (k, v) fixed."""
    B, n, _ = x.shape
    q = att.q_linear(x).view(B, n, att.h, att.hd).transpose(1, 2)
    if cross_kv is None:
        k = att.k_linear(x).view(B, n, att.g, att.hd).transpose(1, 2)
        v = att.v_linear(x).view(B, n, att.g, att.hd).transpose(1, 2)
        cos, sin = rope_cos_sin(positions, att.hd, att.theta)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache.get("k") is not None:
            k = torch.cat([cache["k"], k], dim=2)
            v = torch.cat([cache["v"], v], dim=2)
        cache["k"], cache["v"] = k, v
    else:
        k, v = cross_kv
    r = att.h // att.g
    k, v = k.repeat(1, r, 1, 1), v.repeat(1, r, 1, 1)
    s = q @ k.transpose(-1, -2)
    Lk = k.shape[2]
    if cross_kv is None and n > 1:
        m = torch.ones(n, Lk, dtype=torch.bool).tril(Lk - n)[None, None]
        s = s.masked_fill(~m, torch.finfo(s.dtype).min)
    if key_mask is not None:
        s = s.masked_fill(~key_mask[:, None, None, :], torch.finfo(s.dtype).min)
    p = (s / math.sqrt(att.hd)).softmax(-1)
    return att.out_linear((p @ v).transpose(1, 2).reshape(B, n, att.h * att.hd))


@torch.no_grad()
def generate(model, prompt, new_tokens):
    """Returns (seconds to the first token, seconds for the following new_tokens)."""
    t0 = time.perf_counter()
    tr = model.transformer
    if isinstance(model, Mu):
        e, enc_mask = model.encode(prompt)
        cross = []
        for blk in tr.h:
            a = blk.cross_attn
            cross.append((a.k_linear(e).view(1, -1, a.g, a.hd).transpose(1, 2),
                          a.v_linear(e).view(1, -1, a.g, a.hd).transpose(1, 2)))
        tokens = torch.ones(1, 1, dtype=torch.long)
    else:
        tokens = prompt
    caches = [dict() for _ in tr.h]
    pos = 0
    first = None
    for i in range(new_tokens + 1):
        n = tokens.shape[1]
        positions = torch.arange(pos, pos + n)
        x = tr.wte(tokens)
        for li, blk in enumerate(tr.h):
            x = x + attend(blk.causal_attn, blk.ln1(x), caches[li], positions)
            if isinstance(model, Mu):
                x = x + attend(blk.cross_attn, blk.ln2(x), None, None, enc_mask, cross[li])
                x = x + blk.mlp(blk.ln3(x))
            else:
                x = x + blk.mlp(blk.ln2(x))
        pos += n
        logits = model.lm_head(tr.ln_f(x[:, -1:]))
        tokens = logits.argmax(-1)
        if first is None:
            first = time.perf_counter() - t0
    return first, time.perf_counter() - t0 - first


def infer(args):
    torch.manual_seed(1)
    mu_c = dict(MU, dropout=0.0)
    models = [("mu 4+2", Mu(mu_c).eval()), ("decoder-only", DecoderOnly(baseline_config(mu_c)).eval())]
    figures = []
    for length in [int(x) for x in args.lengths.split(",")]:
        prompt = torch.randint(3, 8192, (1, length))
        for name, model in models:
            generate(model, prompt, 2)
            firsts, decodes = [], []
            for _ in range(args.repetitions):
                f, d = generate(model, prompt, args.new_tokens)
                firsts.append(f)
                decodes.append(d)
            figures.append(dict(model=name, input_length=length, first_token_s=statistics.median(firsts),
                                decode_tokens_per_s=args.new_tokens / statistics.median(decodes),
                                peak_rss_bytes=peak_rss()))
    return dict(torch=torch.__version__, threads=torch.get_num_threads(), new_tokens=args.new_tokens, figures=figures)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["train", "infer"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--source", type=int, default=256)
    ap.add_argument("--target", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--lengths", default="64,128,256,512,1024,2048")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repetitions", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps(train(args) if args.what == "train" else infer(args), indent=2))


if __name__ == "__main__":
    main()
