import Foundation

extension Tokenizer {
    /// Loads a Hugging Face tokenizer.json. Components slmflow does not implement give an
    /// error naming the component and its type.
    public static func load(contentsOf path: String) throws -> Tokenizer {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError("\(path): cannot read the tokenizer file")
        }
        let json: TokenizerJSON
        do {
            json = try TokenizerJSON.parse([UInt8](data))
        } catch {
            throw TokenizerError("\(path): \(error)")
        }
        return try TokenizerJSONReader(file: path).tokenizer(json)
    }

    public static func load(json text: String, name: String = "tokenizer.json") throws -> Tokenizer {
        try TokenizerJSONReader(file: name).tokenizer(TokenizerJSON.parse(text))
    }
}

/// Reads the parts of a tokenizer.json document into the tokenizer types.
struct TokenizerJSONReader {
    let file: String

    func tokenizer(_ json: TokenizerJSON) throws -> Tokenizer {
        guard let modelJSON = json["model"], !modelJSON.isNull else { throw TokenizerError("\(file): no 'model'") }
        let model = try self.model(modelJSON)
        var added: [AddedToken] = []
        for (index, entry) in (json["added_tokens"]?.array ?? []).enumerated() {
            guard let id = entry["id"]?.int, let content = entry["content"]?.string else {
                throw TokenizerError("\(file): added_tokens[\(index)]: expected an object with 'id' and 'content'")
            }
            added.append(AddedToken(id: Int32(id), content: content, singleWord: entry["single_word"]?.bool ?? false,
                                    lstrip: entry["lstrip"]?.bool ?? false, rstrip: entry["rstrip"]?.bool ?? false,
                                    normalized: entry["normalized"]?.bool ?? true, special: entry["special"]?.bool ?? false))
        }
        let tokenIds: (String) -> Int32? = { token in
            added.first(where: { TokenKey($0.content) == TokenKey(token) })?.id ?? model.vocabulary.id(token)
        }
        return Tokenizer(
            model: model,
            normalizer: try optional(json["normalizer"], normalizer),
            preTokenizer: try optional(json["pre_tokenizer"], preTokenizer),
            postProcessor: try optional(json["post_processor"]) { try postProcessor($0, tokenIds: tokenIds) },
            decoder: try optional(json["decoder"], decoder),
            addedTokens: added)
    }

    private func optional<T>(_ value: TokenizerJSON?, _ read: (TokenizerJSON) throws -> T) throws -> T? {
        guard let value, !value.isNull else { return nil }
        return try read(value)
    }

    private func type(_ json: TokenizerJSON, _ component: String) throws -> String {
        guard let type = json["type"]?.string else { throw TokenizerError("\(file): \(component) without a 'type'") }
        return type
    }

    private func stringPattern(_ json: TokenizerJSON, _ component: String) throws -> String {
        if let pattern = json["pattern"]?["String"]?.string { return pattern }
        throw TokenizerError("\(file): unsupported \(component): only String patterns are implemented, not Regex")
    }

    func model(_ json: TokenizerJSON) throws -> TokenizerModel {
        let kind = json["type"]?.string ?? (json["merges"] != nil ? "BPE" : "WordPiece")
        guard let entries = json["vocab"]?.members else { throw TokenizerError("\(file): model.vocab: expected an object of token → id") }
        var pairs: [(String, Int)] = []
        pairs.reserveCapacity(entries.count)
        for (token, value) in entries {
            guard let id = value.int else { throw TokenizerError("\(file): model.vocab['\(token)']: expected an integer id") }
            pairs.append((token, id))
        }
        let vocabulary = try Vocabulary(idsByToken: pairs, file: file)
        switch kind {
        case "BPE":
            if let dropout = json["dropout"]?.number, dropout > 0 {
                throw TokenizerError("\(file): unsupported model option 'dropout' (\(dropout)): encoding would not be deterministic")
            }
            var options = BPEModel.Options()
            options.unkToken = json["unk_token"]?.string
            options.continuingSubwordPrefix = json["continuing_subword_prefix"]?.string
            options.endOfWordSuffix = json["end_of_word_suffix"]?.string
            options.fuseUnk = json["fuse_unk"]?.bool ?? false
            options.byteFallback = json["byte_fallback"]?.bool ?? false
            options.ignoreMerges = json["ignore_merges"]?.bool ?? false
            var merges: [(Int32, Int32)] = []
            let list = json["merges"]?.array ?? []
            merges.reserveCapacity(list.count)
            for (index, merge) in list.enumerated() {
                let pair: (Int32?, Int32?)
                var shown: String
                if var text = merge.string {
                    shown = text
                    // Split at the first space byte; look both halves up without new strings.
                    let split: (Int32?, Int32?)? = text.withUTF8 { buffer in
                        guard let space = buffer.firstIndex(of: 0x20) else { return nil }
                        return (vocabulary.id(utf8: UnsafeBufferPointer(rebasing: buffer[..<space])),
                                vocabulary.id(utf8: UnsafeBufferPointer(rebasing: buffer[(space + 1)...])))
                    }
                    guard let split else { throw TokenizerError("\(file): model.merges[\(index)]: expected 'left right', got '\(text)'") }
                    pair = split
                } else if let parts = merge.array, parts.count == 2, let left = parts[0].string, let right = parts[1].string {
                    shown = left + " " + right
                    pair = (vocabulary.id(left), vocabulary.id(right))
                } else {
                    throw TokenizerError("\(file): model.merges[\(index)]: expected a string 'a b' or a pair [a, b]")
                }
                guard let left = pair.0, let right = pair.1 else {
                    throw TokenizerError("\(file): model.merges[\(index)]: '\(shown)' uses a token missing from the vocabulary")
                }
                merges.append((left, right))
            }
            return .bpe(try BPEModel(vocabulary: vocabulary, mergeIds: merges, options: options, file: file))
        case "WordPiece":
            return .wordPiece(try WordPieceModel(
                vocabulary: vocabulary, unkToken: json["unk_token"]?.string ?? "[UNK]",
                continuingSubwordPrefix: json["continuing_subword_prefix"]?.string ?? "##",
                maxInputCharsPerWord: json["max_input_chars_per_word"]?.int ?? 100, file: file))
        default:
            throw TokenizerError.unsupported("model", kind, in: file)
        }
    }

    func normalizer(_ json: TokenizerJSON) throws -> Normalizer {
        let kind = try type(json, "normalizer")
        switch kind {
        case "Sequence": return .sequence(try (json["normalizers"]?.array ?? []).map(normalizer))
        case "Prepend": return .prepend(json["prepend"]?.string ?? "")
        case "Replace": return .replace(pattern: try stringPattern(json, "normalizer Replace"), content: json["content"]?.string ?? "")
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "Strip": return .strip(left: json["strip_left"]?.bool ?? true, right: json["strip_right"]?.bool ?? true)
        case "BertNormalizer":
            let lowercase = json["lowercase"]?.bool ?? true
            return .bert(cleanText: json["clean_text"]?.bool ?? true, handleChineseChars: json["handle_chinese_chars"]?.bool ?? true,
                         stripAccents: json["strip_accents"]?.bool ?? lowercase, lowercase: lowercase)
        default: throw TokenizerError.unsupported("normalizer", kind, in: file)
        }
    }

    func preTokenizer(_ json: TokenizerJSON) throws -> PreTokenizer {
        let kind = try type(json, "pre_tokenizer")
        switch kind {
        case "Sequence": return .sequence(try (json["pretokenizers"]?.array ?? []).map(preTokenizer))
        case "ByteLevel": return .byteLevel(addPrefixSpace: json["add_prefix_space"]?.bool ?? true, useRegex: json["use_regex"]?.bool ?? true)
        case "BertPreTokenizer": return .bert
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Digits": return .digits(individual: json["individual_digits"]?.bool ?? false)
        case "Metaspace":
            let scheme = json["prepend_scheme"]?.string ?? ((json["add_prefix_space"]?.bool ?? true) ? "always" : "never")
            guard scheme != "first" else {
                throw TokenizerError("\(file): unsupported pre_tokenizer option Metaspace prepend_scheme 'first'")
            }
            return .metaspace(replacement: json["replacement"]?.string ?? "▁", prependAlways: scheme == "always",
                              split: json["split"]?.bool ?? true)
        default: throw TokenizerError.unsupported("pre_tokenizer", kind, in: file)
        }
    }

    func postProcessor(_ json: TokenizerJSON, tokenIds: (String) -> Int32?) throws -> PostProcessor {
        let kind = try type(json, "post_processor")
        func pair(_ key: String) throws -> Int32 {
            guard let pair = json[key]?.array, pair.count == 2, let id = pair[1].int else {
                throw TokenizerError("\(file): post_processor.\(key): expected [token, id]")
            }
            return Int32(id)
        }
        switch kind {
        case "TemplateProcessing":
            guard let single = json["single"]?.array else { throw TokenizerError("\(file): post_processor.single: expected a list") }
            var prefix: [Int32] = [], suffix: [Int32] = []
            var seenSequence = false
            for piece in single {
                if piece["Sequence"] != nil { seenSequence = true; continue }
                guard let name = piece["SpecialToken"]?["id"]?.string else {
                    throw TokenizerError("\(file): post_processor.single: expected Sequence or SpecialToken pieces")
                }
                let ids: [Int32]
                if let listed = json["special_tokens"]?[name]?["ids"]?.array {
                    ids = listed.compactMap { $0.int.map(Int32.init) }
                } else if let id = tokenIds(name) {
                    ids = [id]
                } else {
                    throw TokenizerError("\(file): post_processor: special token '\(name)' has no id")
                }
                if seenSequence { suffix += ids } else { prefix += ids }
            }
            return .template(prefix: prefix, suffix: suffix)
        case "BertProcessing", "RobertaProcessing":
            return .template(prefix: [try pair("cls")], suffix: [try pair("sep")])
        case "ByteLevel": return .identity
        case "Sequence":
            return .sequence(try (json["processors"]?.array ?? []).map { try postProcessor($0, tokenIds: tokenIds) })
        default: throw TokenizerError.unsupported("post_processor", kind, in: file)
        }
    }

    func decoder(_ json: TokenizerJSON) throws -> TokenDecoder {
        let kind = try type(json, "decoder")
        switch kind {
        case "Sequence": return .sequence(try (json["decoders"]?.array ?? []).map(decoder))
        case "ByteLevel": return .byteLevel
        case "Replace": return .replace(pattern: try stringPattern(json, "decoder Replace"), content: json["content"]?.string ?? "")
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            guard let content = json["content"]?.string?.unicodeScalars.first else {
                throw TokenizerError("\(file): decoder Strip: expected a one-character 'content'")
            }
            return .strip(content: content, start: json["start"]?.int ?? 0, stop: json["stop"]?.int ?? 0)
        case "WordPiece": return .wordPiece(prefix: json["prefix"]?.string ?? "##", cleanup: json["cleanup"]?.bool ?? true)
        case "Metaspace":
            let scheme = json["prepend_scheme"]?.string ?? ((json["add_prefix_space"]?.bool ?? true) ? "always" : "never")
            return .metaspace(replacement: json["replacement"]?.string?.unicodeScalars.first ?? "▁", stripFirst: scheme != "never")
        default: throw TokenizerError.unsupported("decoder", kind, in: file)
        }
    }
}
