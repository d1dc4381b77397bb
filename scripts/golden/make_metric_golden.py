#!/usr/bin/env python3
"""Expected scores for SLMEval's golden tests, computed by the reference implementations.

Usage (from the repository root):
    python3 -m venv /tmp/evalvenv && /tmp/evalvenv/bin/pip install rouge-score==0.1.2 nltk==3.10.4
    /tmp/evalvenv/bin/python scripts/golden/make_metric_golden.py

Writes Tests/SLMEvalTests/Fixtures/metric_golden.json: every case's inputs with the scores
the references give, which Tests/SLMEvalTests compare with SLMEval's within 1e-9.

References:
* SQuAD v2.0: the official evaluation script `evaluate-v2.0.py`
  (https://rajpurkar.github.io/SQuAD-explorer/). Its functions normalize_answer, get_tokens,
  compute_exact, compute_f1, get_raw_scores and make_eval_dict are reproduced below line
  for line (the script is not on PyPI), with the data-file plumbing replaced by a list.
* ROUGE: Google's `rouge-score` package, RougeScorer(..., use_stemmer=False).
* BLEU: NLTK's `corpus_bleu` / `sentence_bleu` with SmoothingFunction methods 0, 1, 2.
* CodeXGLUE smoothed BLEU-4: the algorithm of microsoft/CodeXGLUE
  Code-Text/code-to-text/evaluator/evaluator.py (MOSES bleu.py: splitPuncts, normalize,
  cook_refs, cook_test, score_cooked with smooth=1, bleuFromMaps). That script is not
  packaged either; `codexglue_*` below is a re-implementation of it written from its
  description, so that check is weaker than the other three (two implementations of one
  reading, not an independent reference).
"""
import collections
import json
import math
import os
import random
import re
import string
import sys
import warnings
import xml.sax.saxutils

import nltk
import rouge_score
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu
from rouge_score import rouge_scorer

warnings.filterwarnings("ignore")  # NLTK warns on zero n-gram overlaps (method0).

# --- SQuAD v2.0 official evaluation script (evaluate-v2.0.py), verbatim logic -------------

def normalize_answer(s):
  """Lower text and remove punctuation, articles and extra whitespace."""
  def remove_articles(text):
    regex = re.compile(r'\b(a|an|the)\b', re.UNICODE)
    return re.sub(regex, ' ', text)
  def white_space_fix(text):
    return ' '.join(text.split())
  def remove_punc(text):
    exclude = set(string.punctuation)
    return ''.join(ch for ch in text if ch not in exclude)
  def lower(text):
    return text.lower()
  return white_space_fix(remove_articles(remove_punc(lower(s))))

def get_tokens(s):
  if not s: return []
  return normalize_answer(s).split()

def compute_exact(a_gold, a_pred):
  return int(normalize_answer(a_gold) == normalize_answer(a_pred))

def compute_f1(a_gold, a_pred):
  gold_toks = get_tokens(a_gold)
  pred_toks = get_tokens(a_pred)
  common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
  num_same = sum(common.values())
  if len(gold_toks) == 0 or len(pred_toks) == 0:
    # If either is no-answer, then F1 is 1 if they agree, 0 otherwise
    return int(gold_toks == pred_toks)
  if num_same == 0:
    return 0
  precision = 1.0 * num_same / len(pred_toks)
  recall = 1.0 * num_same / len(gold_toks)
  f1 = (2 * precision * recall) / (precision + recall)
  return f1

def get_raw_scores(examples):
  """get_raw_scores over [(qid, answers, prediction)] instead of the dataset JSON."""
  exact_scores = {}
  f1_scores = {}
  for qid, answers, a_pred in examples:
    gold_answers = [a for a in answers if normalize_answer(a)]
    if not gold_answers:
      # For unanswerable questions, only correct answer is empty string
      gold_answers = ['']
    exact_scores[qid] = max(compute_exact(a, a_pred) for a in gold_answers)
    f1_scores[qid] = max(compute_f1(a, a_pred) for a in gold_answers)
  return exact_scores, f1_scores

def make_eval_dict(exact_scores, f1_scores, qid_list=None):
  if not qid_list:
    total = len(exact_scores)
    return collections.OrderedDict([
        ('exact', 100.0 * sum(exact_scores.values()) / total),
        ('f1', 100.0 * sum(f1_scores.values()) / total),
        ('total', total),
    ])
  else:
    total = len(qid_list)
    return collections.OrderedDict([
        ('exact', 100.0 * sum(exact_scores[k] for k in qid_list) / total),
        ('f1', 100.0 * sum(f1_scores[k] for k in qid_list) / total),
        ('total', total),
    ])

def squad_report(examples):
  """main() of the official script with na_prob_thresh 1.0 and no na-prob file."""
  exact_raw, f1_raw = get_raw_scores(examples)
  out = {'overall': make_eval_dict(exact_raw, f1_raw)}
  has_ans = [qid for qid, answers, _ in examples if bool(answers)]
  no_ans = [qid for qid, answers, _ in examples if not answers]
  if has_ans:
    out['HasAns'] = make_eval_dict(exact_raw, f1_raw, qid_list=has_ans)
  if no_ans:
    out['NoAns'] = make_eval_dict(exact_raw, f1_raw, qid_list=no_ans)
  return out

# --- CodeXGLUE smoothed BLEU-4 (see the module docstring) --------------------------------

_PAD_PUNCT = re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])')
_SPLIT_PERIOD_COMMA_AFTER = re.compile(r'([^0-9])([\.,])')
_SPLIT_PERIOD_COMMA_BEFORE = re.compile(r'([\.,])([^0-9])')
_SPLIT_DIGIT_DASH = re.compile(r'([0-9])(-)')

def codexglue_normalize(s):
  s = re.sub('<skipped>', '', s)
  s = re.sub(r'-\n', '', s)
  s = re.sub(r'\n', ' ', s)
  s = xml.sax.saxutils.unescape(s, {'&quot;': '"'})
  s = (' %s ' % s).lower()
  s = _PAD_PUNCT.sub(r' \1 ', s)
  s = _SPLIT_PERIOD_COMMA_AFTER.sub(r'\1 \2 ', s)
  s = _SPLIT_PERIOD_COMMA_BEFORE.sub(r' \1 \2', s)
  s = _SPLIT_DIGIT_DASH.sub(r'\1 \2 ', s)
  return s.split()

def codexglue_split_puncts(line):
  return ' '.join(re.findall(r"[\w]+|[^\s\w]", line))

def codexglue_ngram_counts(words, n=4):
  counts = collections.Counter()
  for k in range(1, n + 1):
    for i in range(len(words) - k + 1):
      counts[tuple(words[i:i + k])] += 1
  return counts

def codexglue_sentence_bleu(refs, candidate, n=4):
  refs = [codexglue_normalize(codexglue_split_puncts(r.strip().lower())) for r in refs]
  test = codexglue_normalize(codexglue_split_puncts(candidate.strip().lower()))
  max_ref = {}
  for ref in refs:
    for gram, count in codexglue_ngram_counts(ref, n).items():
      max_ref[gram] = max(max_ref.get(gram, 0), count)
  reflen = min(len(r) for r in refs)  # eff_ref_len == "shortest"
  guess = [max(len(test) - k + 1, 0) for k in range(1, n + 1)]
  correct = [0] * n
  for gram, count in codexglue_ngram_counts(test, n).items():
    correct[len(gram) - 1] += min(max_ref.get(gram, 0), count)
  logbleu = 0.0
  for k in range(n):
    add = 1 if k > 0 else 0
    logbleu += math.log(correct[k] + add + sys.float_info.min) - math.log(guess[k] + add + sys.float_info.min)
  logbleu /= float(n)
  brevity = min(0, 1 - float(reflen + 1) / (len(test) + 1))
  return math.exp(logbleu + brevity)

def codexglue_corpus(refs_list, predictions):
  return sum(codexglue_sentence_bleu(r, p) for r, p in zip(refs_list, predictions)) * 100.0 / len(predictions)

# --- The cases ---------------------------------------------------------------------------

def long_text(seed, words):
  rng = random.Random(seed)
  vocab = "the cat sat on a mat and dog ran to park while bird sang in tree near river".split()
  return ' '.join(rng.choice(vocab) for _ in range(words))

SQUAD_CASES = [
  # (gold answers, prediction); an empty answer list is an unanswerable question.
  (["Washington, D.C."], "Washington DC"),
  (["Washington, D.C."], "washington d c"),
  (["The Eiffel Tower"], "eiffel tower"),
  (["an apple a day"], "apple day"),
  (["theater"], "the theater"),
  (["A"], ""),
  (["the"], "a"),
  (["U.S.A."], "USA"),
  (["Café au lait"], "CAFÉ AU LAIT"),
  (["naïve approach"], "naive approach"),
  (["ΟΔΥΣΣΕΥΣ"], "οδυσσευς"),
  (["ΟΔΥΣΣΕΥΣ"], "οδυσσευσ"),
  (["İstanbul"], "istanbul"),
  (["\u212A-means"], "k means"),
  (["New\u00a0York\u2003City"], "new york city"),
  (["a\u001fb"], "a b"),
  (["\u201cquoted\u201d"], "quoted"),
  (["_the_ end"], "end"),
  (["the\u0301 end"], "\u0301 end"),
  (["\u00e9the end"], "end"),
  (["l'an 2000"], "lan 2000"),
  (["the the cat cat cat"], "cat"),
  (["cat"], "the cat cat cat cat"),
  (["red fox", "quick red fox", "the fox"], "the quick brown fox"),
  (["1,000 km", "1000 kilometres"], "1000 km"),
  ([], ""),
  ([], "   "),
  ([], "the"),
  ([], "Paris"),
  (["...", "the"], ""),
  (["...", "the"], "something"),
  (["Denver Broncos", "Denver Broncos", "Broncos"], "Denver"),
  (["\u4e2d\u6587 \u7b54\u6848"], "\u4e2d\u6587"),
  ([long_text(1, 120)], long_text(2, 150)),
]

ROUGE_CASES = [
  # (target, prediction)
  ("the cat sat on the mat", "the cat sat on the mat"),
  ("the cat sat on the mat", "the cat was on the mat"),
  ("The Cat, the HAT!", "the cat the hat"),
  ("", "something"),
  ("something", ""),
  ("", ""),
  ("!!! ...", "???"),
  ("the the the the", "the the"),
  ("a b a b a b", "b a b a"),
  ("Café crème brûlée", "cafe creme brulee"),
  ("İstanbul \u212Aelvin", "istanbul kelvin"),
  ("3.14 is pi", "3 14 is pi"),
  ("def add(x, y): return x+y", "def add(a, b): return a + b"),
  ("w", "w"),
  ("w", "v"),
  ("first sentence here.\nsecond one follows.\nthird!", "second one here.\nfirst sentence follows."),
  ("one line only", "one\nline\nonly"),
  ("windows\r\nline endings", "windows\nline endings"),
  ("\n\n", "a\n\nb"),
  ("police killed the gunman", "police kill the gunman"),
  (long_text(3, 300), long_text(4, 280)),
  (long_text(5, 40) + "\n" + long_text(6, 30), long_text(7, 35) + "\n" + long_text(8, 45)),
]

BLEU_SENTENCE_CASES = [
  # (references, hypothesis), whitespace-tokenised.
  (["the cat is on the mat"], "the cat is on the mat"),
  (["the cat is on the mat", "there is a cat on the mat"], "the the the the the the the"),
  (["It is a guide to action that ensures that the military will forever heed Party commands",
    "It is the guiding principle which guarantees the military forces always being under the command of the Party"],
   "It is a guide to action which ensures that the military always obeys the commands of the party"),
  (["a b c d e"], "a b"),
  (["a b c d e"], "a"),
  (["a b c d e"], ""),
  (["x y z"], "p q r s"),
  (["a b c", "a b c d e f g"], "a b c d e"),
  (["a b c d", "a b c d e f"], "a b c d e"),
  (["def foo ( x ) : return x + 1"], "def foo ( y ) : return y + 1"),
  (["return self . _value"], "return self . value"),
  (["ab ab ab ab ab"], "ab ab ab"),
  ([long_text(9, 60)], long_text(10, 55)),
]

BLEU_CORPUS_CASES = [
  # a list of (references, hypothesis)
  [(["the cat is on the mat"], "the cat is on the mat"), (["a b c d e"], "a b x d e")],
  [(["x y z"], "p q r s"), (["one two three four five"], "one two three four")],
  [(["a b"], ""), (["c d e f"], "c d e f g")],
  [(c[0], c[1]) for c in BLEU_SENTENCE_CASES],
]

CODEXGLUE_CASES = [
  # (references, prediction)
  (["Returns the sum of two numbers."], "Returns the sum of two numbers."),
  (["Returns the sum of two numbers."], "returns sum of 2 numbers"),
  (["Get the value of x_1."], "get value of x_1"),
  (["Parses 3.14 and 1,000 values."], "parse 3.14 and 1,000 value"),
  (["range 1-10 inclusive"], "range 1 - 10"),
  (["a &lt;b&gt; &amp; &quot;c&quot;"], "a <b> & \"c\""),
  (["Creates a new <skipped> instance"], "creates a new instance"),
  (["Closes the stream."], ""),
  ([""], "something"),
  (["Open file.", "Opens the file for reading."], "opens file"),
  (["Compute naïve Bayes über alles"], "compute naive bayes uber alles"),
  (["x"], "x"),
  (["if (a != b) { return a->next; }"], "if ( a != b ) return a -> next ;"),
  (["  leading and trailing  "], "leading and trailing"),
  ([long_text(11, 50)], long_text(12, 45)),
]

SMOOTHINGS = {"none": SmoothingFunction().method0, "epsilon0.1": SmoothingFunction().method1,
              "addOne": SmoothingFunction().method2}

def main():
  root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  out_path = os.path.join(root, "Tests", "SLMEvalTests", "Fixtures", "metric_golden.json")

  squad_items = []
  for i, (answers, prediction) in enumerate(SQUAD_CASES):
    exact, f1 = get_raw_scores([(str(i), answers, prediction)])
    squad_items.append({"answers": answers, "prediction": prediction,
                        "normalized_prediction": normalize_answer(prediction),
                        "exact": float(exact[str(i)]), "f1": float(f1[str(i)])})
  report = squad_report([(str(i), a, p) for i, (a, p) in enumerate(SQUAD_CASES)])

  scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=False)
  rouge_items = []
  for target, prediction in ROUGE_CASES:
    scores = scorer.score(target, prediction)
    rouge_items.append({"target": target, "prediction": prediction,
                        "target_tokens": rouge_score.tokenize.tokenize(target, None),
                        **{k: [v.precision, v.recall, v.fmeasure] for k, v in scores.items()}})

  bleu_sentence = []
  for refs, hyp in BLEU_SENTENCE_CASES:
    item = {"references": refs, "hypothesis": hyp}
    for name, fn in SMOOTHINGS.items():
      item[name] = float(sentence_bleu([r.split() for r in refs], hyp.split(), smoothing_function=fn))
    bleu_sentence.append(item)
  bleu_corpus = []
  for pairs in BLEU_CORPUS_CASES:
    item = {"references": [p[0] for p in pairs], "hypotheses": [p[1] for p in pairs]}
    for name, fn in SMOOTHINGS.items():
      item[name] = float(corpus_bleu([[r.split() for r in p[0]] for p in pairs], [p[1].split() for p in pairs],
                                     smoothing_function=fn))
    bleu_corpus.append(item)

  codexglue_items = [{"references": refs, "prediction": pred, "bleu": codexglue_sentence_bleu(refs, pred)}
                     for refs, pred in CODEXGLUE_CASES]
  codexglue_corpus_score = codexglue_corpus([c[0] for c in CODEXGLUE_CASES], [c[1] for c in CODEXGLUE_CASES])

  golden = {
    "generator": "scripts/golden/make_metric_golden.py",
    "versions": {"python": sys.version.split()[0], "nltk": nltk.__version__,
                 "rouge_score": getattr(rouge_score, "__version__", "0.1.2")},
    "squad_v2": {"cases": squad_items, "report": report},
    "rouge": rouge_items,
    "nltk_bleu": {"sentence": bleu_sentence, "corpus": bleu_corpus},
    "codexglue_bleu": {"cases": codexglue_items, "corpus": codexglue_corpus_score},
  }
  with open(out_path, "w", encoding="utf-8") as f:
    json.dump(golden, f, ensure_ascii=False, indent=1, sort_keys=True)
    f.write("\n")
  print("wrote", out_path)

if __name__ == "__main__":
  main()
