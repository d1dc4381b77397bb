/// ROUGE-N, ROUGE-L and ROUGE-Lsum as Google's `rouge-score` package (0.1.2,
/// `rouge_score/rouge_scorer.py`) computes them with `RougeScorer(types, use_stemmer=False)`
/// and its `DefaultTokenizer`. The seed repository has no metric code and the paper does
/// not say whether it stemmed, so SLMEval follows the package default: no stemming.
///
/// Argument order follows the package: `target` is the reference, `prediction` the model
/// output; precision is measured against the prediction, recall against the target.
public enum Rouge {
    /// Precision, recall and their harmonic mean (`scoring.Score`), each in 0–1.
    public struct Score: Sendable, Hashable {
        public var precision: Double
        public var recall: Double
        public var fmeasure: Double

        static let zero = Score(precision: 0, recall: 0, fmeasure: 0)

        /// `scoring.fmeasure`: 0 when both are 0.
        init(precision: Double, recall: Double) {
            self.precision = precision
            self.recall = recall
            self.fmeasure = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        }

        init(precision: Double, recall: Double, fmeasure: Double) {
            self.precision = precision
            self.recall = recall
            self.fmeasure = fmeasure
        }
    }

    /// `tokenize.tokenize(text, stemmer=None)`: lowercase (Python `str.lower`), replace each
    /// run of characters outside `[a-z0-9]` by a space, split; so tokens are the maximal
    /// runs of ASCII lowercase letters and digits. Non-ASCII letters separate tokens.
    public static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in PythonText.lower(text).unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// ROUGE-N (`_create_ngrams` + `_score_ngrams`): clipped n-gram overlap; precision
    /// and recall divide by max(count, 1), so an empty side scores 0.
    public static func rougeN(target: String, prediction: String, n: Int) -> Score {
        rougeN(targetTokens: tokenize(target), predictionTokens: tokenize(prediction), n: n)
    }

    static func rougeN(targetTokens: [String], predictionTokens: [String], n: Int) -> Score {
        guard n > 0 else { return .zero }
        let targetCounts = NGrams.counts(targetTokens, order: n)
        let predictionCounts = NGrams.counts(predictionTokens, order: n)
        var overlap = 0
        for (gram, count) in targetCounts { overlap += min(count, predictionCounts[gram] ?? 0) }
        let targetTotal = targetCounts.values.reduce(0, +)
        let predictionTotal = predictionCounts.values.reduce(0, +)
        return Score(
            precision: Double(overlap) / Double(max(predictionTotal, 1)),
            recall: Double(overlap) / Double(max(targetTotal, 1)))
    }

    /// ROUGE-L (`_score_lcs`): longest common subsequence of the two token sequences.
    public static func rougeL(target: String, prediction: String) -> Score {
        rougeL(targetTokens: tokenize(target), predictionTokens: tokenize(prediction))
    }

    static func rougeL(targetTokens: [String], predictionTokens: [String]) -> Score {
        guard !targetTokens.isEmpty, !predictionTokens.isEmpty else { return .zero }
        let table = LongestCommonSubsequence.table(targetTokens, predictionTokens)
        let length = Double(table[targetTokens.count][predictionTokens.count])
        return Score(precision: length / Double(predictionTokens.count), recall: length / Double(targetTokens.count))
    }

    /// ROUGE-Lsum (`_summary_level_lcs`, ROUGE paper §3.2 as in ROUGE-1.5.5): sentences are
    /// the non-empty lines (`split("\n")`); each target sentence contributes the union of
    /// its LCS positions against every prediction sentence, counted at most as often as the
    /// token occurs on either side.
    public static func rougeLsum(target: String, prediction: String) -> Score {
        func sentences(_ text: String) -> [[String]] {
            PythonText.split(text, onScalar: "\n").filter { !$0.isEmpty }.map(tokenize)
        }
        let targetSentences = sentences(target)
        let predictionSentences = sentences(prediction)
        guard !targetSentences.isEmpty, !predictionSentences.isEmpty else { return .zero }
        let targetLength = targetSentences.reduce(0) { $0 + $1.count }
        let predictionLength = predictionSentences.reduce(0) { $0 + $1.count }
        guard targetLength > 0, predictionLength > 0 else { return .zero }

        var targetRemaining: [String: Int] = [:]
        for sentence in targetSentences { for token in sentence { targetRemaining[token, default: 0] += 1 } }
        var predictionRemaining: [String: Int] = [:]
        for sentence in predictionSentences { for token in sentence { predictionRemaining[token, default: 0] += 1 } }

        var hits = 0
        for sentence in targetSentences {
            var union = Set<Int>()
            for candidate in predictionSentences {
                union.formUnion(LongestCommonSubsequence.targetIndices(sentence, candidate))
            }
            for index in union.sorted() {
                let token = sentence[index]
                if (predictionRemaining[token] ?? 0) > 0, (targetRemaining[token] ?? 0) > 0 {
                    hits += 1
                    predictionRemaining[token, default: 0] -= 1
                    targetRemaining[token, default: 0] -= 1
                }
            }
        }
        return Score(precision: Double(hits) / Double(predictionLength), recall: Double(hits) / Double(targetLength))
    }

    /// The four scores the evaluate stage reports for one example.
    public struct Scores: Sendable, Hashable {
        public var rouge1: Score
        public var rouge2: Score
        public var rougeL: Score
        public var rougeLsum: Score
    }

    public static func scores(target: String, prediction: String) -> Scores {
        let targetTokens = tokenize(target)
        let predictionTokens = tokenize(prediction)
        return Scores(
            rouge1: rougeN(targetTokens: targetTokens, predictionTokens: predictionTokens, n: 1),
            rouge2: rougeN(targetTokens: targetTokens, predictionTokens: predictionTokens, n: 2),
            rougeL: rougeL(targetTokens: targetTokens, predictionTokens: predictionTokens),
            rougeLsum: rougeLsum(target: target, prediction: prediction))
    }

    /// Corpus figures: the arithmetic mean of the per-example F-measures (what
    /// `rouge-score`'s BootstrapAggregator reports as its point estimate before
    /// resampling; SLMEval does not resample). Nil when the lists are empty or differ in length.
    public struct MeanFMeasures: Sendable, Hashable {
        public var rouge1: Double
        public var rouge2: Double
        public var rougeL: Double
        public var rougeLsum: Double
        public var count: Int
    }

    public static func meanFMeasures(targets: [String], predictions: [String]) -> MeanFMeasures? {
        guard !targets.isEmpty, targets.count == predictions.count else { return nil }
        var sums = (0.0, 0.0, 0.0, 0.0)
        for (target, prediction) in zip(targets, predictions) {
            let s = scores(target: target, prediction: prediction)
            sums.0 += s.rouge1.fmeasure
            sums.1 += s.rouge2.fmeasure
            sums.2 += s.rougeL.fmeasure
            sums.3 += s.rougeLsum.fmeasure
        }
        let n = Double(targets.count)
        return MeanFMeasures(rouge1: sums.0 / n, rouge2: sums.1 / n, rougeL: sums.2 / n, rougeLsum: sums.3 / n, count: targets.count)
    }
}
