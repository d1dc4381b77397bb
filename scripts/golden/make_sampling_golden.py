#!/usr/bin/env python3
"""Golden sampling distributions from transformers' own logits processors and warpers, applied
in the order `generate` applies them (repetition penalty, then temperature, top-k, top-p):
Tests/SLMModelsTests/Golden/sampling.json.

    pip install torch==2.13.0+cpu transformers   # versions used: see the file
    python3 scripts/golden/make_sampling_golden.py

Each case holds a row of logits, the settings, and the probabilities transformers would
sample from (0 where a warper removed the token). Cases with a repetition penalty also hold
the decoder's input ids (repeated ids included) and the penalised logits, from which greedy
decoding takes its argmax.
"""
import json
import os

import torch
import transformers
from transformers.generation.logits_process import (RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper,
                                                   TopKLogitsWarper, TopPLogitsWarper)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "SLMModelsTests", "Golden", "sampling.json")


def main():
    g = torch.Generator().manual_seed(12)
    cases = []
    for temperature, top_k, top_p in [(1.0, None, 0.5), (0.7, None, 0.9), (0.7, 20, 0.8), (1.3, 5, 0.95),
                                      (0.5, None, 0.05), (1.0, 40, 1.0)]:
        logits = (torch.randn(1, 64, generator=g) * 1.5).float()
        scores = TemperatureLogitsWarper(temperature)(None, logits.clone())
        if top_k is not None:
            scores = TopKLogitsWarper(top_k)(None, scores)
        scores = TopPLogitsWarper(top_p)(None, scores)
        probs = torch.softmax(scores, dim=-1)
        cases.append(dict(logits=logits[0].tolist(), temperature=temperature, top_k=top_k, top_p=top_p,
                          probabilities=probs[0].tolist()))
    for penalty, temperature, top_k, top_p in [(1.3, 0.8, None, 0.9), (0.7, 1.0, 10, 1.0), (2.0, 1.0, None, 1.0)]:
        logits = (torch.randn(1, 64, generator=g) * 1.5).float()
        input_ids = torch.randint(0, 64, (1, 24), generator=g)
        input_ids[0, -3:] = input_ids[0, :3]  # repeated ids count once
        penalised = RepetitionPenaltyLogitsProcessor(penalty)(input_ids, logits.clone())
        scores = TemperatureLogitsWarper(temperature)(input_ids, penalised.clone())
        if top_k is not None:
            scores = TopKLogitsWarper(top_k)(input_ids, scores)
        scores = TopPLogitsWarper(top_p)(input_ids, scores)
        probs = torch.softmax(scores, dim=-1)
        cases.append(dict(logits=logits[0].tolist(), repetition_penalty=penalty, input_ids=input_ids[0].tolist(),
                          penalised=penalised[0].tolist(), temperature=temperature, top_k=top_k, top_p=top_p,
                          probabilities=probs[0].tolist()))
    with open(OUT, "w") as f:
        json.dump(dict(torch=torch.__version__, transformers=transformers.__version__, cases=cases), f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
