import Foundation

/// Smoothed sentence BLEU-4 averaged over examples, as the CodeXGLUE code-to-text
/// benchmark scores it (microsoft/CodeXGLUE, `Code-Text/code-to-text/evaluator/evaluator.py`,
/// adapted there from MOSES `bleu.py`): each prediction and reference is lowercased,
/// stripped and split into words and single punctuation marks (`splitPuncts`), then
/// normalised NIST-style (`normalize`, from mteval-v11a.pl); per example, n-gram
/// precisions for n = 2…4 get add-one smoothing (Lin & Och 2004), the effective
/// reference length is the shortest reference, and the brevity penalty is
/// exp(min(0, 1 − (r+1)/(c+1))). The corpus score is the mean over examples × 100
/// (`bleuFromMaps(...)[0]`), unrounded (the evaluator prints it rounded to 2 places).
///
/// The seed repository has no BLEU; this is SLMEval's default BLEU for code-to-text.
public enum CodeXGLUEBleu {
    static let maxOrder = 4

    /// Smoothed BLEU-4 of one prediction against its references, in 0–1 (`bleu(refs,
    /// candidate)[0]` after `computeMaps`' preprocessing). Nil without references.
    public static func sentenceBLEU(references: [String], prediction: String) -> Double? {
        guard !references.isEmpty else { return nil }
        let referenceWords = references.map { normalize(splitPuncts(strip(PythonText.lower($0)))) }
        let predictionWords = normalize(splitPuncts(strip(PythonText.lower(prediction))))

        // cook_refs: for each n-gram, its maximum count in any one reference.
        var maxReferenceCounts: [ArraySlice<String>: Int] = [:]
        for words in referenceWords {
            for order in 1...maxOrder {
                for (gram, count) in NGrams.counts(words, order: order) {
                    maxReferenceCounts[gram] = max(maxReferenceCounts[gram] ?? 0, count)
                }
            }
        }
        // cook_test and score_cooked for one example.
        let referenceLength = referenceWords.map(\.count).min() ?? 0
        let testLength = predictionWords.count
        var logBLEU = 0.0
        for order in 1...maxOrder {
            var correct = 0
            for (gram, count) in NGrams.counts(predictionWords, order: order) {
                correct += min(maxReferenceCounts[gram] ?? 0, count)
            }
            let guess = max(testLength - order + 1, 0)
            let addSmooth = order > 1 ? 1.0 : 0.0
            // sys.float_info.min keeps log() finite when a count is 0.
            logBLEU += log(Double(correct) + addSmooth + Double.leastNormalMagnitude)
                - log(Double(guess) + addSmooth + Double.leastNormalMagnitude)
        }
        logBLEU /= Double(maxOrder)
        let brevityPenalty = min(0, 1 - Double(referenceLength + 1) / Double(testLength + 1))
        return exp(logBLEU + brevityPenalty)
    }

    /// `bleuFromMaps(goldMap, predictionMap)[0]`: the mean sentence score × 100. Nil when
    /// the lists are empty, differ in length, or an example has no references.
    public static func corpusScore(references: [[String]], predictions: [String]) -> Double? {
        guard !predictions.isEmpty, references.count == predictions.count else { return nil }
        var total = 0.0
        for (refs, prediction) in zip(references, predictions) {
            guard let score = sentenceBLEU(references: refs, prediction: prediction) else { return nil }
            total += score
        }
        return total * 100.0 / Double(predictions.count)
    }

    /// `str.strip()`: Python whitespace removed from both ends.
    static func strip(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !PythonText.isSpace($0) }),
              let last = scalars.lastIndex(where: { !PythonText.isSpace($0) }) else { return "" }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[first...last])
        return String(out)
    }

    /// `splitPuncts`: `' '.join(re.findall(r"[\w]+|[^\s\w]", line))`: runs of word
    /// characters and single other non-space characters, joined by spaces.
    static func splitPuncts(_ line: String) -> String {
        var pieces: [String] = []
        var word = String.UnicodeScalarView()
        for scalar in line.unicodeScalars {
            if PythonText.isWordCharacter(scalar) {
                word.append(scalar)
                continue
            }
            if !word.isEmpty { pieces.append(String(word)); word = String.UnicodeScalarView() }
            if !PythonText.isSpace(scalar) { pieces.append(String(scalar)) }
        }
        if !word.isEmpty { pieces.append(String(word)) }
        return pieces.joined(separator: " ")
    }

    /// `normalize` (NIST mteval-v11a.pl as lifted into `bleu.py`, preserve_case False).
    static func normalize(_ text: String) -> [String] {
        var s = replaceScalars(text, "<skipped>", with: "")
        s = replaceScalars(s, "-\n", with: "")
        s = replaceScalars(s, "\n", with: " ")
        // xml.sax.saxutils.unescape(s, {'&quot;': '"'}): &lt; &gt;, the extra entity, &amp; last.
        s = replaceScalars(s, "&lt;", with: "<")
        s = replaceScalars(s, "&gt;", with: ">")
        s = replaceScalars(s, "&quot;", with: "\"")
        s = replaceScalars(s, "&amp;", with: "&")
        s = PythonText.lower(" " + s + " ")
        // r'([\{-\~\[-\` -\&\(-\+\:-\@\/])' → r' \1 ': pad ASCII punctuation except ' , - .
        var padded = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            if isPaddedPunctuation(scalar) {
                padded.append(" ")
                padded.append(scalar)
                padded.append(" ")
            } else {
                padded.append(scalar)
            }
        }
        var scalars = Array(padded)
        let isDigit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
        let isPeriodOrComma: (Unicode.Scalar) -> Bool = { $0 == "." || $0 == "," }
        // r'([^0-9])([\.,])' → r'\1 \2 '
        scalars = substitutePairs(scalars, first: { !isDigit($0) }, second: isPeriodOrComma) { a, b in [a, " ", b, " "] }
        // r'([\.,])([^0-9])' → r' \1 \2'
        scalars = substitutePairs(scalars, first: isPeriodOrComma, second: { !isDigit($0) }) { a, b in [" ", a, " ", b] }
        // r'([0-9])(-)' → r'\1 \2 '
        scalars = substitutePairs(scalars, first: isDigit, second: { $0 == "-" }) { a, b in [a, " ", b, " "] }
        var joined = String.UnicodeScalarView()
        joined.append(contentsOf: scalars)
        return PythonText.split(String(joined))
    }

    /// The character class `[\{-\~\[-\` -\&\(-\+\:-\@\/]`.
    private static func isPaddedPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    /// `re.sub` of a two-character pattern: scan left to right, replace each match and
    /// resume after it (matches do not overlap), as Python's regex engine does.
    private static func substitutePairs(
        _ scalars: [Unicode.Scalar], first: (Unicode.Scalar) -> Bool, second: (Unicode.Scalar) -> Bool,
        replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]
    ) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count {
            if index + 1 < scalars.count, first(scalars[index]), second(scalars[index + 1]) {
                out.append(contentsOf: replacement(scalars[index], scalars[index + 1]))
                index += 2
            } else {
                out.append(scalars[index])
                index += 1
            }
        }
        return out
    }

    /// `str.replace` on code points (Foundation's replacement compares grapheme-aware).
    private static func replaceScalars(_ text: String, _ target: String, with replacement: String) -> String {
        let source = Array(text.unicodeScalars)
        let pattern = Array(target.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < source.count {
            if index + pattern.count <= source.count, Array(source[index..<(index + pattern.count)]) == pattern {
                out.append(contentsOf: replacement.unicodeScalars)
                index += pattern.count
            } else {
                out.append(source[index])
                index += 1
            }
        }
        return String(out)
    }
}
