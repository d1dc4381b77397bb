#!/usr/bin/env python3
"""Tokenizer speed: slmflow against the Python `tokenizers` library, one core, same text.

Encoding: the corpus's lines grouped 16 to a chunk, every chunk encoded once per round
(the Python library with RAYON_NUM_THREADS=1 and one `encode` call per chunk); the median
of the rounds in MB/s. Load: median time to load tokenizer.json. Training: byte-level BPE
trainers (slmflow's and the library's) on the same corpus, MB/s.

Usage: swift build -c release; python3 scripts/bench/tokenizer_bench.py [--slmflow .build/release/slmflow]
The corpus is the Python standard library's source text (the first 4 MB, sorted by path):
real, varied English and code present on every machine with python3.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def corpus(limit):
    stdlib = os.path.dirname(os.__file__)
    out, size = [], 0
    for path in sorted(glob.glob(os.path.join(stdlib, "*.py"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        out.append(text)
        size += len(text.encode())
        if size >= limit:
            break
    return "".join(out).replace("\r", "")


def python_encode(path, chunks, rounds):
    loads = []
    for _ in range(rounds):
        start = time.perf_counter()
        tok = Tokenizer.from_file(path)
        loads.append(time.perf_counter() - start)
    size = sum(len(c.encode()) for c in chunks)
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for chunk in chunks:
            tok.encode(chunk, add_special_tokens=False)
        rates.append(size / 1e6 / (time.perf_counter() - start))
    return statistics.median(loads) * 1000, statistics.median(rates)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slmflow", default=os.path.join(ROOT, ".build", "release", "slmflow"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--megabytes", type=float, default=4)
    args = parser.parse_args()

    text = corpus(int(args.megabytes * 1e6))
    lines = text.split("\n")
    chunks = ["\n".join(lines[i:i + 16]) for i in range(0, len(lines), 16)]
    work = tempfile.mkdtemp(prefix="tokbench-")
    corpus_path = os.path.join(work, "corpus.txt")
    with open(corpus_path, "w", encoding="utf-8") as f:
        f.write(text)

    tokenizers = {"bytelevel-1k (trained, Fixtures)": os.path.join(ROOT, "Tests", "SLMTextTests", "Fixtures", "bytelevel-tokenizer.json"),
                  "wordpiece (Fixtures)": os.path.join(ROOT, "Tests", "SLMTextTests", "Fixtures", "wordpiece-tokenizer.json")}
    phi = os.path.join(ROOT, "..", "shared", "fixtures", "phi35-tokenizer.json")
    if os.path.exists(phi):
        tokenizers["phi35 (32k SentencePiece BPE)"] = phi

    # A 16k byte-level BPE trained by the library on the corpus: a realistic GPT-2-like size.
    start = time.perf_counter()
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=16000, min_frequency=2, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(lines, trainer)
    python_train = len(text.encode()) / 1e6 / (time.perf_counter() - start)
    trained = os.path.join(work, "bytelevel-16k.json")
    tok.save(trained)
    tokenizers["bytelevel-16k (trained on corpus)"] = trained

    results = {"corpus_mb": round(len(text.encode()) / 1e6, 2), "chunks": len(chunks), "rounds": args.rounds, "encode": {}}
    for name, path in tokenizers.items():
        py_load, py_rate = python_encode(path, chunks, args.rounds)
        out = subprocess.run([args.slmflow, "tokenize", "bench", "--tokenizer", path, "--file", corpus_path,
                              "--rounds", str(args.rounds)], check=True, capture_output=True, text=True).stdout
        swift = json.loads(out)
        results["encode"][name] = {"python_mb_s": round(py_rate, 2), "slmflow_mb_s": swift["encode_mb_per_s"],
                                   "python_load_ms": round(py_load, 1), "slmflow_load_ms": swift["load_ms"]}

    # Training speed: the library (rayon pinned to one thread) and slmflow, same corpus and size.
    start = time.perf_counter()
    run = subprocess.run([args.slmflow, "tokenize", "train", corpus_path, "--vocab-size", "16000", "--min-frequency", "2",
                          "--output", os.path.join(work, "slmflow-16k.json")], check=True, capture_output=True, text=True)
    swift_train = len(text.encode()) / 1e6 / (time.perf_counter() - start)
    results["train_16k"] = {"python_mb_s": round(python_train, 2), "slmflow_mb_s (wall, incl. process start)": round(swift_train, 2),
                            "slmflow_report": run.stderr.strip()}
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(main())
