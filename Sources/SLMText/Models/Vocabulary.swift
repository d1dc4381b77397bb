/// Token strings and ids, both ways. The shape a GGUF loader fills as well
/// (`tokenizer.ggml.tokens`, in id order).
public struct Vocabulary: Sendable {
    public private(set) var tokens: [String]
    private var ids: [TokenKey: Int32]

    /// `tokens[i]` is the token of id `i`. Duplicates keep their first id.
    public init(tokens: [String]) {
        self.tokens = tokens
        var ids: [TokenKey: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where ids[TokenKey(token)] == nil { ids[TokenKey(token)] = Int32(id) }
        self.ids = ids
    }

    /// From tokenizer.json's `token → id` map; ids must be 0..<count without gaps.
    public init(idsByToken entries: [(String, Int)], file: String) throws {
        var tokens = [String?](repeating: nil, count: entries.count)
        var ids: [TokenKey: Int32] = [:]
        ids.reserveCapacity(entries.count)
        for (token, id) in entries {
            guard id >= 0, id < entries.count else {
                throw TokenizerError("\(file): model.vocab: id \(id) of '\(token)' is outside 0..<\(entries.count)")
            }
            guard tokens[id] == nil else { throw TokenizerError("\(file): model.vocab: id \(id) is used twice") }
            tokens[id] = token
            ids[TokenKey(token)] = Int32(id)
        }
        self.tokens = tokens.map { $0 ?? "" }
        self.ids = ids
    }

    public var count: Int { tokens.count }
    public func id(_ token: String) -> Int32? { ids[TokenKey(token)] }
    public func token(_ id: Int32) -> String? { id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil }

    mutating func append(_ token: String) -> Int32 {
        if let id = ids[TokenKey(token)] { return id }
        let id = Int32(tokens.count)
        tokens.append(token)
        ids[TokenKey(token)] = id
        return id
    }
}
