/// Turns ids arriving one at a time into text that can be printed at once, as
/// transformers' `TextStreamer` does for a terminal.
///
/// Each id re-decodes the whole output and yields the Unicode scalars past those already
/// yielded. Text is held back while it ends in U+FFFD (a byte token that ends inside a
/// multi-byte UTF-8 character: the next token completes it). Printed text cannot be taken
/// back, so when a decoder rule rewrites the end of the text (a byte-fallback run that turns
/// out invalid becomes one U+FFFD per byte), the stream goes on from the same scalar count
/// and may differ from the final decode there; nothing after it is lost. Re-decoding costs
/// O(n) per id, which is noise next to a decoder step.
public struct StreamingDecoder {
    public let tokenizer: Tokenizer
    public private(set) var ids: [Int32] = []
    /// How many Unicode scalars have been yielded.
    public private(set) var printedScalars = 0

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

    /// By Unicode scalars, not Characters: a combining mark extends the previous character,
    /// and the terminal still needs the mark.
    private mutating func advance(to text: String) -> String {
        var added = String.UnicodeScalarView()
        added.append(contentsOf: text.unicodeScalars.dropFirst(printedScalars))
        printedScalars += added.count
        return String(added)
    }
}
