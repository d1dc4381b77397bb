/// Writes a BPE tokenizer as Hugging Face tokenizer.json text (format "1.0"), which the
/// Python `tokenizers` library loads. Covers what the trainer produces: a byte-level BPE
/// with special tokens.
public enum TokenizerJSONWriter {
    public static func json(_ tokenizer: Tokenizer) throws -> String {
        guard case .bpe(let model) = tokenizer.model else {
            throw TokenizerError("writing tokenizer.json is implemented for BPE models only")
        }
        guard case .byteLevel(let addPrefixSpace, let useRegex)? = tokenizer.preTokenizer else {
            throw TokenizerError("writing tokenizer.json is implemented for byte-level BPE only")
        }
        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (index, token) in tokenizer.addedTokens.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "    {\"id\": \(token.id), \"content\": \(JSONText.quote(token.content)), \"single_word\": \(token.singleWord), "
            out += "\"lstrip\": \(token.lstrip), \"rstrip\": \(token.rstrip), \"normalized\": \(token.normalized), \"special\": \(token.special)}"
        }
        out += tokenizer.addedTokens.isEmpty ? "],\n" : "\n  ],\n"
        let byteLevel = "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(addPrefixSpace), \"trim_offsets\": true, \"use_regex\": \(useRegex)}"
        out += "  \"normalizer\": null,\n"
        out += "  \"pre_tokenizer\": \(byteLevel),\n"
        out += "  \"post_processor\": \(try postProcessor(tokenizer.postProcessor, byteLevel: byteLevel, tokenizer: tokenizer)),\n"
        out += "  \"decoder\": \(byteLevel),\n"
        out += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n"
        out += "    \"unk_token\": \(model.options.unkToken.map(JSONText.quote) ?? "null"),\n"
        out += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
        out += "    \"fuse_unk\": \(model.options.fuseUnk),\n    \"byte_fallback\": \(model.options.byteFallback),\n"
        out += "    \"ignore_merges\": \(model.options.ignoreMerges),\n    \"vocab\": {"
        for (id, token) in model.vocabulary.tokens.enumerated() {
            out += id == 0 ? "\n      " : ",\n      "
            out += "\(JSONText.quote(token)): \(id)"
        }
        out += "\n    },\n    \"merges\": ["
        for (index, (left, right)) in model.mergePairs.enumerated() {
            out += index == 0 ? "\n      " : ",\n      "
            out += "[\(JSONText.quote(model.vocabulary.token(left) ?? "")), \(JSONText.quote(model.vocabulary.token(right) ?? ""))]"
        }
        out += model.mergePairs.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return out
    }

    private static func postProcessor(_ processor: PostProcessor?, byteLevel: String, tokenizer: Tokenizer) throws -> String {
        switch processor {
        case nil: return "null"
        case .identity?: return byteLevel
        case .template(let prefix, let suffix)?:
            func special(_ id: Int32) throws -> (String, String) {
                guard let token = tokenizer.token(of: id) else { throw TokenizerError("post-processor id \(id) is not in the vocabulary") }
                return (JSONText.quote(token), "{\"id\": \(JSONText.quote(token)), \"ids\": [\(id)], \"tokens\": [\(JSONText.quote(token))]}")
            }
            var pieces: [String] = []
            var specials: [String: String] = [:]
            for id in prefix {
                let (name, entry) = try special(id)
                pieces.append("{\"SpecialToken\": {\"id\": \(name), \"type_id\": 0}}")
                specials[name] = entry
            }
            pieces.append("{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}")
            for id in suffix {
                let (name, entry) = try special(id)
                pieces.append("{\"SpecialToken\": {\"id\": \(name), \"type_id\": 0}}")
                specials[name] = entry
            }
            let single = "[" + pieces.joined(separator: ", ") + "]"
            let pair = "[" + (pieces + pieces.map { $0.replacingAll("\"A\", \"type_id\": 0", with: "\"B\", \"type_id\": 1") }).joined(separator: ", ") + "]"
            let map = specials.keys.sorted().map { "\($0): \(specials[$0] ?? "")" }.joined(separator: ", ")
            return "{\"type\": \"TemplateProcessing\", \"single\": \(single), \"pair\": \(pair), \"special_tokens\": {\(map)}}"
        case .sequence?:
            throw TokenizerError("writing a Sequence post-processor is not implemented")
        }
    }
}

extension Tokenizer {
    /// This tokenizer as tokenizer.json text (byte-level BPE only).
    public func tokenizerJSON() throws -> String { try TokenizerJSONWriter.json(self) }
}
