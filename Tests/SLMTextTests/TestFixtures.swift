import Foundation
import Testing

@testable import SLMText

/// Paths of the committed fixtures and of the seed's shared tokenizer.
enum TestFixtures {
    static let folder: String = {
        let file = URL(fileURLWithPath: #filePath)
        return file.deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// ../shared/fixtures/phi35-tokenizer.json relative to the package root; nil where absent.
    static var phi35Path: String? {
        let path = packageRoot + "/../shared/fixtures/phi35-tokenizer.json"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static func path(_ name: String) -> String { folder + "/" + name }

    struct GoldenCase: Decodable {
        let text: String
        let ids: [Int32]
        let ids_no_special: [Int32]
        let decoded: String
        let decoded_keep_special: String
    }

    struct Golden: Decodable {
        let name: String
        let cases: [GoldenCase]
    }

    static func golden(_ name: String) throws -> Golden {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("golden/\(name).json")))
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    static func hardCases() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("tokenizer-hard-cases.json")))
        return try JSONDecoder().decode([String].self, from: data)
    }
}
