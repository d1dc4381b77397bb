import Foundation
import SLMCore

/// Fixtures/metric_golden.json, written by scripts/golden/make_metric_golden.py from the
/// reference implementations (official SQuAD v2 script, rouge-score, NLTK, CodeXGLUE).
enum GoldenFixture {
    static let tolerance = 1e-9

    static func load() throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/metric_golden.json")
        return try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? { objectValue?[key] }

    func string(_ key: String) throws -> String {
        guard let value = self[key]?.stringValue else { throw GoldenFixture.Missing(description: "string \(key)") }
        return value
    }

    func strings(_ key: String) throws -> [String] {
        guard let items = self[key]?.arrayValue else { throw GoldenFixture.Missing(description: "array \(key)") }
        return try items.map { item in
            guard let text = item.stringValue else { throw GoldenFixture.Missing(description: "string in \(key)") }
            return text
        }
    }

    func number(_ key: String) throws -> Double {
        guard let value = self[key]?.doubleValue else { throw GoldenFixture.Missing(description: "number \(key)") }
        return value
    }

    func numbers(_ key: String) throws -> [Double] {
        guard let items = self[key]?.arrayValue else { throw GoldenFixture.Missing(description: "array \(key)") }
        return try items.map { item in
            guard let value = item.doubleValue else { throw GoldenFixture.Missing(description: "number in \(key)") }
            return value
        }
    }

    func items(_ key: String) throws -> [JSONValue] {
        guard let items = self[key]?.arrayValue else { throw GoldenFixture.Missing(description: "array \(key)") }
        return items
    }
}
