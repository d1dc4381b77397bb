import Foundation
import Testing

/// `--tokenizer` accepts a tokenizer.json, a GGUF file, a model folder and a zoo model.
@Suite struct TokenizerSourceTests {
    static var byteLevelFixture: String { TokenizeCommandTests.byteLevelFixture }

    /// A GGUF v3 file with a tiny gpt2 vocabulary ("a", "b", "ab", "<s>" as control) and one
    /// F32 tensor, so the zoo can import it as a model.
    static func tinyGGUF() -> Data {
        func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func string(_ s: String) -> [UInt8] { u64(UInt64(s.utf8.count)) + Array(s.utf8) }
        var kv: [UInt8] = []
        kv += string("general.architecture") + u32(8) + string("toy")
        kv += string("tokenizer.ggml.model") + u32(8) + string("gpt2")
        kv += string("tokenizer.ggml.tokens") + u32(9) + u32(8) + u64(4) + ["a", "b", "ab", "<s>"].flatMap(string)
        kv += string("tokenizer.ggml.token_type") + u32(9) + u32(5) + u64(4) + [1, 1, 1, 3].flatMap { u32($0) }
        kv += string("tokenizer.ggml.merges") + u32(9) + u32(8) + u64(1) + string("a b")
        var bytes = Array("GGUF".utf8) + u32(3) + u64(1) + u64(5) + kv
        bytes += string("w") + u32(1) + u64(2) + u32(0) + u64(0)  // tensor "w": F32 [2] at offset 0
        while bytes.count % 32 != 0 { bytes.append(0) }
        bytes += withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { Array($0) } + withUnsafeBytes(of: Float(2).bitPattern.littleEndian) { Array($0) }
        return Data(bytes)
    }

    func encode(_ tokenizer: String, _ text: String, in folder: String) throws -> String {
        let result = try CLI.run(["tokenize", "encode", "--tokenizer", tokenizer, "--text", text], in: folder)
        #expect(result.status == 0, "\(tokenizer): \(result.stderr)")
        return result.stdout
    }

    @Test func aGGUFFileAndTheZooModelImportedFromItGiveTheSameIds() throws {
        let folder = try CLI.temporaryWorkspace()
        try Self.tinyGGUF().write(to: URL(fileURLWithPath: folder + "/toy.gguf"))
        #expect(try encode("toy.gguf", "abab<s>a", in: folder) == "2 2 3 0\n")
        let imported = try CLI.run(["zoo", "import", "toy.gguf", "--name", "toy"], in: folder)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try encode("toy", "abab<s>a", in: folder) == "2 2 3 0\n")
        let decoded = try CLI.run(["tokenize", "decode", "--tokenizer", "toy:latest", "--ids", "2,0,3", "--keep-special"], in: folder)
        #expect(decoded.stdout == "aba<s>\n", "\(decoded.stderr)")
    }

    @Test func aModelFolderAndTheZooModelImportedFromItGiveTheSameIds() throws {
        let folder = try CLI.temporaryWorkspace()
        try FileManager.default.createDirectory(atPath: folder + "/model", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.byteLevelFixture, toPath: folder + "/model/tokenizer.json")
        try #"{"architectures": ["ToyModel"], "hidden_size": 2}"#.write(toFile: folder + "/model/config.json", atomically: true, encoding: .utf8)
        let header = Array(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
        var safetensors = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        safetensors += [Float(1), 2].flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        try Data(safetensors).write(to: URL(fileURLWithPath: folder + "/model/model.safetensors"))

        let expected = try encode(Self.byteLevelFixture, "hello world, 123", in: folder)
        #expect(try encode("model", "hello world, 123", in: folder) == expected)
        let imported = try CLI.run(["zoo", "import", "model", "--name", "hf-toy"], in: folder)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try encode("hf-toy", "hello world, 123", in: folder) == expected)
    }

    @Test func sourcesThatAreNoneOfThoseAreClearErrors() throws {
        let folder = try CLI.temporaryWorkspace()
        try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
        let empty = try CLI.run(["tokenize", "encode", "--tokenizer", "empty", "--text", "x"], in: folder)
        #expect(empty.status != 0 && empty.stderr.contains("holds no tokenizer.json"), "\(empty.stderr)")
        let unknown = try CLI.run(["tokenize", "encode", "--tokenizer", "no-such-model", "--text", "x"], in: folder)
        #expect(unknown.status != 0 && unknown.stderr.contains("neither a file or folder nor a model of the zoo"), "\(unknown.stderr)")
        try Data("GGUF\u{3}\0\0\0".utf8).write(to: URL(fileURLWithPath: folder + "/cut.gguf"))
        let cut = try CLI.run(["tokenize", "encode", "--tokenizer", "cut.gguf", "--text", "x"], in: folder)
        #expect(cut.status != 0 && cut.stderr.contains("cut.gguf"), "\(cut.stderr)")
    }
}
