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

    /// The objective a stage that names none trains with.
    static func natural(for architecture: TrainArchitecture) -> TrainObjective {
        architecture == .mu ? .seq2seq : .causalLM
    }

    func fits(_ architecture: TrainArchitecture) -> Bool {
        self == .causalLM ? architecture != .mu : architecture == .mu
    }

    /// The shard layout this objective reads.
    var layout: TokenShards.Layout { self == .seq2seq ? .encoderDecoder : .decoderOnly }
}
