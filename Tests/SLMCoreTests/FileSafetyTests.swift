import Foundation
import Testing

@testable import SLMCore

@Suite struct FileSafetyTests {
    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "slm-core-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func atomicWriteReplacesAndLeavesNoTemporaries() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/state.json"
        try AtomicFile.write("first", to: path)
        try AtomicFile.write("second", to: path)
        #expect(String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["state.json"])
    }

    @Test func abandonedTemporariesOfDeadWritersAreRemoved() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // pid 2^22+1 is above Linux's pid_max default, so no such process exists.
        let dead = folder + "/.x\(AtomicFile.temporaryMarker)4194305-abc"
        let alive = AtomicFile.temporaryPath(besides: folder + "/y")
        _ = FileManager.default.createFile(atPath: dead, contents: Data())
        _ = FileManager.default.createFile(atPath: alive, contents: Data())
        #expect(AtomicFile.removeAbandonedTemporaries(in: folder) == 1)
        #expect(FileManager.default.fileExists(atPath: alive))
        #expect(!FileManager.default.fileExists(atPath: dead))
    }

    @Test func exclusiveLockExcludesAndReportsItsOwner() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = FileLock(path: folder + "/lock")
        let second = FileLock(path: folder + "/lock")
        #expect(try first.tryLock(.exclusive, owner: "pid 1 (test)"))
        #expect(try !second.tryLock(.exclusive))
        #expect(try !second.tryLock(.shared))
        #expect(second.ownerDescription() == "pid 1 (test)")
        first.unlock()
        #expect(try second.tryLock(.shared))
        #expect(try FileLock(path: folder + "/lock").tryLock(.shared))
    }

    @Test func nearestWordSuggestion() {
        #expect(nearest(to: "otus", in: ["outs", "deps", "cmd"]) == "outs")
        #expect(nearest(to: "dependencies", in: ["outs", "deps", "cmd"]) == nil)
        #expect(editDistance("kitten", "sitting") == 3)
    }
}
