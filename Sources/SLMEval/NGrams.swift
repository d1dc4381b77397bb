/// Shared n-gram and longest-common-subsequence helpers for ROUGE and BLEU.
enum NGrams {
    /// Counts of the contiguous n-grams of one order (none when the sequence is shorter).
    static func counts(_ tokens: [String], order: Int) -> [ArraySlice<String>: Int] {
        var counts: [ArraySlice<String>: Int] = [:]
        guard order > 0, tokens.count >= order else { return counts }
        for start in 0...(tokens.count - order) {
            counts[tokens[start..<(start + order)], default: 0] += 1
        }
        return counts
    }
}

enum LongestCommonSubsequence {
    /// `_lcs_table`: table[i][j] is the LCS length of ref[..<i] and can[..<j].
    static func table(_ ref: [String], _ can: [String]) -> [[Int]] {
        var table = Array(repeating: Array(repeating: 0, count: can.count + 1), count: ref.count + 1)
        guard !ref.isEmpty, !can.isEmpty else { return table }
        for i in 1...ref.count {
            for j in 1...can.count {
                table[i][j] = ref[i - 1] == can[j - 1] ? table[i - 1][j - 1] + 1 : max(table[i - 1][j], table[i][j - 1])
            }
        }
        return table
    }

    /// `lcs_ind` / `_backtrack_norec`: the indices into `ref` of one LCS, chosen with the
    /// package's tie-breaking (move left only when strictly better than moving up).
    static func targetIndices(_ ref: [String], _ can: [String]) -> [Int] {
        let t = table(ref, can)
        var i = ref.count
        var j = can.count
        var indices: [Int] = []
        while i > 0, j > 0 {
            if ref[i - 1] == can[j - 1] {
                indices.append(i - 1)
                i -= 1
                j -= 1
            } else if t[i][j - 1] > t[i - 1][j] {
                j -= 1
            } else {
                i -= 1
            }
        }
        return indices.reversed()
    }
}
