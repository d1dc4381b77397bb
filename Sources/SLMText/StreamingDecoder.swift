/// Turns ids arriving one at a time into text that can be printed at once, as
/// transformers' `TextStreamer` does for a terminal.
///
/// Each id re-decodes the whole output and yields what was added since the last yield. Text
/// is held back while it ends in U+FFFD (a byte-level token that ends inside a multi-byte
/// UTF-8 character: the next token completes it) or while it no longer extends what was
/// printed (a decoder rule rewrote the end). Decoding everything again costs O(n) per id,
/// which is noise next to a decoder step.
public struct StreamingDecoder {
    public let tokenizer: Tokenizer
    public private(set) var ids: [Int32] = []
    /// The text yielded so far.
    public private(set) var printed = ""

    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// The new printable text after `id` (possibly empty).
    public mutating func push(_ id: Int32) -> String {
        ids.append(id)
        let text = tokenizer.decode(ids)
        guard !text.hasSuffix("\u{FFFD}") else { return "" }
        return advance(to: text)
    }

    /// What is left once generation is over: held-back text, U+FFFD included if the output
    /// really ends inside a character.
    public mutating func finish() -> String {
        advance(to: tokenizer.decode(ids))
    }

    /// Compared by Unicode scalars, not Characters: a combining mark extends the previous
    /// character, and the terminal still needs the mark.
    private mutating func advance(to text: String) -> String {
        guard text.unicodeScalars.starts(with: printed.unicodeScalars) else { return "" }
        var added = String.UnicodeScalarView()
        added.append(contentsOf: text.unicodeScalars.dropFirst(printed.unicodeScalars.count))
        printed = text
        return String(added)
    }
}
