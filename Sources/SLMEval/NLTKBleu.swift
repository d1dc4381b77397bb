import Foundation

/// BLEU as NLTK 3.9/3.10 computes it (`nltk/translate/bleu_score.py`: `corpus_bleu`,
/// `sentence_bleu`, `modified_precision`, `closest_ref_length`, `brevity_penalty` and the
/// Chen & Cherry 2014 `SmoothingFunction` methods 0–2), on pre-tokenised input. Scores are
/// in 0–1. The seed repository computes no BLEU; SLMEval's default for code-to-text is
/// `CodeXGLUEBleu` (the CodeXGLUE benchmark's smoothed BLEU-4), and this one is offered
/// for corpus-level figures comparable to NLTK-based papers.
public enum NLTKBleu {
    public enum Smoothing: Sendable, Hashable {
        /// `method0`: a zero precision becomes `sys.float_info.min`, so BLEU is ~0.
        case none
        /// `method1`: a zero numerator becomes `epsilon` (NLTK's default 0.1).
        case addEpsilon(Double)
        /// `method2` (Lin & Och 2004): add 1 to numerator and denominator for n > 1.
        case addOne

        public static let nltkDefaultEpsilon = addEpsilon(0.1)
    }

    /// `str.split()`: the tokenisation assumed when callers have plain strings.
    public static func whitespaceTokens(_ text: String) -> [String] { PythonText.split(text) }

    /// `corpus_bleu(list_of_references, hypotheses, weights=(0.25,)*4)`: clipped n-gram
    /// counts and lengths are summed over the corpus before dividing (micro-average).
    /// Nil when the lists are empty or differ in length, or an example has no references
    /// (NLTK raises in each case).
    public static func corpusBLEU(
        references: [[[String]]], hypotheses: [[String]], maxOrder: Int = 4, smoothing: Smoothing = .none
    ) -> Double? {
        guard references.count == hypotheses.count, !hypotheses.isEmpty, maxOrder > 0 else { return nil }
        var numerators = Array(repeating: 0, count: maxOrder)
        var denominators = Array(repeating: 0, count: maxOrder)
        var hypothesisLength = 0
        var referenceLength = 0
        for (refs, hypothesis) in zip(references, hypotheses) {
            guard let closest = closestReferenceLength(refs, hypothesisLength: hypothesis.count) else { return nil }
            for order in 1...maxOrder {
                let (numerator, denominator) = modifiedPrecision(refs, hypothesis, order: order)
                numerators[order - 1] += numerator
                denominators[order - 1] += denominator
            }
            hypothesisLength += hypothesis.count
            referenceLength += closest
        }
        let penalty = brevityPenalty(referenceLength: referenceLength, hypothesisLength: hypothesisLength)
        if numerators[0] == 0 { return 0 }
        let weight = 1.0 / Double(maxOrder)
        var logSum = 0.0
        for index in 0..<maxOrder {
            let precision = smoothed(numerators[index], denominators[index], index: index, smoothing)
            if precision > 0 { logSum += weight * log(precision) }
        }
        return penalty * exp(logSum)
    }

    /// `sentence_bleu(references, hypothesis)` = `corpus_bleu([references], [hypothesis])`.
    public static func sentenceBLEU(
        references: [[String]], hypothesis: [String], maxOrder: Int = 4, smoothing: Smoothing = .none
    ) -> Double? {
        corpusBLEU(references: [references], hypotheses: [hypothesis], maxOrder: maxOrder, smoothing: smoothing)
    }

    private static func smoothed(_ numerator: Int, _ denominator: Int, index: Int, _ smoothing: Smoothing) -> Double {
        switch smoothing {
        case .none:
            return numerator == 0 ? Double.leastNormalMagnitude : Double(numerator) / Double(denominator)
        case .addEpsilon(let epsilon):
            return numerator == 0 ? (Double(numerator) + epsilon) / Double(denominator) : Double(numerator) / Double(denominator)
        case .addOne:
            return index == 0 ? Double(numerator) / Double(denominator) : Double(numerator + 1) / Double(denominator + 1)
        }
    }

    /// `modified_precision`: hypothesis n-gram counts clipped by their maximum count in any
    /// one reference; the denominator is at least 1.
    static func modifiedPrecision(_ references: [[String]], _ hypothesis: [String], order: Int) -> (Int, Int) {
        let counts = NGrams.counts(hypothesis, order: order)
        let referenceCounts = references.map { NGrams.counts($0, order: order) }
        var numerator = 0
        for (gram, count) in counts {
            let maxReference = referenceCounts.map { $0[gram] ?? 0 }.max() ?? 0
            numerator += min(count, maxReference)
        }
        return (numerator, max(1, counts.values.reduce(0, +)))
    }

    /// `closest_ref_length`: the reference length nearest the hypothesis, the shorter on a tie.
    static func closestReferenceLength(_ references: [[String]], hypothesisLength: Int) -> Int? {
        references.map(\.count).min { a, b in
            (abs(a - hypothesisLength), a) < (abs(b - hypothesisLength), b)
        }
    }

    /// `brevity_penalty`: 1 when longer than the reference, 0 when empty, else exp(1 − r/c).
    static func brevityPenalty(referenceLength: Int, hypothesisLength: Int) -> Double {
        if hypothesisLength > referenceLength { return 1 }
        if hypothesisLength == 0 { return 0 }
        return exp(1 - Double(referenceLength) / Double(hypothesisLength))
    }
}
