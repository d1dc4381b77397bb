/// Token strings and ids, both ways. The shape a GGUF loader fills as well
/// (`tokenizer.ggml.tokens`, in id order). Lookups compare bytes exactly.
public struct Vocabulary: Sendable {
    public private(set) var tokens: [String]
    private var table: ByteStringTable

    /// `tokens[i]` is the token of id `i`. Duplicates keep their first id.
    public init(tokens: [String]) {
        self.tokens = tokens
        table = ByteStringTable(capacity: tokens.count)
        for (id, token) in tokens.enumerated() { table.insert(token, id: Int32(id)) }
    }

    /// From tokenizer.json's `token → id` map; ids must be 0..<count without gaps.
    public init(idsByToken entries: [(String, Int)], file: String) throws {
        var tokens = [String?](repeating: nil, count: entries.count)
        var table = ByteStringTable(capacity: entries.count)
        for (token, id) in entries {
            guard id >= 0, id < entries.count else {
                throw TokenizerError("\(file): model.vocab: id \(id) of '\(token)' is outside 0..<\(entries.count)")
            }
            guard tokens[id] == nil else { throw TokenizerError("\(file): model.vocab: id \(id) is used twice") }
            tokens[id] = token
            table.insert(token, id: Int32(id))
        }
        self.tokens = tokens.map { $0 ?? "" }
        self.table = table
    }

    public var count: Int { tokens.count }
    public func id(_ token: String) -> Int32? { table.id(token) }
    /// The id of the token whose UTF-8 bytes these are.
    public func id(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Int32? { table.find(bytes) }
    public func token(_ id: Int32) -> String? { id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil }

    mutating func append(_ token: String) -> Int32 {
        let id = table.insert(token, id: Int32(tokens.count))
        if id == Int32(tokens.count) { tokens.append(token) }
        return id
    }
}
