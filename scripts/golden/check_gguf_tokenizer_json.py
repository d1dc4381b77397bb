#!/usr/bin/env python3
"""Checks a tokenizer.json that slmflow wrote from GGUF metadata (a `kind: pull` model folder,
or `slmflow zoo export --format hf`) with the Python `tokenizers` library.

1. The golden cases of Tests/SLMZooTests/Fixtures/smollm2-gguf-golden.json (ids from the
   library on a tokenizer.json rebuilt from SmolLM2's GGUF by make_gguf_tokenizer_golden.py):
   ids with and without special tokens, and the decoded text.
2. With --lines FILE --swift-ids FILE: every line of FILE encoded by the library must give the
   ids slmflow gave (`slmflow tokenize encode --tokenizer MODEL.gguf --file FILE`, one
   {"ids": [...]} per line), and decode back to the line.

Usage:
  check_gguf_tokenizer_json.py out/smollm2_teacher/teacher/model/tokenizer.json \
      [--lines lines.txt --swift-ids swift.jsonl]
Exit status 1 on any difference.
"""
import argparse
import json
import os
import sys

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
parser = argparse.ArgumentParser()
parser.add_argument("tokenizer_json")
parser.add_argument("--golden", default=os.path.join(ROOT, "Tests/SLMZooTests/Fixtures/smollm2-gguf-golden.json"))
parser.add_argument("--lines")
parser.add_argument("--swift-ids")
args = parser.parse_args()

tokenizer = Tokenizer.from_file(args.tokenizer_json)
failures = 0
golden = json.load(open(args.golden, encoding="utf-8"))
for case in golden["cases"]:
    text = case["text"]
    got = tokenizer.encode(text).ids
    got_plain = tokenizer.encode(text, add_special_tokens=False).ids
    decoded = tokenizer.decode(case["ids"], skip_special_tokens=False)
    if got != case["ids"] or got_plain != case["ids_no_special"] or decoded != case["decoded"]:
        failures += 1
        print(f"golden case differs: {text!r}\n  expected {case['ids']}\n  got      {got}", file=sys.stderr)
print(f"golden: {len(golden['cases'])} cases, {failures} differences")

if args.lines and args.swift_ids:
    lines = open(args.lines, encoding="utf-8").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    swift = [json.loads(line)["ids"] for line in open(args.swift_ids, encoding="utf-8") if line.strip()]
    if len(swift) != len(lines):
        print(f"{len(lines)} lines but {len(swift)} id lists", file=sys.stderr)
        sys.exit(1)
    differences = 0
    tokens = 0
    for text, ids in zip(lines, swift):
        got = tokenizer.encode(text).ids
        tokens += len(got)
        if got != ids or tokenizer.decode(got, skip_special_tokens=False) != text:
            differences += 1
            if differences <= 5:
                print(f"line differs: {text[:80]!r}\n  slmflow {ids[:20]}\n  python  {got[:20]}", file=sys.stderr)
    print(f"corpus: {len(lines)} lines, {tokens} tokens, {differences} differences")
    failures += differences

sys.exit(1 if failures else 0)
