import Foundation
import SLMFormats
import SLMModels
import SLMTensor

/// The PyTorch outputs written by scripts/golden/make_model_golden.py.
struct Golden {
    let folder: String
    let file: SafetensorsFile
    let meta: [String: Any]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    init(_ name: String) throws {
        folder = Golden.root + "/" + name
        file = try SafetensorsFile(path: folder + "/golden.safetensors")
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/golden.json"))
        meta = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func ids(_ name: String) throws -> [Int32] { try file.integers(name).map { Int32($0) } }
    func tensor(_ name: String) throws -> Tensor { try file.tensor(name) }
    func shape(_ name: String) throws -> [Int] { try file.entry(name).shape }
    var losses: [Double] { meta["losses"] as? [Double] ?? [] }
    var loss: Double { meta["loss"] as? Double ?? .nan }
    var optimizer: [String: Double] { (meta["optimizer"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue } }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count, "\(a.shape) vs \(b.shape)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a.data[i] - b.data[i])) }
    return m
}

/// max |a − b| / max(max |b|, floor): normwise relative error. The floor keeps gradients that
/// are analytically zero (a cross-attention key bias shifts every score of a row equally, so
/// softmax ignores it: PyTorch reports ~1e-11) from dividing round-off by round-off.
func relativeDiff(_ a: Tensor, _ b: Tensor, floor: Float = 1e-6) -> Float {
    var scale: Float = floor
    for i in 0..<b.count { scale = max(scale, abs(b.data[i])) }
    return maxAbsDiff(a, b) / scale
}

func temporaryFolder(_ tag: String = "slmmodels") -> String {
    let path = NSTemporaryDirectory() + "\(tag)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
