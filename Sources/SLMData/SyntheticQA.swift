import Foundation
import SLMCore

/// A seeded generator of synthetic SQuAD-2.0-style extractive QA. Each context states
/// facts about invented entities (names built from syllables, so no real knowledge helps);
/// each question's answer is a span of its context, or, for the unanswerable share, the
/// question asks about a fact the context does not state. Filler sentences lengthen
/// contexts without adding answerable facts. Synthetic data: it measures whether a model
/// can read and copy spans, not world knowledge.
public struct SyntheticQA: Sendable {
    public var seed: UInt64
    public var factsPerContext: Int
    public var fillerSentences: Int
    public var unanswerableFraction: Double

    public init(seed: UInt64, factsPerContext: Int = 4, fillerSentences: Int = 0, unanswerableFraction: Double = 0.33) throws {
        guard factsPerContext >= 1, factsPerContext <= Self.relations.count else {
            throw DatasetError("facts per context must be in 1...\(Self.relations.count), got \(factsPerContext)")
        }
        guard fillerSentences >= 0 else { throw DatasetError("filler sentences must be ≥ 0, got \(fillerSentences)") }
        guard (0...1).contains(unanswerableFraction) else {
            throw DatasetError("the unanswerable fraction must be in 0...1, got \(unanswerableFraction)")
        }
        self.seed = seed
        self.factsPerContext = factsPerContext
        self.fillerSentences = fillerSentences
        self.unanswerableFraction = unanswerableFraction
    }

    struct Relation: Sendable {
        /// `{e}` the entity, `{v}` the value.
        let statement: String
        let question: String
        let value: @Sendable (inout SplitMix64) -> String
    }

    static let syllables = ["ka", "lo", "mi", "ren", "to", "va", "shi", "dor", "el", "qua", "zan", "bri", "mon", "tes", "ul",
                            "fa", "gor", "ny", "pel", "sar", "thu", "wen", "xi", "yor"]
    static let colors = ["amber", "crimson", "teal", "violet", "ochre", "silver", "indigo", "olive", "scarlet", "ivory"]
    static let materials = ["granite", "cedar", "glass", "copper", "basalt", "marble", "bamboo", "iron", "clay", "jade"]
    static let trades = ["weaving", "shipbuilding", "astronomy", "beekeeping", "glassblowing", "cartography", "pottery", "fishing"]

    static func name(_ rng: inout SplitMix64, syllables count: Int) -> String {
        var text = ""
        for _ in 0..<count { text += syllables[rng.below(syllables.count)] }
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    static let relations: [Relation] = [
        Relation(statement: "{e} was founded in {v}.", question: "When was {e} founded?",
                 value: { rng in String(1200 + rng.below(800)) }),
        Relation(statement: "The river that flows through {e} is called the {v}.", question: "What is the river that flows through {e} called?",
                 value: { rng in name(&rng, syllables: 2) }),
        Relation(statement: "{e} is governed by a council led by {v}.", question: "Who leads the council that governs {e}?",
                 value: { rng in name(&rng, syllables: 2) + " " + name(&rng, syllables: 3) }),
        Relation(statement: "The flag of {e} is {v}.", question: "What color is the flag of {e}?",
                 value: { rng in colors[rng.below(colors.count)] }),
        Relation(statement: "Most houses in {e} are built from {v}.", question: "What are most houses in {e} built from?",
                 value: { rng in materials[rng.below(materials.count)] }),
        Relation(statement: "About {v} people live in {e}.", question: "How many people live in {e}?",
                 value: { rng in String(2 + rng.below(98)) + "," + String(100 + rng.below(900)) }),
        Relation(statement: "{e} is known for its {v}.", question: "What is {e} known for?",
                 value: { rng in trades[rng.below(trades.count)] }),
        Relation(statement: "{e} lies {v} kilometres from the coast.", question: "How far from the coast does {e} lie?",
                 value: { rng in String(3 + rng.below(400)) }),
    ]

    static let fillers = [
        "The weather there changes quickly in spring.", "Travellers often arrive by the old northern road.",
        "Many visitors remark on the quiet streets.", "Local markets open early on most days.",
        "The surrounding hills are covered in tall grass.", "Stories about the region are told in many versions.",
        "Few records from the early years survive.", "The evenings are usually cool and clear.",
    ]

    /// `count` records, the same for the same seed and settings.
    public func generate(count: Int) -> [QARecord] {
        var rng = SplitMix64(seed: seed)
        var records: [QARecord] = []
        records.reserveCapacity(count)
        for index in 0..<count {
            let entity = Self.name(&rng, syllables: 2 + rng.below(2))
            // Choose distinct relations: the first factsPerContext are stated, one more may be asked about.
            var order = Array(Self.relations.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            var sentences: [String] = []
            var values: [Int: String] = [:]
            for relation in order.prefix(factsPerContext) {
                let value = Self.relations[relation].value(&rng)
                values[relation] = value
                sentences.append(Self.fill(Self.relations[relation].statement, entity: entity, value: value))
            }
            for _ in 0..<fillerSentences { sentences.insert(Self.fillers[rng.below(Self.fillers.count)], at: rng.below(sentences.count + 1)) }
            let context = sentences.joined(separator: " ")
            let unanswerable = factsPerContext < Self.relations.count && Double(rng.next() >> 11) / Double(1 << 53) < unanswerableFraction
            let asked = unanswerable ? order[factsPerContext] : order[rng.below(factsPerContext)]
            let question = Self.relations[asked].question.replacingOccurrences(of: "{e}", with: entity)
            var answers: [QARecord.Answer] = []
            if !unanswerable, let value = values[asked] {
                let template = Self.relations[asked].statement
                let statement = Self.fill(template, entity: entity, value: value)
                let before = template.components(separatedBy: "{v}")[0].replacingOccurrences(of: "{e}", with: entity)
                if let sentence = context.range(of: statement) {
                    let sentenceStart = context.unicodeScalars.distance(from: context.unicodeScalars.startIndex, to: sentence.lowerBound)
                    answers.append(QARecord.Answer(text: value, start: sentenceStart + before.unicodeScalars.count))
                }
            }
            records.append(QARecord(id: "synth-\(seed)-\(index)", title: entity, context: context, question: question,
                                    answers: answers, isImpossible: answers.isEmpty))
        }
        return records
    }

    static func fill(_ template: String, entity: String, value: String) -> String {
        template.replacingOccurrences(of: "{e}", with: entity).replacingOccurrences(of: "{v}", with: value)
    }
}
