/// A tokenizer file that cannot be used, or input a tokenizer cannot handle.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static func unsupported(_ component: String, _ type: String, in file: String) -> TokenizerError {
        TokenizerError("\(file): unsupported \(component) type '\(type)' (supported: \(supportedTypes[component] ?? "none"))")
    }

    static let supportedTypes: [String: String] = [
        "normalizer": "Sequence, Prepend, Replace (string pattern), NFC, NFD, NFKC, NFKD, Lowercase, Strip, BertNormalizer",
        "pre_tokenizer": "Sequence, ByteLevel (GPT-2 regex), BertPreTokenizer, Whitespace, WhitespaceSplit, Digits, Metaspace",
        "model": "BPE, WordPiece",
        "post_processor": "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence",
        "decoder": "Sequence, ByteLevel, Replace (string pattern), ByteFallback, Fuse, Strip, WordPiece, Metaspace",
    ]
}
