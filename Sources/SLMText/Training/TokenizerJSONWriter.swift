/// Writes a BPE tokenizer as Hugging Face tokenizer.json text (format "1.0"), which the
/// Python `tokenizers` library loads. Covers byte-level BPEs: what the trainer produces, and
/// what a GGUF `gpt2` vocabulary gives (a Sequence of Digits and ByteLevel pre-tokenizers,
/// an optional BOS template), with their added tokens.
public enum TokenizerJSONWriter {
    public static func json(_ tokenizer: Tokenizer) throws -> String {
        guard case .bpe(let model) = tokenizer.model else {
            throw TokenizerError("writing tokenizer.json is implemented for BPE models only")
        }
        guard let preTokenizer = tokenizer.preTokenizer, let (addPrefixSpace, useRegex) = byteLevelSettings(preTokenizer) else {
            throw TokenizerError("writing tokenizer.json is implemented for byte-level BPE only")
        }
        switch tokenizer.decoder {
        case .byteLevel?: break
        default: throw TokenizerError("writing tokenizer.json is implemented for byte-level BPE only (with a ByteLevel decoder)")
        }
        guard tokenizer.normalizer == nil else {
            throw TokenizerError("writing tokenizer.json is implemented for byte-level BPE without a normalizer")
        }
        var out = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (index, token) in tokenizer.addedTokens.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "    {\"id\": \(token.id), \"content\": \(JSONText.quote(token.content)), \"single_word\": \(token.singleWord), "
            out += "\"lstrip\": \(token.lstrip), \"rstrip\": \(token.rstrip), \"normalized\": \(token.normalized), \"special\": \(token.special)}"
        }
        out += tokenizer.addedTokens.isEmpty ? "],\n" : "\n  ],\n"
        let byteLevel = try preTokenizerJSON(.byteLevel(addPrefixSpace: addPrefixSpace, useRegex: useRegex))
        out += "  \"normalizer\": null,\n"
        out += "  \"pre_tokenizer\": \(try preTokenizerJSON(preTokenizer)),\n"
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

    /// The ByteLevel step's settings: the pre-tokenizer itself, or the one step of a Sequence
    /// whose other steps are Digits (SmolLM2's front end).
    private static func byteLevelSettings(_ preTokenizer: PreTokenizer) -> (Bool, Bool)? {
        switch preTokenizer {
        case .byteLevel(let addPrefixSpace, let useRegex): return (addPrefixSpace, useRegex)
        case .sequence(let steps):
            let settings = steps.compactMap { step -> (Bool, Bool)? in
                if case .byteLevel(let addPrefixSpace, let useRegex) = step { return (addPrefixSpace, useRegex) }
                return nil
            }
            let othersAreDigits = steps.allSatisfy { step in
                switch step {
                case .byteLevel, .digits: return true
                default: return false
                }
            }
            return settings.count == 1 && othersAreDigits ? settings[0] : nil
        default: return nil
        }
    }

    private static func preTokenizerJSON(_ preTokenizer: PreTokenizer) throws -> String {
        switch preTokenizer {
        case .byteLevel(let addPrefixSpace, let useRegex):
            return "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(addPrefixSpace), \"trim_offsets\": true, \"use_regex\": \(useRegex)}"
        case .digits(let individual):
            return "{\"type\": \"Digits\", \"individual_digits\": \(individual)}"
        case .sequence(let steps):
            return "{\"type\": \"Sequence\", \"pretokenizers\": [" + (try steps.map(preTokenizerJSON)).joined(separator: ", ") + "]}"
        default:
            throw TokenizerError("writing tokenizer.json is implemented for ByteLevel and Digits pre-tokenizers only")
        }
    }

    private static func postProcessor(_ processor: PostProcessor?, byteLevel: String, tokenizer: Tokenizer) throws -> String {
        switch processor {
        case nil: return "null"
        case .identity?: return byteLevel
        case .template(let prefix, let suffix)? where prefix.isEmpty && suffix.isEmpty:
            // Nothing added: ByteLevel's post-processing (ids unchanged), as GPT-2-style tokenizer.json files have.
            return byteLevel
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
