import Foundation
import SLMCore
import SLMFormats
import SLMText

/// Tokenizers carried in GGUF metadata (`tokenizer.ggml.*`, gpt2 and llama models): read
/// from a GGUF file, or from the zoo's `gguf-metadata` tokenizer blob (the same keys as
/// canonical JSON), into `VocabularyParts` and so into the `Tokenizer` types a
/// tokenizer.json gives. Errors name the file and the key.
public enum GGUFTokenizer {
    /// The tokenizer of a GGUF file.
    public static func load(ggufPath path: String) throws -> Tokenizer {
        let file = try GGUFFile(path: path)
        var metadata: [String: JSONValue] = [:]
        for (key, value) in file.metadata where key.hasPrefix("tokenizer.ggml.") { metadata[key] = GGUFImporter.json(value) }
        return try Tokenizer(parts: parts(metadata, source: path), source: path)
    }

    /// The tokenizer of a zoo `gguf-metadata` blob (a JSON object of the `tokenizer.*` keys).
    public static func load(metadataJSON bytes: [UInt8], source: String) throws -> Tokenizer {
        guard let object = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)).objectValue else {
            throw TokenizerError("\(source): not a JSON object of tokenizer.ggml.* keys")
        }
        return try Tokenizer(parts: parts(object, source: source), source: source)
    }

    /// A zoo `gguf-metadata` blob as Hugging Face tokenizer.json text, for model folders and
    /// the Python `tokenizers` library. Byte-level BPEs (`gpt2`) only; others are a
    /// TokenizerError naming the model.
    public static func tokenizerJSON(metadataJSON bytes: [UInt8], source: String) throws -> String {
        let tokenizer = try load(metadataJSON: bytes, source: source)
        do { return try tokenizer.tokenizerJSON() } catch let error as TokenizerError {
            throw TokenizerError("\(source): \(error.message)")
        }
    }

    /// The parts from `tokenizer.ggml.*` values; `source` names the file in errors.
    public static func parts(_ metadata: [String: JSONValue], source: String) throws -> VocabularyParts {
        func strings(_ key: String, required: Bool = false) throws -> [String] {
            guard let value = metadata[key] else {
                if required { throw TokenizerError("\(source): no \(key) (is this a GGUF with a tokenizer?)") }
                return []
            }
            guard let items = value.arrayValue else { throw TokenizerError("\(source): \(key) is not an array") }
            return try items.enumerated().map { index, item in
                guard let text = item.stringValue else { throw TokenizerError("\(source): \(key)[\(index)] is not a string") }
                return text
            }
        }
        func numbers(_ key: String) throws -> [Double] {
            guard let value = metadata[key] else { return [] }
            guard let items = value.arrayValue else { throw TokenizerError("\(source): \(key) is not an array") }
            return try items.enumerated().map { index, item in
                guard let number = item.doubleValue else { throw TokenizerError("\(source): \(key)[\(index)] is not a number") }
                return number
            }
        }
        func id(_ key: String, count: Int) throws -> Int32? {
            guard let value = metadata[key] else { return nil }
            guard let number = value.intValue, number >= 0, number < count else {
                throw TokenizerError("\(source): \(key) is not a token id below \(count)")
            }
            return Int32(number)
        }
        guard let model = metadata["tokenizer.ggml.model"]?.stringValue else {
            throw TokenizerError("\(source): no tokenizer.ggml.model string (is this a GGUF with a tokenizer?)")
        }
        let tokens = try strings("tokenizer.ggml.tokens", required: true)
        let types = try numbers("tokenizer.ggml.token_type")
        guard types.allSatisfy({ $0 >= 0 && $0 <= 6 && $0 == $0.rounded() }) else {
            throw TokenizerError("\(source): tokenizer.ggml.token_type holds values outside 0...6")
        }
        var addBos = model == "llama"  // llama.cpp's default for SentencePiece vocabularies
        if let value = metadata["tokenizer.ggml.add_bos_token"] {
            guard let flag = value.boolValue else { throw TokenizerError("\(source): tokenizer.ggml.add_bos_token is not a boolean") }
            addBos = flag
        }
        var pre: String?
        if let value = metadata["tokenizer.ggml.pre"] {
            guard let name = value.stringValue else { throw TokenizerError("\(source): tokenizer.ggml.pre is not a string") }
            pre = name
        }
        return VocabularyParts(
            model: model, tokens: tokens, scores: try numbers("tokenizer.ggml.scores").map { Float($0) },
            tokenTypes: types.map { Int32($0) }, merges: try strings("tokenizer.ggml.merges"),
            bosId: try id("tokenizer.ggml.bos_token_id", count: tokens.count), eosId: try id("tokenizer.ggml.eos_token_id", count: tokens.count),
            unknownId: try id("tokenizer.ggml.unknown_token_id", count: tokens.count), addBos: addBos, preTokenizerName: model == "gpt2" ? pre : nil)
    }
}
