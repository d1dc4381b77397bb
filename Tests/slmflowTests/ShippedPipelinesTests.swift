import Foundation
import Testing

/// Every pipeline in pipelines/ is valid as written: `slmflow dag` loads it (YAML, kinds,
/// parameters, references, cycles) the way `run` does before running anything.
@Suite struct ShippedPipelinesTests {
    static let pipelinesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("pipelines").path

    static var pipelines: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: pipelinesFolder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func thePipelinesFolderHoldsTheQuickstart() {
        #expect(Self.pipelines.contains("quickstart.yaml"), "\(Self.pipelinesFolder): \(Self.pipelines)")
    }

    @Test(arguments: pipelines)
    func loadsAsWritten(_ name: String) throws {
        let workspace = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let result = try CLI.run(["dag", Self.pipelinesFolder + "/" + name, "--workspace", workspace], in: workspace)
        #expect(result.status == 0, "\(name): \(result.stderr)")
        #expect(!result.stdout.isEmpty)
    }
}
