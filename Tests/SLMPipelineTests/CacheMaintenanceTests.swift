import Foundation
import SLMCore
import Testing

@testable import SLMPipeline

/// `cache du` and `cache gc`: what they count and what they remove.
@Suite struct CacheMaintenanceTests {
    static let pipeline = """
        slmflow: 1
        name: gc
        params: {v: 1}
        stages:
          only:
            kind: count
            value: ${params.v}
        """

    @Test func gcKeepsWhatRunsNeedAndForgetsOldRunsOnlyWhenAsked() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.pipeline)
        try sandbox.run()
        try sandbox.run([("v", "2")])
        let maintenance = CacheMaintenance(workspace: sandbox.workspace)
        #expect(maintenance.usage().runRecords == 2)

        let plain = try maintenance.collect { _ in }
        #expect(plain.removedRunRecords == 0 && plain.removedBlobs == 0, "every blob is some run record's")

        let state = PipelineState.path(forPipeline: sandbox.pipelinePath)
        let kept = try maintenance.collect(keepOnly: [state]) { _ in }
        #expect(kept.removedRunRecords == 1, "the v=1 run is no longer the pipeline's")
        #expect(kept.removedBlobs >= 1)
        let rerun = try sandbox.run([("v", "2")])
        #expect(rerun.ran.isEmpty, "the current run survives")
    }

    /// An interrupted run's checkpoints stay (a rerun resumes from them) until asked for.
    @Test func interruptedRunsCheckpointsAreCountedAndRemovedOnlyWithCheckpoints() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.pipeline)
        try sandbox.run()
        let folder = sandbox.workspace.stageStateRoot + "/" + String(repeating: "ab", count: 32) + "/checkpoints"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 10_000).write(to: URL(fileURLWithPath: folder + "/step-00000050"))
        let maintenance = CacheMaintenance(workspace: sandbox.workspace)
        let usage = maintenance.usage()
        #expect(usage.interruptedRuns == 1 && usage.checkpointBytes >= 10_000)

        let plain = try maintenance.collect { _ in }
        #expect(plain.removedCheckpoints == 0)
        #expect(FileManager.default.fileExists(atPath: folder))

        let cleaned = try maintenance.collect(checkpoints: true) { _ in }
        #expect(cleaned.removedCheckpoints == 1 && cleaned.removedCheckpointBytes >= 10_000)
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(maintenance.usage().interruptedRuns == 0)
    }
}
