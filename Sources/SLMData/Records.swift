/// A text-to-text example: the seed's JSONL line `{"source": …, "target": …}`.
public struct TextPair: Codable, Equatable, Sendable {
    public var source: String
    public var target: String
    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}

/// An extractive QA example (SQuAD v1.1/v2.0): answers are spans of the context; an
/// unanswerable question (v2.0 `is_impossible`) has no answers.
public struct QARecord: Codable, Equatable, Sendable {
    public struct Answer: Codable, Equatable, Sendable {
        public var text: String
        /// Offset of the answer in the context, in Unicode scalars (Python `str` indices,
        /// SQuAD's `answer_start`).
        public var start: Int
        public init(text: String, start: Int) {
            self.text = text
            self.start = start
        }
    }

    public var id: String
    public var title: String
    public var context: String
    public var question: String
    public var answers: [Answer]
    public var isImpossible: Bool

    public init(id: String, title: String = "", context: String, question: String, answers: [Answer], isImpossible: Bool) {
        self.id = id
        self.title = title
        self.context = context
        self.question = question
        self.answers = answers
        self.isImpossible = isImpossible
    }
}

/// An image question (easy-VQA layout): the image file, the question, the answer.
public struct VQARecord: Codable, Equatable, Sendable {
    public var imagePath: String
    public var question: String
    public var answer: String
    public init(imagePath: String, question: String, answer: String) {
        self.imagePath = imagePath
        self.question = question
        self.answer = answer
    }
}

/// A dataset file that cannot be read as the format it claims to be.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
