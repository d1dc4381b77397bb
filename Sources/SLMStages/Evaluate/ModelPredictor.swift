import Foundation
import SLMModels
import SLMPipeline
import SLMText

/// Greedy, batched decoding of a model folder (config.json, model.safetensors,
/// tokenizer.json) over evaluation prompts.
///
/// The prompt is encoded as the tokenize stage encodes a source (with the tokenizer's special
/// tokens) and, when `sourceLength` is set, cut to its first `sourceLength` ids — the
/// tokenize stage's default right truncation, so the model sees inputs as long as the ones it
/// was trained on. Mu models take it as the encoder input and decode from BOS; decoder-only
/// models take it as the prefix and the prediction is what follows. Generation stops at the
/// model's EOS (removed from the text) or after `maxNewTokens`.
struct ModelPredictor {
    let model: AnyModel
    let tokenizer: Tokenizer
    let stage: String

    init(folder: String, stage: String) throws {
        self.stage = stage
        do {
            model = try ModelFolder.load(folder)
        } catch {
            throw StageFailure("\(stage): cannot load the model at \(folder): \(error)")
        }
        let tokenizerPath = folder + "/" + ModelFolder.tokenizerFile
        do {
            tokenizer = try Tokenizer.load(contentsOf: tokenizerPath)
        } catch {
            throw StageFailure("\(stage): the model at \(folder) has no usable tokenizer.json: \(error)")
        }
    }

    func predict(_ sources: [String], batchSize: Int, maxNewTokens: Int, sourceLength: Int?,
                 progress: (Int) -> Void) throws -> [String] {
        let generator = Generator(model: model)
        let eos = Set(generator.defaultEOS)
        var prompts: [[Int32]] = []
        for (index, source) in sources.enumerated() {
            var ids: [Int32]
            do {
                ids = try tokenizer.encode(source)
            } catch {
                throw StageFailure("\(stage): encoding example \(index + 1): \(error)")
            }
            if let sourceLength, ids.count > sourceLength { ids = Array(ids.prefix(sourceLength)) }
            if ids.isEmpty { throw StageFailure("\(stage): example \(index + 1) encodes to no tokens") }
            prompts.append(ids)
        }
        var predictions: [String] = []
        predictions.reserveCapacity(sources.count)
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let batch = Array(prompts[start..<min(start + batchSize, prompts.count)])
            let outputs: [[Int32]]
            do {
                outputs = try generator.generate(prompts: batch, options: GenerationOptions(maxNewTokens: maxNewTokens))
            } catch {
                throw StageFailure("\(stage): generating for examples \(start + 1)–\(start + batch.count): \(error)")
            }
            for ids in outputs {
                let body = ids.last.map(eos.contains) == true ? Array(ids.dropLast()) : ids
                predictions.append(tokenizer.decode(body, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            progress(predictions.count)
        }
        return predictions
    }
}
