import Foundation

/// The parsed and validated JSON header of a safetensors file.
///
/// File layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data
/// section. The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
/// (offsets relative to the data section); an optional "__metadata__" maps strings to strings.
///
/// Validation: dtype known; shape a list of non-negative integers whose product × dtype size
/// (overflow-checked) equals end − begin; 0 ≤ begin ≤ end ≤ data size; no two tensors' byte
/// ranges overlap.
public struct SafetensorsHeader: Sendable {
    public static let metadataKey = "__metadata__"
    /// Headers above this are rejected before parsing (the reference implementation uses 100 MB).
    public static let maximumHeaderBytes = 100_000_000

    /// Sorted by name.
    public let entries: [SafetensorsEntry]
    public let metadata: [String: String]

    /// Validates `json` against a data section of `dataSize` bytes.
    public static func parse(json: Data, dataSize: Int, path: String) throws -> SafetensorsHeader {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw SafetensorsError(.invalidHeader, path: path, "header is not valid JSON (\(error.localizedDescription))")
        }
        guard let object = root as? [String: Any] else {
            throw SafetensorsError(.invalidHeader, path: path, "header JSON must be an object")
        }
        var metadata: [String: String] = [:]
        var entries: [SafetensorsEntry] = []
        for (name, value) in object {
            if name == metadataKey {
                guard let dict = value as? [String: Any] else {
                    throw SafetensorsError(.invalidHeader, path: path, "__metadata__ must be an object of strings")
                }
                for (k, v) in dict {
                    guard let s = v as? String else {
                        throw SafetensorsError(.invalidHeader, path: path, "__metadata__ value for '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try parseEntry(name: name, value: value, dataSize: dataSize, path: path))
        }
        entries.sort { $0.name < $1.name }
        try checkNoOverlap(entries, path: path)
        return SafetensorsHeader(entries: entries, metadata: metadata)
    }

    private static func parseEntry(name: String, value: Any, dataSize: Int, path: String) throws -> SafetensorsEntry {
        func fail(_ kind: SafetensorsError.Kind, _ message: String) -> SafetensorsError {
            SafetensorsError(kind, path: path, tensor: name, message)
        }
        guard let dict = value as? [String: Any] else {
            throw fail(.invalidEntry, "entry must be an object with dtype, shape and data_offsets")
        }
        guard let dtypeName = dict["dtype"] as? String else {
            throw fail(.invalidEntry, "missing or non-string \"dtype\"")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(.unsupportedDType, "dtype \"\(dtypeName)\" is not supported (expected one of \(known))")
        }
        guard let rawShape = dict["shape"] as? [Any] else {
            throw fail(.invalidEntry, "missing or non-list \"shape\"")
        }
        var shape: [Int] = []
        for dim in rawShape {
            guard let d = exactInteger(dim), d >= 0 else {
                throw fail(.invalidEntry, "shape \(rawShape) has an entry that is not a non-negative integer")
            }
            shape.append(d)
        }
        guard let rawOffsets = dict["data_offsets"] as? [Any], rawOffsets.count == 2,
              let begin = exactInteger(rawOffsets[0]), let end = exactInteger(rawOffsets[1])
        else {
            throw fail(.invalidEntry, "\"data_offsets\" must be a list of two integers")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw fail(.offsetOutOfRange, "data_offsets [\(begin), \(end)] outside the data section of \(dataSize) bytes")
        }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail(.sizeMismatch, "shape \(shape) has more elements than fit in Int") }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw fail(.sizeMismatch, "shape \(shape) of \(dtypeName) overflows the byte count") }
        guard bytes == end - begin else {
            throw fail(.sizeMismatch, "shape \(shape) of \(dtypeName) needs \(bytes) bytes but data_offsets span \(end - begin)")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, elementCount: count, byteRange: begin..<end)
    }

    /// A JSON number written as an integer that fits in Int. Rejects booleans (which
    /// Foundation also bridges to NSNumber, objCType "c"), fractions and exponents (objCType
    /// "d"), and integers beyond Int (the `as? Int` bridge fails).
    private static func exactInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "c", "B", "d", "f": return nil
        default: return value as? Int
        }
    }

    private static func checkNoOverlap(_ entries: [SafetensorsEntry], path: String) throws {
        let byStart = entries.filter { !$0.byteRange.isEmpty }.sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        for (previous, next) in zip(byStart, byStart.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw SafetensorsError(
                .overlappingData, path: path, tensor: next.name,
                "bytes \(next.byteRange) overlap tensor '\(previous.name)' at \(previous.byteRange)")
        }
    }
}
