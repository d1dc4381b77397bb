import Foundation
import Testing

@testable import SLMText

@Suite struct TokenizerLoadingTests {
    static let minimalBPE = """
        {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "<unk>": 3}, "merges": [MERGES], "unk_token": "<unk>"},
         "added_tokens": [], "normalizer": NORMALIZER, "pre_tokenizer": null, "decoder": null, "post_processor": null}
        """

    static func bpe(merges: String = "\"a b\"", normalizer: String = "null") -> String {
        minimalBPE.replacingOccurrences(of: "MERGES", with: merges).replacingOccurrences(of: "NORMALIZER", with: normalizer)
    }

    @Test func bothMergeFormatsLoadTheSameModel() throws {
        let strings = try Tokenizer.load(json: Self.bpe(merges: "\"a b\""))
        let pairs = try Tokenizer.load(json: Self.bpe(merges: "[\"a\", \"b\"]"))
        #expect(try strings.encode("abab") == [2, 2])
        #expect(try pairs.encode("abab") == [2, 2])
    }

    @Test func unknownCharactersFuseOnlyWhenAsked() throws {
        let tokenizer = try Tokenizer.load(json: Self.bpe())
        #expect(try tokenizer.encode("axyb") == [0, 3, 3, 1])
        let fused = try Tokenizer.load(json: Self.bpe().replacingOccurrences(of: "\"unk_token\": \"<unk>\"", with: "\"unk_token\": \"<unk>\", \"fuse_unk\": true"))
        #expect(try fused.encode("axyb") == [0, 3, 1])
    }

    @Test func withoutAnUnkTokenUnknownCharactersAreDropped() throws {
        let tokenizer = try Tokenizer.load(json: Self.bpe().replacingOccurrences(of: ", \"unk_token\": \"<unk>\"", with: ""))
        #expect(try tokenizer.encode("axyb") == [2], "the Python library gives [2]: a and b meet and merge")
    }

    @Test func unsupportedComponentsAreNamed() throws {
        let json = Self.bpe(normalizer: "{\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}")
        let error = #expect(throws: TokenizerError.self) { try Tokenizer.load(json: json, name: "t.json") }
        #expect(error?.message.contains("normalizer") == true)
        #expect(error?.message.contains("Precompiled") == true)
        #expect(error?.message.contains("t.json") == true)
    }

    @Test func mergesNamingMissingTokensAreErrors() {
        let error = #expect(throws: TokenizerError.self) { try Tokenizer.load(json: Self.bpe(merges: "\"a zz\"")) }
        #expect(error?.message.contains("merges[0]") == true)
    }

    @Test func malformedJSONNamesTheOffset() {
        let error = #expect(throws: (any Error).self) { try Tokenizer.load(json: "{\"model\": [1, 2") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("byte"))
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: JSONParseError.self) { try TokenizerJSON.parse(deep) }
        #expect(error?.expected.contains("nesting") == true)
    }

    @Test func addedTokensPreferTheLongestMatchAndStripWhitespace() throws {
        let json = """
            {"model": {"type": "BPE", "vocab": {"a": 0, " ": 1, "<unk>": 2}, "merges": [], "unk_token": "<unk>"},
             "added_tokens": [
               {"id": 3, "content": "<x>", "normalized": false, "special": true},
               {"id": 4, "content": "<x>>", "normalized": false, "special": false, "rstrip": true},
               {"id": 5, "content": "<l>", "normalized": false, "special": false, "lstrip": true}]}
            """
        let tokenizer = try Tokenizer.load(json: json)
        #expect(try tokenizer.encode("a<x>a") == [0, 3, 0])
        #expect(try tokenizer.encode("a<x>>  a") == [0, 4, 0])
        #expect(try tokenizer.encode("a  <l>a") == [0, 5, 0])
        #expect(tokenizer.decode([0, 3, 0]) == "a a")
        #expect(tokenizer.decode([0, 3, 0], skipSpecialTokens: false) == "a <x> a")
    }

    @Test func gpt2SplitterFollowsTheRegexAlternatives() {
        func pieces(_ text: String) -> [String] {
            let scalars = Array(text.unicodeScalars)
            return GPT2Splitter.split(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
        }
        #expect(pieces("Hello world") == ["Hello", " world"])
        #expect(pieces("I'm  here") == ["I", "'m", " ", " here"])
        #expect(pieces("x   \n") == ["x", "   \n"])
        #expect(pieces("a1 2!?") == ["a", "1", " 2", "!?"])
        #expect(pieces("\tfoo") == ["\t", "foo"])
    }
}
