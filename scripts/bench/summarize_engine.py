#!/usr/bin/env python3
"""Medians over the rounds written by compare_engine.sh, as Markdown tables."""
import glob
import json
import statistics
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/engine-bench"


def load(pattern):
    return [json.load(open(p)) for p in sorted(glob.glob(f"{out}/{pattern}"))]


def med(xs):
    return statistics.median(xs)


st, tt = load("swift-train-*.json"), load("torch-train-*.json")
si, ti = load("swift-infer-*.json"), load("torch-infer-*.json")
large = load("swift-large.json")

print(f"Machine: {st[0]['machine']}; slmflow threads {st[0]['threads']}, torch {tt[0]['torch']} "
      f"with {tt[0]['threads']} threads; {len(st)} alternating rounds, medians.\n")
print("| training (batch 16, source 256, target 32, dropout 0.1) | parameters | slmflow tokens/s | PyTorch tokens/s | ratio | slmflow GFLOP/s (share of sgemm peak) | slmflow peak RSS | PyTorch peak RSS |")
print("|---|---|---|---|---|---|---|---|")
for i, f in enumerate(st[0]["figures"]):
    s_tok = med([r["figures"][i]["tokens_per_s"] for r in st])
    t_tok = med([r["figures"][i]["tokens_per_s"] for r in tt])
    gf = med([r["figures"][i]["gflop_per_s"] for r in st])
    share = med([r["figures"][i]["share_of_sgemm_peak"] for r in st])
    s_mem = max(r["figures"][i]["peak_memory_bytes"] for r in st) / 2**20
    t_mem = max(r["figures"][i]["peak_rss_bytes"] for r in tt) / 2**20
    print(f"| {f['model']} | {f['parameters']:,} | {s_tok:,.0f} | {t_tok:,.0f} | {s_tok / t_tok:.2f}× | "
          f"{gf:.0f} ({100 * share:.0f}%) | {s_mem:,.0f} MiB | {t_mem:,.0f} MiB |")
peak = med([r["sgemm_peak_gflop_per_s"] for r in st])
print(f"\ncblas_sgemm peak (1024³, best of 6, median over rounds): {peak:.0f} GFLOP/s.\n")

print("| batch-1 inference | input | first token slmflow | first token PyTorch | ratio | decode slmflow tokens/s | decode PyTorch tokens/s | ratio | slmflow peak RSS |")
print("|---|---|---|---|---|---|---|---|---|")
for i, f in enumerate(si[0]["figures"]):
    name = "mu 4+2" if f["model"].startswith("mu") else "decoder-only"
    tidx = next(j for j, g in enumerate(ti[0]["figures"]) if g["input_length"] == f["input_length"] and g["model"].startswith(name[:2]))
    sf = med([r["figures"][i]["first_token_s"] for r in si]) * 1000
    tf = med([r["figures"][tidx]["first_token_s"] for r in ti]) * 1000
    sd = med([r["figures"][i]["decode_tokens_per_s"] for r in si])
    td = med([r["figures"][tidx]["decode_tokens_per_s"] for r in ti])
    mem = max(r["figures"][i]["peak_memory_bytes"] for r in si) / 2**20
    print(f"| {name} | {f['input_length']} | {sf:.1f} ms | {tf:.1f} ms | {sf / tf:.2f} | {sd:,.0f} | {td:,.0f} | {sd / td:.1f}× | {mem:,.0f} MiB |")
if large and large[0].get("mu_330m"):
    g = large[0]["mu_330m"]
    print(f"\n330M Mu (released shapes): {large[0]['mu_330m_parameters']:,} parameters; input {g['input_length']}: first token "
          f"{g['first_token_s'] * 1000:.0f} ms, decode {g['decode_tokens_per_s']:,.0f} tokens/s, peak RSS "
          f"{g['peak_memory_bytes'] / 2**30:.2f} GiB (fp32 weights alone: {large[0]['mu_330m_parameters'] * 4 / 2**30:.2f} GiB).")
