#!/usr/bin/env python3
"""Checks that a tokenizer.json written by `slmflow tokenize train` loads in the Python
`tokenizers` library and encodes every test line exactly as slmflow does.

Trains on the same deterministic corpus as make_tokenizer_golden.py plus the hard cases,
then compares ids (with and without special tokens) line by line and decode round trips.
Usage: swift build; python3 scripts/golden/check_trained_tokenizer.py [--slmflow .build/debug/slmflow]
Exit status 0 when everything agrees.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from make_tokenizer_golden import FIXTURES, training_corpus  # noqa: E402


def slmflow_ids(binary, tokenizer, path, special):
    args = [binary, "tokenize", "encode", "--tokenizer", tokenizer, "--file", path] + ([] if special else ["--no-special"])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["ids"] for line in out.splitlines()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slmflow", default=os.path.join(ROOT, ".build", "debug", "slmflow"))
    parser.add_argument("--vocab-size", type=int, default=2000)
    args = parser.parse_args()
    with open(os.path.join(FIXTURES, "tokenizer-hard-cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    work = tempfile.mkdtemp(prefix="trained-check-")
    corpus = os.path.join(work, "corpus.txt")
    lines = [line for text in training_corpus(cases) for line in text.split("\n")]
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    tokenizer = os.path.join(work, "tokenizer.json")
    subprocess.run([args.slmflow, "tokenize", "train", corpus, "--vocab-size", str(args.vocab_size),
                    "--special-token", "<|endoftext|>", "--special-token", "<pad>", "-o", tokenizer], check=True)
    python = Tokenizer.from_file(tokenizer)
    tests = [line for case in cases for line in case.split("\n")] + lines[:500]
    tests += ["a<|endoftext|>b", "<pad> <pad><|endoftext|>"]
    test_path = os.path.join(work, "tests.txt")
    with open(test_path, "w", encoding="utf-8") as f:
        f.write("\n".join(tests) + "\n")
    failures = 0
    for special in (True, False):
        swift = slmflow_ids(args.slmflow, tokenizer, test_path, special)
        for text, ids in zip(tests, swift):
            expected = python.encode(text, add_special_tokens=special).ids
            if ids != expected:
                failures += 1
                print(f"MISMATCH {text!r}: slmflow {ids} python {expected}")
            elif python.decode(expected, skip_special_tokens=False) != text:
                failures += 1
                print(f"ROUND TRIP {text!r}: {python.decode(expected)!r}")
    print(f"{len(tests) * 2} encodings compared, {failures} failures, vocab {python.get_vocab_size()}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
