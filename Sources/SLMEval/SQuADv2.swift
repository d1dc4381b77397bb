/// SQuAD v2.0 exact match and F1, following the official evaluation script
/// `evaluate-v2.0.py` (https://rajpurkar.github.io/SQuAD-explorer/, "Official evaluation
/// script for v2.0"): `normalize_answer`, `get_tokens`, `compute_exact`, `compute_f1`,
/// `get_raw_scores` and `make_eval_dict`, with the default no-answer threshold (1.0, no
/// probability file), under which the raw scores are the final ones.
public enum SQuADv2 {
    /// `normalize_answer`: lowercase, remove ASCII punctuation (`string.punctuation`),
    /// remove the articles a/an/the as whole words (`\b(a|an|the)\b` → " "), then collapse
    /// whitespace (`' '.join(text.split())`).
    public static func normalizeAnswer(_ text: String) -> String {
        var withoutPunctuation = String.UnicodeScalarView()
        for scalar in PythonText.lower(text).unicodeScalars where !PythonText.isASCIIPunctuation(scalar) {
            withoutPunctuation.append(scalar)
        }
        return PythonText.split(removeArticles(String(withoutPunctuation))).joined(separator: " ")
    }

    /// `re.sub(r'\b(a|an|the)\b', ' ', text)`. Since a, n, t, h, e are word characters, a
    /// match is exactly a maximal run of word characters spelling one of the articles.
    private static func removeArticles(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var word = String.UnicodeScalarView()
        func flushWord() {
            let spelled = String(word)
            if spelled == "a" || spelled == "an" || spelled == "the" { out.append(" ") } else { out.append(contentsOf: word) }
            word = String.UnicodeScalarView()
        }
        for scalar in text.unicodeScalars {
            if PythonText.isWordCharacter(scalar) {
                word.append(scalar)
            } else {
                flushWord()
                out.append(scalar)
            }
        }
        flushWord()
        return String(out)
    }

    /// `get_tokens`: the normalised answer split on whitespace.
    public static func tokens(_ text: String) -> [String] {
        PythonText.split(normalizeAnswer(text))
    }

    /// `compute_exact`: 1 when the normalised strings are equal, else 0.
    public static func exactMatch(gold: String, prediction: String) -> Double {
        normalizeAnswer(gold) == normalizeAnswer(prediction) ? 1 : 0
    }

    /// `compute_f1`: token-level F1 over the multiset intersection. When either side has no
    /// tokens (a no-answer), F1 is 1 if both are empty and 0 otherwise.
    public static func f1(gold: String, prediction: String) -> Double {
        let goldTokens = tokens(gold)
        let predictionTokens = tokens(prediction)
        if goldTokens.isEmpty || predictionTokens.isEmpty {
            return goldTokens == predictionTokens ? 1 : 0
        }
        var goldCounts: [String: Int] = [:]
        for token in goldTokens { goldCounts[token, default: 0] += 1 }
        var predictionCounts: [String: Int] = [:]
        for token in predictionTokens { predictionCounts[token, default: 0] += 1 }
        var shared = 0
        for (token, count) in predictionCounts { shared += min(count, goldCounts[token] ?? 0) }
        if shared == 0 { return 0 }
        let precision = Double(shared) / Double(predictionTokens.count)
        let recall = Double(shared) / Double(goldTokens.count)
        return (2 * precision * recall) / (precision + recall)
    }

    /// One question: its id, the gold answer texts (empty for an unanswerable question)
    /// and the model's answer (empty string = "no answer").
    public struct Example: Sendable, Hashable {
        public var id: String
        public var goldAnswers: [String]
        public var prediction: String
        public init(id: String, goldAnswers: [String], prediction: String) {
            self.id = id
            self.goldAnswers = goldAnswers
            self.prediction = prediction
        }

        /// `get_raw_scores`: gold answers that normalise to nothing are dropped; a question
        /// left without any is unanswerable and its only correct answer is "".
        public var effectiveGoldAnswers: [String] {
            let kept = goldAnswers.filter { !normalizeAnswer($0).isEmpty }
            return kept.isEmpty ? [""] : kept
        }

        /// `has_ans`: the question has at least one gold answer (the official script tests
        /// the raw answer list, before normalisation).
        public var hasAnswer: Bool { !goldAnswers.isEmpty }
    }

    /// The score of one question: the maximum over its gold answers.
    public struct QuestionScore: Sendable, Hashable {
        public var exact: Double
        public var f1: Double
    }

    public static func score(_ example: Example) -> QuestionScore {
        let golds = example.effectiveGoldAnswers
        return QuestionScore(
            exact: golds.map { exactMatch(gold: $0, prediction: example.prediction) }.max() ?? 0,
            f1: golds.map { f1(gold: $0, prediction: example.prediction) }.max() ?? 0)
    }

    /// `make_eval_dict`: means in percent (0–100, as the official script prints them).
    public struct Summary: Sendable, Hashable {
        public var exact: Double
        public var f1: Double
        public var total: Int
    }

    /// The official report: overall, and the HasAns / NoAns breakdowns when that subset
    /// is non-empty (the script omits an empty one).
    public struct Report: Sendable, Hashable {
        public var overall: Summary
        public var hasAnswer: Summary?
        public var noAnswer: Summary?
    }

    /// Scores every example. An empty list has no defined score and gives nil.
    public static func evaluate(_ examples: [Example]) -> Report? {
        let scored = examples.map { (hasAnswer: $0.hasAnswer, score: score($0)) }
        func summary(_ subset: [(hasAnswer: Bool, score: QuestionScore)]) -> Summary? {
            guard !subset.isEmpty else { return nil }
            let total = Double(subset.count)
            return Summary(
                exact: 100.0 * subset.reduce(0) { $0 + $1.score.exact } / total,
                f1: 100.0 * subset.reduce(0) { $0 + $1.score.f1 } / total,
                total: subset.count)
        }
        guard let overall = summary(scored) else { return nil }
        return Report(
            overall: overall,
            hasAnswer: summary(scored.filter { $0.hasAnswer }),
            noAnswer: summary(scored.filter { !$0.hasAnswer }))
    }
}
