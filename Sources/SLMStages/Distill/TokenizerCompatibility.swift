import Foundation
import SLMCore

/// Whether a teacher and a student can be distilled: the same tokenizer (equal tokenizer.json
/// digests), or tokenizers whose vocabularies agree on the first V* = min(V_student, V_teacher)
/// ids, the prefix the seed's loss truncates both logit tensors to (seed-spec §5.4).
enum TokenizerCompatibility {
    /// V*, the columns the KD loss keeps, or a DistillError naming both folders.
    static func sharedVocabulary(student: String, studentVocab: Int, teacher: String, teacherVocab: Int) throws -> Int {
        let shared = min(studentVocab, teacherVocab)
        let studentPath = student + "/tokenizer.json", teacherPath = teacher + "/tokenizer.json"
        guard let s = FileManager.default.contents(atPath: studentPath) else {
            throw DistillError("the student \(student) has no tokenizer.json, so its vocabulary cannot be compared with the teacher's")
        }
        guard let t = FileManager.default.contents(atPath: teacherPath) else {
            throw DistillError("the teacher \(teacher) has no tokenizer.json, so its vocabulary cannot be compared with the student's")
        }
        if SHA256.hash(s) == SHA256.hash(t) { return shared }
        let studentTokens = try tokens(s, path: studentPath), teacherTokens = try tokens(t, path: teacherPath)
        let prefix = min(shared, studentTokens.count, teacherTokens.count)
        if let first = (0..<prefix).first(where: { studentTokens[$0] != teacherTokens[$0] }) {
            throw DistillError("teacher and student tokenizers differ: \(teacherPath) and \(studentPath) map id \(first) to "
                + "\(describe(teacherTokens[first])) and \(describe(studentTokens[first])); distillation needs the same tokenizer "
                + "or a shared vocabulary prefix")
        }
        guard prefix == shared else {
            throw DistillError("teacher and student tokenizers differ: \(teacherPath) (\(teacherTokens.count) tokens) and "
                + "\(studentPath) (\(studentTokens.count) tokens) do not cover the \(shared) ids the loss compares")
        }
        return shared
    }

    /// id → token of a tokenizer.json (`model.vocab` plus `added_tokens`); nil where no token has the id.
    static func tokens(_ data: Data, path: String) throws -> [String?] {
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: data).objectValue else {
            throw DistillError("\(path) is not a JSON object")
        }
        var byID: [Int: String] = [:]
        if let vocab = root["model"]?.objectValue?["vocab"]?.objectValue {
            for (token, id) in vocab { if let id = id.intValue { byID[Int(id)] = token } }
        } else if let pieces = root["model"]?.objectValue?["vocab"]?.arrayValue {
            // Unigram: [[piece, score], ...] in id order.
            for (id, piece) in pieces.enumerated() { byID[id] = piece.arrayValue?.first?.stringValue }
        }
        for added in root["added_tokens"]?.arrayValue ?? [] {
            if let object = added.objectValue, let id = object["id"]?.intValue, let content = object["content"]?.stringValue {
                byID[Int(id)] = content
            }
        }
        let count = (byID.keys.max() ?? -1) + 1
        return (0..<count).map { byID[$0] }
    }

    private static func describe(_ token: String?) -> String { token.map { "'\($0)'" } ?? "nothing" }
}
