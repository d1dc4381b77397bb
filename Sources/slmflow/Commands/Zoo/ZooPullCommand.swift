import ArgumentParser
import Foundation
import SLMCore
import SLMFetch
import SLMZoo

struct ZooPull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model and import it: a URL, hf://org/repo[@revision], or a catalog name.",
        discussion: """
            Remote URLs need --sha256 unless the server publishes a sha256 ETag. Downloads resume from \
            zoo/downloads/…/*.partial after an interruption, are verified before anything is imported, \
            and are removed once imported. Catalog: \(Self.catalogNames).
            """)
    @Argument(help: "https://…, http://…, file://…, hf://org/repo[@revision], or a catalog name.") var source: String
    @Option(name: .long, help: "name[:tag] to give the model.") var name: String?
    @Option(name: .long, help: "The expected SHA-256 of the downloaded file (64 hex digits).") var sha256: String?
    @Option(name: .long, help: "Retries after transient failures (network, 5xx, stalls).") var retries = 4
    @Option(name: .customLong("stall-timeout"), help: "Seconds without data before a transfer counts as stalled.") var stallTimeout = 30
    @OptionGroup var workspace: WorkspaceOptions
    @Flag(name: .long, help: "Print the manifest as JSON.") var json = false

    static var catalogNames: String {
        ((try? ModelCatalog.load(zooRoot: "/nonexistent").entries.map(\.name)) ?? []).joined(separator: ", ")
    }

    func run() throws {
        var expected: Digest?
        if let sha256 {
            guard let digest = Digest(hex: sha256) else { throw ValidationError("--sha256 must be 64 hex digits, got '\(sha256)'") }
            expected = digest
        }
        guard retries >= 0, retries <= 100, stallTimeout >= 1 else { throw ValidationError("--retries must be 0…100 and --stall-timeout at least 1") }
        var options = Fetcher.Options()
        options.retries = retries
        options.stallSeconds = stallTimeout
        let puller = ModelPuller(zoo: workspace.zoo, fetcher: Fetcher(options: options))
        let manifest = try puller.pull(source, name: name, sha256: expected, slmflowVersion: SLMFlow.version)
        if json { return try printJSON(manifest) }
        print("pulled \(manifest.reference) @\(manifest.digest.short): \(manifest.tensors.count) tensors, \(formatCount(manifest.parameterCount)) parameters")
    }
}
