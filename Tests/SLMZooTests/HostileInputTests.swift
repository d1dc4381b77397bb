import Foundation
import SLMCore
import SLMFormats
import SLMTestSupport
import Testing
@testable import SLMZoo

/// Each malicious input is refused with a clear error, and nothing lands outside zoo/.
@Suite struct HostileInputTests {
    let scratch: Scratch
    init() throws { scratch = try Scratch() }

    func refused(_ path: String, mentioning words: [String]) throws {
        let before = scratch.filesOutsideZoo()
        do {
            let model = try ModelImporter.open(path)
            _ = try scratch.zoo.add(model, as: try ModelReference.parse("evil"), slmflowVersion: "t")
            Issue.record("imported \(path)")
        } catch {
            for word in words { #expect("\(error)".contains(word), "error '\(error)' should mention \(word)") }
        }
        #expect(scratch.filesOutsideZoo() == before)
        #expect(scratch.zoo.manifests().models.isEmpty)
    }

    @Test func pickleCallingOsSystemIsRefused() throws {
        try refused(Fixtures.path("evil_system.pt"), mentioning: ["posix.system", "allow-list"])
        #expect(!FileManager.default.fileExists(atPath: "/tmp/slmflow-pwned"))
    }

    @Test func pickleCallingEvalIsRefused() throws {
        try refused(Fixtures.path("evil_eval.pkl"), mentioning: ["builtin__.eval", "allow-list"])
    }

    @Test func reduceOfANonGlobalIsRefused() {
        // PROTO 2, EMPTY_TUPLE, EMPTY_TUPLE, REDUCE, STOP
        #expect(throws: PickleError.self) { try SafeUnpickler.load([0x80, 2, 0x29, 0x29, 0x52, 0x2E], source: "t") }
        // GLOBAL subprocess Popen
        let popen = [0x80, 2, 0x63] + Array("subprocess\nPopen\n".utf8) + [0x29, 0x52, 0x2E]
        #expect(throws: PickleError.self) { try SafeUnpickler.load(popen, source: "t") }
    }

    @Test func archiveMembersLeavingTheFolderAreRefused() throws {
        try refused(Fixtures.path("evil_traversal.zip"), mentioning: ["../escape.txt"])
        #expect(!ZipArchive.isSafeName("/abs/data.pkl") && !ZipArchive.isSafeName("a/../../b") && ZipArchive.isSafeName("a/data/0"))
    }

    @Test func safetensorsHeaderPastTheFileIsRefused() throws {
        let path = scratch.path("big-header.safetensors")
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(1 << 20).littleEndian) { bytes += $0 }
        bytes += Array(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try refused(path, mentioning: ["past the end"])
        let offsets = scratch.path("offsets.safetensors")
        let header = Array(#"{"w":{"dtype":"F32","shape":[1000],"data_offsets":[0,4000]}}"#.utf8)
        var second: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { second += $0 }
        try Data(second + header + [0, 0, 0, 0]).write(to: URL(fileURLWithPath: offsets))
        try refused(offsets, mentioning: ["outside the data section"])
    }

    @Test func ggufSizesPastTheFileAreRefused() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", string: "toy")
        writer.addTensor("w", dimensions: [1_000_000], type: .f32, data: fp32Bytes([1, 2, 3, 4]))
        let path = scratch.path("lying.gguf")
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        try refused(path, mentioning: ["run past the end"])
        var truncated = GGUFWriter()
        truncated.add("general.architecture", string: String(repeating: "x", count: 64))
        let bytes = Array(truncated.bytes().prefix(40))
        let cut = scratch.path("cut.gguf")
        try Data(bytes).write(to: URL(fileURLWithPath: cut))
        try refused(cut, mentioning: ["past the end"])
    }

    @Test func shardIndexNamingAFileOutsideTheFolderIsRefused() throws {
        let folder = scratch.path("sharded")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "{}".write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        try #"{"weight_map":{"w":"../../secret.safetensors"}}"#.write(toFile: folder + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        try refused(folder, mentioning: ["plain file name"])
    }
}
