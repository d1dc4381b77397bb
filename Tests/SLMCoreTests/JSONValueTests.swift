import Foundation
import Testing

@testable import SLMCore

@Suite struct JSONValueTests {
    @Test func canonicalTextSortsKeysAndHasNoWhitespace() {
        let value: JSONValue = ["b": 1, "a": [true, .null, 2.5, "x\"y\n"], "é": "ü"]
        #expect(value.canonicalText == #"{"a":[true,null,2.5,"x\"y\n"],"b":1,"é":"ü"}"#)
    }

    @Test func equalValuesGiveEqualText() {
        let a: JSONValue = .object(["x": 1, "y": ["z": 0.0003]])
        let b: JSONValue = .object(["y": ["z": 0.0003], "x": 1])
        #expect(a.canonicalText == b.canonicalText)
        #expect(JSONValue.int(3).canonicalText != JSONValue.double(3).canonicalText)
    }

    @Test func controlCharactersAreEscaped() {
        #expect(JSONValue.string("\u{01}\t").canonicalText == #""\u0001\t""#)
    }

    @Test func codableRoundTrip() throws {
        let value: JSONValue = ["n": 3, "lr": 0.0003, "flag": false, "list": ["a", 1], "none": .null]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }
}
