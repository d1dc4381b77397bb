/// How a QA record becomes a text pair. The default is the seed's prompt (seed-spec §3.1);
/// `{question}` and `{context}` are replaced, and the target is the first answer's text,
/// or `unanswerableTarget` for a question the context does not answer.
public struct QAPromptTemplate: Sendable, Equatable {
    public static let seed =
        "Answer the following question based only on the context.\n###Question\n{question}\n###Context\n{context}\n###Answer\n"
    public static let defaultUnanswerableTarget = "unanswerable"

    public var template: String
    public var unanswerableTarget: String

    public init(template: String = QAPromptTemplate.seed, unanswerableTarget: String = QAPromptTemplate.defaultUnanswerableTarget) throws {
        guard template.contains("{question}") else {
            throw DatasetError("the QA prompt template must contain {question}: \(template.debugDescription)")
        }
        self.template = template
        self.unanswerableTarget = unanswerableTarget
    }

    /// The seed's prompt for a question about a context.
    public static func qa(question: String, context: String) -> String {
        // The seed template always holds {question}, so this cannot fail.
        (try? QAPromptTemplate())?.render(question: question, context: context) ?? question
    }

    public func render(question: String, context: String) -> String {
        // One pass, so braces inside the question or context are never substituted again.
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let tail = rest[open...]
            if tail.hasPrefix("{question}") {
                out += question
                rest = tail.dropFirst("{question}".count)
            } else if tail.hasPrefix("{context}") {
                out += context
                rest = tail.dropFirst("{context}".count)
            } else {
                out += "{"
                rest = tail.dropFirst()
            }
        }
        return out + rest
    }

    public func pair(_ record: QARecord) -> TextPair {
        let target = record.isImpossible || record.answers.isEmpty ? unanswerableTarget : record.answers[0].text
        return TextPair(source: render(question: record.question, context: record.context), target: target)
    }
}
