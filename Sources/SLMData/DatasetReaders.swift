import Foundation

/// Readers of the record formats slmflow accepts; errors name the file, the line or the
/// entry, and what was expected.
public enum DatasetReaders {
    /// JSONL with a field mapping: every non-blank line is an object; `source` and `target`
    /// name its fields (dotted paths reach into objects and lists: `answers.text.0`).
    /// The defaults read the seed's `{"source": …, "target": …}` files.
    public static func textPairs(jsonl path: String, sourceField: String = "source", targetField: String = "target") throws -> [TextPair] {
        var pairs: [TextPair] = []
        for (number, line) in try lines(path) {
            let object = try jsonObject(line, at: "\(path):\(number)")
            guard let source = lookup(object, sourceField) else {
                throw DatasetError("\(path):\(number): no string field '\(sourceField)' (the source)")
            }
            guard let target = lookup(object, targetField) else {
                throw DatasetError("\(path):\(number): no string field '\(targetField)' (the target)")
            }
            pairs.append(TextPair(source: source, target: target))
        }
        return pairs
    }

    /// SQuAD v1.1 or v2.0 JSON (`data[].paragraphs[].qas[]`). Unanswerable questions keep
    /// `isImpossible` and no answers; answer spans are checked against the context.
    public static func squad(_ path: String) throws -> [QARecord] {
        let root = try jsonObject(try readText(path), at: path)
        guard let articles = root["data"] as? [[String: Any]] else { throw DatasetError("\(path): expected a 'data' list (SQuAD JSON)") }
        var records: [QARecord] = []
        for (a, article) in articles.enumerated() {
            let title = article["title"] as? String ?? ""
            guard let paragraphs = article["paragraphs"] as? [[String: Any]] else {
                throw DatasetError("\(path): data[\(a)]: expected a 'paragraphs' list")
            }
            for (p, paragraph) in paragraphs.enumerated() {
                let place = "\(path): data[\(a)].paragraphs[\(p)]"
                guard let context = paragraph["context"] as? String, let qas = paragraph["qas"] as? [[String: Any]] else {
                    throw DatasetError("\(place): expected 'context' (a string) and 'qas' (a list)")
                }
                let scalars = Array(context.unicodeScalars)
                for (q, qa) in qas.enumerated() {
                    guard let question = qa["question"] as? String else { throw DatasetError("\(place).qas[\(q)]: no 'question'") }
                    let impossible = qa["is_impossible"] as? Bool ?? false
                    var answers: [QARecord.Answer] = []
                    for (n, answer) in ((qa["answers"] as? [[String: Any]]) ?? []).enumerated() {
                        guard let text = answer["text"] as? String, let start = answer["answer_start"] as? Int else {
                            throw DatasetError("\(place).qas[\(q)].answers[\(n)]: expected 'text' and 'answer_start'")
                        }
                        let length = text.unicodeScalars.count
                        guard start >= 0, start + length <= scalars.count,
                              String(String.UnicodeScalarView(scalars[start..<(start + length)])) == text else {
                            throw DatasetError("\(place).qas[\(q)].answers[\(n)]: '\(text)' is not the context's text at \(start)")
                        }
                        answers.append(QARecord.Answer(text: text, start: start))
                    }
                    if !impossible && answers.isEmpty { throw DatasetError("\(place).qas[\(q)]: an answerable question without answers") }
                    records.append(QARecord(id: qa["id"] as? String ?? "\(a)-\(p)-\(q)", title: title, context: context,
                                            question: question, answers: impossible ? [] : answers, isImpossible: impossible))
                }
            }
        }
        return records
    }

    /// The easy-VQA layout: `questions.json` is a list of `[question, answer, image id]`,
    /// the image of id N is `images/N.png` (not decoded here; its path is checked).
    public static func easyVQA(folder: String) throws -> [VQARecord] {
        let path = folder + "/questions.json"
        let data = try readText(path)
        guard let list = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [Any] else {
            throw DatasetError("\(path): expected a list of [question, answer, image id]")
        }
        var records: [VQARecord] = []
        for (index, entry) in list.enumerated() {
            guard let triple = entry as? [Any], triple.count == 3, let question = triple[0] as? String,
                  let answer = triple[1] as? String else {
                throw DatasetError("\(path): entry \(index): expected [question, answer, image id]")
            }
            let image: String
            if let id = triple[2] as? Int { image = String(id) } else if let id = triple[2] as? String { image = id } else {
                throw DatasetError("\(path): entry \(index): the image id must be an integer or a string")
            }
            let imagePath = folder + "/images/" + image + ".png"
            guard FileManager.default.fileExists(atPath: imagePath) else {
                throw DatasetError("\(path): entry \(index): image \(imagePath) does not exist")
            }
            records.append(VQARecord(imagePath: imagePath, question: question, answer: answer))
        }
        return records
    }

    /// Writes records as JSONL (sorted keys, one object per line).
    public static func writeJSONL<T: Encodable>(_ records: [T], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for record in records {
            data.append(try encoder.encode(record))
            data.append(0x0A)
        }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError("\(path): cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw DatasetError("\(path): not UTF-8 text") }
        return text
    }

    /// Non-blank lines with their 1-based numbers.
    static func lines(_ path: String) throws -> [(Int, String)] {
        // Split on the byte 0x0A: Swift's Character-based splitting keeps "\r\n" whole.
        try Array(readText(path).utf8).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated().compactMap { index, bytes in
            let line = String(decoding: bytes, as: UTF8.self)
            return line.allSatisfy(\.isWhitespace) ? nil : (index + 1, line)
        }
    }

    static func jsonObject(_ text: String, at place: String) throws -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw DatasetError("\(place): not valid JSON")
        }
        guard let object = value as? [String: Any] else { throw DatasetError("\(place): expected a JSON object") }
        return object
    }

    static func lookup(_ object: [String: Any], _ path: String) -> String? {
        var current: Any = object
        for part in path.split(separator: ".") {
            if let dictionary = current as? [String: Any], let next = dictionary[String(part)] {
                current = next
            } else if let list = current as? [Any], let index = Int(part), index >= 0, index < list.count {
                current = list[index]
            } else {
                return nil
            }
        }
        if let text = current as? String { return text }
        if let number = current as? NSNumber { return number.stringValue }
        return nil
    }
}
