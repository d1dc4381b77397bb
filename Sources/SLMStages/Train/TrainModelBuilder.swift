import Foundation
import SLMCore
import SLMModels
import SLMPipeline
import SLMTensor

/// Architectures the train stage builds.
/// Builds the model a train stage starts from: a fresh one from `config` (tiny defaults,
/// vocabulary and special ids from the shards), a decoder-only baseline sized to another
/// train stage's model (`same_params_as`), or a copy of another train stage's model (`init`).
enum TrainModelBuilder {
    /// Label value the decoder-only losses skip.
    static let ignoreIndex: Int32 = -100

    /// Tiny defaults per architecture (seed field names), for quick pipelines and tests.
    static func defaults(_ architecture: TrainArchitecture) -> [String: JSONValue] {
        switch architecture {
        case .mu:
            return ["n_encoder_layer": 2, "n_decoder_layer": 1, "n_embd": 64, "qkv_embd": 64, "n_head": 4, "n_kv_head": 2,
                    "hidden_dim": 128, "dropout": .double(0), "block_size": 512]
        case .decoder:
            return ["n_layer": 3, "n_embd": 64, "qkv_embd": 64, "n_head": 4, "n_kv_head": 2, "hidden_dim": 128,
                    "dropout": .double(0), "block_size": 512]
        case .llama:
            return ["num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
                    "num_key_value_heads": 2, "tie_word_embeddings": true, "max_position_embeddings": 1024]
        }
    }

    /// `initName` is the parameter that named `initFrom`, for errors (`init`; distill's `student`).
    static func build(_ architecture: TrainArchitecture, config: [String: JSONValue], sameParamsAs: String?, initFrom: String?,
                      initName: String = "init", shards: TokenShards, seed: UInt64, stage: String) throws -> AnyModel {
        if let initFrom {
            let model: AnyModel
            do { model = try ModelFolder.load(initFrom) } catch {
                throw StageFailure("\(stage): '\(initName)' \(initFrom): \(error)")
            }
            let matches: Bool
            switch (architecture, model) {
            case (.mu, .mu), (.decoder, .decoderOnly), (.llama, .llama): matches = true
            default: matches = false
            }
            guard matches else {
                throw StageFailure("\(stage): '\(initName)' holds a \(model.modelType) model, but architecture is \(architecture.rawValue)")
            }
            guard model.vocabSize == shards.vocabSize else {
                throw StageFailure("\(stage): '\(initName)' has a vocabulary of \(model.vocabSize), the data's tokenizer \(shards.vocabSize)")
            }
            return model
        }
        // The shards decide vocabulary and special ids; the model must agree with its data.
        var special: [String: JSONValue] = ["vocab_size": .int(Int64(shards.vocabSize)), "pad_token_id": .int(Int64(shards.padID)),
                                            "eos_token_id": .int(Int64(shards.eosID))]
        special["bos_token_id"] = .int(Int64(shards.bosID ?? shards.padID))
        let reference = try sameParamsAs.map { try referenceConfig($0, stage: stage) }
        switch try shape(architecture, config: config, sameParamsAs: reference, special: special, stage: stage) {
        case .mu(let c): return .mu(MuModel(config: c, seed: seed))
        case .decoderOnly(let c): return .decoderOnly(DecoderOnlyModel(config: c, seed: seed))
        case .llama(let c): return .llama(LlamaModel(config: c, seed: seed))
        }
    }

    /// The config a fresh model gets: the architecture's defaults, then `config`, then the
    /// vocabulary and special ids in `special` (from the shards); with `sameParamsAs`, the
    /// decoder-only baseline at that Mu's parameter count. The estimates use it too.
    static func shape(_ architecture: TrainArchitecture, config: [String: JSONValue], sameParamsAs reference: MuConfig?,
                      special: [String: JSONValue], stage: String) throws -> ModelShape {
        var merged = defaults(architecture).merging(config) { $1 }.merging(special) { $1 }
        if let reference { merged = try fields(of: reference).merging(special) { $1 } }
        let data = Data(JSONValue.object(merged).canonicalText.utf8)
        do {
            switch architecture {
            case .mu:
                return .mu(try JSONDecoder().decode(MuConfig.self, from: data))
            case .decoder:
                if reference != nil { return .decoderOnly(baseline(matching: try JSONDecoder().decode(MuConfig.self, from: data))) }
                let c = try JSONDecoder().decode(DecoderOnlyConfig.self, from: data)
                if let problem = c.widths.validationProblem { throw StageFailure("\(stage): config: \(problem)") }
                return .decoderOnly(c)
            case .llama:
                return .llama(try JSONDecoder().decode(LlamaConfig.self, from: data))
            }
        } catch let failure as StageFailure {
            throw failure
        } catch {
            throw StageFailure("\(stage): config: \(JSONFiles.describe(error))")
        }
    }

    /// The decoder-only baseline at a Mu's parameter count: Mu's widths at the nearest depth
    /// (`DecoderOnlyConfig.matching`); when a whole block is too coarse a step (small models:
    /// the count is more than 1% off), the MLP width is then set to close the gap.
    static func baseline(matching mu: MuConfig) -> DecoderOnlyConfig {
        var config = DecoderOnlyConfig.matching(mu)
        let target = mu.parameterCount
        guard abs(Double(config.parameterCount - target)) > 0.01 * Double(target), config.nLayer > 0 else { return config }
        // parameterCount is linear in hidden_dim: each unit adds (2·d + 1) per layer.
        var zero = config
        zero.widths.hiddenDim = 0
        let perUnit = config.nLayer * (2 * mu.nEmbd + 1)
        let hidden = Int((Double(target - zero.parameterCount) / Double(perUnit)).rounded())
        if hidden >= 1 { config.widths.hiddenDim = hidden }
        return config
    }

    /// The Mu config of another train stage's model (`same_params_as`: the config.json of its folder).
    private static func referenceConfig(_ configPath: String, stage: String) throws -> MuConfig {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw StageFailure("\(stage): 'same_params_as' names a stage whose output has no \(configPath) (is it a train stage?)")
        }
        guard let type = (try? JSONDecoder().decode(JSONValue.self, from: data))?.objectValue?["model_type"]?.stringValue, type == "mu" else {
            throw StageFailure("\(stage): 'same_params_as' must name a train stage with architecture mu")
        }
        do { return try JSONDecoder().decode(MuConfig.self, from: data) } catch {
            throw StageFailure("\(stage): 'same_params_as' \(configPath): \(JSONFiles.describe(error))")
        }
    }

    static func fields(of config: MuConfig) throws -> [String: JSONValue] {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(config)).objectValue ?? [:]
    }

    /// The model's loss on one batch.
    static func loss(_ model: AnyModel, _ batch: TokenBatch, _ fp: ForwardPass) throws -> Variable {
        switch model {
        case .mu(let m):
            return try m.loss(source: batch.source, decoderInput: batch.input, labels: batch.labels, batch: batch.rows, fp)
        case .decoderOnly(let m):
            return try m.loss(ids: batch.input, labels: batch.labels, batch: batch.rows, ignoreIndex: ignoreIndex, fp)
        case .llama(let m):
            return try m.loss(ids: batch.input, labels: batch.labels, batch: batch.rows, ignoreIndex: ignoreIndex, fp)
        }
    }

    static func parameterCount(_ model: AnyModel) -> Int {
        model.container.parameters.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
}
