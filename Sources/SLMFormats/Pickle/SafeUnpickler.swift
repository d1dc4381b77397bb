import Foundation

/// A pickle reader that never executes anything. It interprets the opcodes of protocols
/// 0–5 that PyTorch checkpoints use, and resolves GLOBAL only for `PickleGlobal`'s
/// allow-list (OrderedDict, torch's tensor rebuild functions, storage types, dtypes).
/// Any other global (`os.system`, `builtins.eval`, `subprocess.Popen`, …) stops the read
/// with an error at the GLOBAL opcode, before anything could call it; REDUCE, NEWOBJ and
/// BUILD are interpreted only for allow-listed callables.
public struct SafeUnpickler {
    let bytes: [UInt8]
    let source: String
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// `source` names the file (and member) in error messages.
    public init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    public static func load(_ bytes: [UInt8], source: String) throws -> PickleValue {
        var reader = SafeUnpickler(bytes: bytes, source: source)
        return try reader.run()
    }

    mutating func run() throws -> PickleValue {
        while true {
            let at = position
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E:  // STOP
                guard let result = stack.popLast() else { throw fail(at, "STOP with an empty stack") }
                return result
            case 0x28: marks.append(stack.count)  // MARK
            case 0x30: _ = try pop(at)  // POP
            case 0x31: _ = try popMark(at)  // POP_MARK
            case 0x32: stack.append(try peek(at))  // DUP
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4A: stack.append(.int(Int64(Int32(bitPattern: try uint(4)))))  // BININT
            case 0x4B: stack.append(.int(Int64(try byte())))  // BININT1
            case 0x4D: stack.append(.int(Int64(try uint(2))))  // BININT2
            case 0x8A: stack.append(.int(try long(Int(try byte()), at)))  // LONG1
            case 0x8B: stack.append(.int(try long(Int(try uint(4)), at)))  // LONG4
            case 0x47:  // BINFLOAT (big-endian double)
                let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                stack.append(.float(Double(bitPattern: raw)))
            case 0x49, 0x4C:  // INT, LONG (text)
                let text = try line().trimmingCharacters(in: CharacterSet(charactersIn: "L"))
                if text == "00" { stack.append(.bool(false)) } else if text == "01" { stack.append(.bool(true)) } else {
                    guard let value = Int64(text) else { throw fail(at, "INT '\(text)' is not an integer") }
                    stack.append(.int(value))
                }
            case 0x46:  // FLOAT (text)
                let text = try line()
                guard let value = Double(text) else { throw fail(at, "FLOAT '\(text)' is not a number") }
                stack.append(.float(value))
            case 0x58: stack.append(.string(try utf8(Int(try uint(4)), at)))  // BINUNICODE
            case 0x8C: stack.append(.string(try utf8(Int(try byte()), at)))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try utf8(try length64(at), at)))  // BINUNICODE8
            case 0x55: stack.append(.string(try latin1(Int(try byte()))))  // SHORT_BINSTRING
            case 0x54: stack.append(.string(try latin1(Int(try uint(4)))))  // BINSTRING
            case 0x43: stack.append(.bytes(try take(Int(try byte()))))  // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(try take(Int(try uint(4)))))  // BINBYTES
            case 0x8E: stack.append(.bytes(try take(try length64(at))))  // BINBYTES8
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x85: stack.append(.tuple([try pop(at)]))  // TUPLE1
            case 0x86:  // TUPLE2
                let b = try pop(at), a = try pop(at)
                stack.append(.tuple([a, b]))
            case 0x87:  // TUPLE3
                let c = try pop(at), b = try pop(at), a = try pop(at)
                stack.append(.tuple([a, b, c]))
            case 0x74: stack.append(.tuple(try popMark(at)))  // TUPLE
            case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
            case 0x6C:  // LIST
                let list = PickleList()
                list.items = try popMark(at)
                stack.append(.list(list))
            case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case 0x64:  // DICT
                let dict = PickleDict()
                try fill(dict, with: try popMark(at), at)
                stack.append(.dict(dict))
            case 0x61:  // APPEND
                let item = try pop(at)
                guard case .list(let list) = try peek(at) else { throw fail(at, "APPEND to a non-list") }
                list.items.append(item)
            case 0x65:  // APPENDS
                let items = try popMark(at)
                guard case .list(let list) = try peek(at) else { throw fail(at, "APPENDS to a non-list") }
                list.items += items
            case 0x73:  // SETITEM
                let value = try pop(at), key = try pop(at)
                guard case .dict(let dict) = try peek(at) else { throw fail(at, "SETITEM on a non-dict") }
                try fill(dict, with: [key, value], at)
            case 0x75:  // SETITEMS
                let items = try popMark(at)
                guard case .dict(let dict) = try peek(at) else { throw fail(at, "SETITEMS on a non-dict") }
                try fill(dict, with: items, at)
            case 0x71: memo[Int(try byte())] = try peek(at)  // BINPUT
            case 0x72: memo[Int(try uint(4))] = try peek(at)  // LONG_BINPUT
            case 0x94: memo[memo.count] = try peek(at)  // MEMOIZE
            case 0x70:  // PUT
                guard let index = Int(try line()) else { throw fail(at, "PUT index is not an integer") }
                memo[index] = try peek(at)
            case 0x68: stack.append(try memoValue(Int(try byte()), at))  // BINGET
            case 0x6A: stack.append(try memoValue(Int(try uint(4)), at))  // LONG_BINGET
            case 0x67:  // GET
                guard let index = Int(try line()) else { throw fail(at, "GET index is not an integer") }
                stack.append(try memoValue(index, at))
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(.global(try allowed(module, name, at)))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(at), module = try pop(at)
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw fail(at, "STACK_GLOBAL expects two strings")
                }
                stack.append(.global(try allowed(m, n, at)))
            case 0x52:  // REDUCE
                let arguments = try pop(at), callable = try pop(at)
                stack.append(try call(callable, arguments, at))
            case 0x81:  // NEWOBJ
                let arguments = try pop(at), callable = try pop(at)
                stack.append(try call(callable, arguments, at))
            case 0x62:  // BUILD: state for dicts (OrderedDict._metadata) and tensors is ignored
                _ = try pop(at)
                switch try peek(at) {
                case .dict, .tensor: break
                case let other: throw fail(at, "BUILD on a \(other.typeName) is not supported")
                }
            case 0x51:  // BINPERSID
                stack.append(try persistent(try pop(at), at))
            default:
                throw fail(at, String(format: "opcode 0x%02x is not supported by the safe reader", opcode))
            }
        }
    }

    // MARK: - calls (allow-listed only)

    private func allowed(_ module: String, _ name: String, _ at: Int) throws -> PickleGlobal {
        guard let global = PickleGlobal(rawValue: module + "." + name) else {
            throw fail(at, "refers to the global '\(module).\(name)', which is not on the allow-list (\(PickleGlobal.allCases.map(\.rawValue).prefix(4).joined(separator: ", ")), torch storage types and dtypes); refusing to load — calling it could execute code")
        }
        return global
    }

    private func call(_ callable: PickleValue, _ arguments: PickleValue, _ at: Int) throws -> PickleValue {
        guard case .global(let global) = callable else {
            throw fail(at, "REDUCE of a \(callable.typeName), which is not an allow-listed callable")
        }
        guard case .tuple(let args) = arguments else { throw fail(at, "arguments of \(global.rawValue) are not a tuple") }
        switch global {
        case .orderedDict:
            return .dict(PickleDict())
        case .torchSize:
            return args.first ?? .tuple([])
        case .rebuildParameter:
            guard let data = args.first, case .tensor = data else { throw fail(at, "_rebuild_parameter expects a tensor") }
            return data
        case .rebuildTensorV2:
            guard args.count >= 4, case .storage(let storage) = args[0], case .int(let offset) = args[1],
                  let shape = integers(args[2]), let strides = integers(args[3]), shape.count == strides.count
            else { throw fail(at, "_rebuild_tensor_v2 expects (storage, offset, size, stride, …)") }
            return .tensor(TorchTensorReference(storage: storage, offset: Int(offset), shape: shape, strides: strides))
        default:
            throw fail(at, "\(global.rawValue) is not callable")
        }
    }

    private func persistent(_ id: PickleValue, _ at: Int) throws -> PickleValue {
        guard case .tuple(let parts) = id, parts.count >= 5, case .string("storage") = parts[0],
              case .global(let type) = parts[1], case .string(let key) = parts[2], case .int(let count) = parts[4]
        else { throw fail(at, "persistent id is not ('storage', type, key, location, numel)") }
        guard let dtype = type.storageDType else {
            guard type.rawValue.hasSuffix("Storage") else { throw fail(at, "persistent id names \(type.rawValue), not a storage type") }
            throw fail(at, "\(type.rawValue) tensors are not supported (expected Float, Half, BFloat16, Long or Int storage); convert them before saving")
        }
        guard ZipArchive.isSafeName(key), !key.contains("/"), count >= 0 else {
            throw fail(at, "storage key '\(key)' is not a plain member name")
        }
        return .storage(TorchStorageReference(key: key, dtype: dtype, elementCount: Int(count)))
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let v) = item, v >= 0 else { return nil }
            result.append(Int(v))
        }
        return result
    }

    private func fill(_ dict: PickleDict, with items: [PickleValue], _ at: Int) throws {
        guard items.count % 2 == 0 else { throw fail(at, "odd number of items for a dict") }
        for index in stride(from: 0, to: items.count, by: 2) {
            switch items[index] {
            case .string(let key): dict.set(key, items[index + 1])
            case .int(let key): dict.set(String(key), items[index + 1])
            case let other: throw fail(at, "dict key of type \(other.typeName) is not supported")
            }
        }
    }

    // MARK: - stack and input

    private mutating func pop(_ at: Int) throws -> PickleValue {
        guard let value = stack.popLast() else { throw fail(at, "stack underflow") }
        if let mark = marks.last, stack.count < mark { throw fail(at, "pop below a MARK") }
        return value
    }

    private func peek(_ at: Int) throws -> PickleValue {
        guard let value = stack.last else { throw fail(at, "stack underflow") }
        return value
    }

    private mutating func popMark(_ at: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail(at, "no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func memoValue(_ index: Int, _ at: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fail(at, "memo slot \(index) is empty") }
        return value
    }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw fail(position, "the pickle ends before STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else {
            throw fail(position, "needs \(count) bytes but only \(bytes.count - position) remain")
        }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    private mutating func uint(_ width: Int) throws -> UInt32 {
        try take(width).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    private mutating func length64(_ at: Int) throws -> Int {
        let raw = try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard raw <= UInt64(bytes.count) else { throw fail(at, "length \(raw) exceeds the pickle") }
        return Int(raw)
    }

    private mutating func long(_ width: Int, _ at: Int) throws -> Int64 {
        guard width <= 8 else { throw fail(at, "integer of \(width) bytes does not fit in 64 bits") }
        let raw = try take(width)
        guard !raw.isEmpty else { return 0 }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if width < 8, raw[width - 1] & 0x80 != 0 { value |= ~UInt64(0) << UInt64(8 * width) }
        return Int64(bitPattern: value)
    }

    private mutating func utf8(_ count: Int, _ at: Int) throws -> String {
        let raw = try take(count)
        guard let text = String(validating: raw, as: UTF8.self) else { throw fail(at, "string is not valid UTF-8") }
        return text
    }

    private mutating func latin1(_ count: Int) throws -> String {
        String(try take(count).map { Character(Unicode.Scalar($0)) })
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw fail(position, "unterminated text argument") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private func fail(_ at: Int, _ message: String) -> PickleError {
        PickleError(source: source, offset: at, message: message)
    }
}

public struct PickleError: Error, CustomStringConvertible, Sendable {
    public let source: String
    public let offset: Int
    public let message: String
    public var description: String { "pickle \(source) at byte \(offset): \(message)" }
}
