/// The model a train stage builds (`architecture`).
enum TrainArchitecture: String, CaseIterable {
    case mu, decoder, llama
}

/// What a train stage's loss predicts from what (`objective`).
enum TrainObjective: String, CaseIterable {
    /// Mu on encoder–decoder shards: the target from the source.
    case seq2seq
    /// Decoder-only or Llama on decoder-only shards: each next id the shards' mask marks.
    case causalLM = "causal-lm"
    /// Mu on decoder-only shards: each sequence cut in two, the encoder reading the first part
    /// and the decoder writing the rest, the loss on every id it writes (T5's prefix LM), so
    /// an encoder–decoder learns from every id of a text as a language model does.
    case prefixLM = "prefix-lm"

    /// The objective a stage's parameters name, or the one its architecture trains with
    /// when they name none (nil for a name that is no objective: validation reports it).
    static func of(_ p: StageParameters, architecture: TrainArchitecture) -> TrainObjective? {
        guard p.isSet("objective") else { return architecture == .mu ? .seq2seq : .causalLM }
        return TrainObjective(rawValue: p.string("objective", ""))
    }

    func fits(_ architecture: TrainArchitecture) -> Bool {
        self == .causalLM ? architecture != .mu : architecture == .mu
    }

    /// Why this objective cannot train `architecture` (nil when it can), naming those that can.
    func mismatch(_ architecture: TrainArchitecture) -> String? {
        guard !fits(architecture) else { return nil }
        let fitting = Self.allCases.filter { $0.fits(architecture) }.map(\.rawValue).joined(separator: " or ")
        return "objective \(rawValue) does not train a \(architecture.rawValue) model (use \(fitting))"
    }

    /// The shard layout this objective reads.
    var layout: TokenShards.Layout { self == .seq2seq ? .encoderDecoder : .decoderOnly }
}
