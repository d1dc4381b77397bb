#!/usr/bin/env python3
"""Golden ids for slmflow's tokenizers, from the Python `tokenizers` library.

Writes Tests/SLMTextTests/Fixtures/golden/{bytelevel,wordpiece,phi35}.json: for every hard
case (Tests/SLMTextTests/Fixtures/tokenizer-hard-cases.json, plus every added token of the
tokenizer placed inside text), the ids with and without special tokens and the decoded text.

The byte-level BPE and WordPiece tokenizers are trained here with the library's own
trainers (on the hard cases plus a fixed generated corpus) and committed as
Fixtures/bytelevel-tokenizer.json and Fixtures/wordpiece-tokenizer.json. The seed's
Phi-3.5 tokenizer is read from ../shared/fixtures/phi35-tokenizer.json (not committed; only
its expected ids are). Usage: pip install tokenizers; python3 scripts/golden/make_tokenizer_golden.py [--retrain]
"""
import json
import os
import random
import sys

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "SLMTextTests", "Fixtures")
PHI35 = os.path.join(ROOT, "..", "shared", "fixtures", "phi35-tokenizer.json")


def training_corpus(cases):
    """Hard cases plus deterministic pseudo-English, so merges exist for common words."""
    rng = random.Random(1234)
    words = ("the of and to in is that for it as was with be by on not he this are or his from at which but have an "
             "they you were her she there been one all we their has would when if so no what can out other do will "
             "about time than into could state only new year some more these two may first then its over also after "
             "capital question answer context model token encoder decoder small language efficient return").split()
    lines = list(cases)
    for _ in range(3000):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(4, 14)))
        lines.append(sentence.capitalize() + rng.choice([".", "?", "!", ",", ";"]) + rng.choice(["", " 42", " 2025", "\n"]))
    return lines


def build_bytelevel(corpus):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1200, min_frequency=2, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>", "<|bos|>", "<pad>"], show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<|bos|> $A", special_tokens=[("<|bos|>", tok.token_to_id("<|bos|>"))])
    tok.add_tokens(["<|note|>"])
    return tok


def build_wordpiece(corpus):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=900, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                        show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return tok


def golden(tok, cases, name, source):
    added = [t.content for t in tok.get_added_tokens_decoder().values()]
    texts = list(cases)
    for token in added:
        texts += [f"before{token}after", f"space {token} around", f"{token}", f"two{token}{token} in a row\n{token}\n"]
    entries = []
    for text in texts:
        with_special = tok.encode(text).ids
        without = tok.encode(text, add_special_tokens=False).ids
        entries.append({"text": text, "ids": with_special, "ids_no_special": without,
                        "decoded": tok.decode(without), "decoded_keep_special": tok.decode(without, skip_special_tokens=False)})
    return {"tokenizer": source, "generator": "scripts/golden/make_tokenizer_golden.py",
            "library": "tokenizers " + __import__("tokenizers").__version__, "name": name, "cases": entries}


def write(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    with open(os.path.join(FIXTURES, "tokenizer-hard-cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    os.makedirs(os.path.join(FIXTURES, "golden"), exist_ok=True)
    corpus = training_corpus(cases)

    # The trained fixtures are kept once committed (the library's WordPiece trainer is not
    # deterministic); --retrain makes new ones.
    retrain = "--retrain" in sys.argv
    bytelevel_path = os.path.join(FIXTURES, "bytelevel-tokenizer.json")
    if retrain or not os.path.exists(bytelevel_path):
        build_bytelevel(corpus).save(bytelevel_path)
    bytelevel = Tokenizer.from_file(bytelevel_path)
    write(os.path.join(FIXTURES, "golden", "bytelevel.json"), golden(bytelevel, cases, "bytelevel", "Fixtures/bytelevel-tokenizer.json"))

    # The same model behind a SmolLM2-style front: NFC, digits split one by one, prefix space.
    variant = Tokenizer.from_str(bytelevel.to_str())
    variant.normalizer = normalizers.NFC()
    variant.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                     pre_tokenizers.ByteLevel(add_prefix_space=True)])
    variant.save(os.path.join(FIXTURES, "bytelevel-variant-tokenizer.json"))
    write(os.path.join(FIXTURES, "golden", "bytelevel-variant.json"),
          golden(variant, cases, "bytelevel-variant", "Fixtures/bytelevel-variant-tokenizer.json"))

    wordpiece_path = os.path.join(FIXTURES, "wordpiece-tokenizer.json")
    if retrain or not os.path.exists(wordpiece_path):
        build_wordpiece(corpus).save(wordpiece_path)
    wordpiece = Tokenizer.from_file(wordpiece_path)
    write(os.path.join(FIXTURES, "golden", "wordpiece.json"), golden(wordpiece, cases, "wordpiece", "Fixtures/wordpiece-tokenizer.json"))

    if os.path.exists(PHI35):
        phi = Tokenizer.from_file(PHI35)
        write(os.path.join(FIXTURES, "golden", "phi35.json"), golden(phi, cases, "phi35", "../shared/fixtures/phi35-tokenizer.json"))
    else:
        print(f"skipped phi35: {PHI35} is absent", file=sys.stderr)


if __name__ == "__main__":
    main()
