import CLibYAML
import Foundation

/// Reads one YAML document into a `YAMLNode` tree with libyaml's event parser.
///
/// Guards against hostile input: the file size is capped, and anchors/aliases are expanded
/// against a node budget, so a "billion laughs" document is refused before it costs memory
/// or time (aliases share storage, but every later walk would visit each copy).
public struct YAMLReader {
    public var maxBytes = 4 << 20
    public var maxNodes = 200_000
    public var maxDepth = 64

    public init() {}

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let location: SourceLocation
        public let message: String
        public var description: String { "\(location): error: \(message)" }
    }

    public func read(_ text: String, file: String) throws -> YAMLNode {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw Failure(
                location: SourceLocation(file: file, line: 1, column: 1),
                message: "the file is \(bytes.count) bytes; pipelines are limited to \(maxBytes) bytes")
        }
        var state = ParseState(file: file, reader: self)
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) != 0 else {
                throw Failure(location: state.location(line: 0, column: 0), message: "libyaml could not start")
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return try state.document(&parser)
        }
    }
}

private struct ParseState {
    let file: String
    let reader: YAMLReader
    var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    var nodeCount = 0

    init(file: String, reader: YAMLReader) {
        self.file = file
        self.reader = reader
    }

    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: file, line: line + 1, column: column + 1)
    }

    func location(_ mark: yaml_mark_t) -> SourceLocation {
        location(line: Int(mark.line), column: Int(mark.column))
    }

    /// One parsed event; `yaml_event_delete` runs when it is dropped.
    final class Event {
        var raw = yaml_event_t()
        deinit { yaml_event_delete(&raw) }
        var type: yaml_event_type_t { raw.type }
        var start: yaml_mark_t { raw.start_mark }
    }

    func next(_ parser: inout yaml_parser_t) throws -> Event {
        let event = Event()
        guard yaml_parser_parse(&parser, &event.raw) != 0 else {
            let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
            var message = problem
            if let context = parser.context.map({ String(cString: $0) }) {
                message = "\(problem) (\(context) at line \(parser.context_mark.line + 1))"
            }
            throw YAMLReader.Failure(location: location(parser.problem_mark), message: message)
        }
        return event
    }

    mutating func document(_ parser: inout yaml_parser_t) throws -> YAMLNode {
        var event = try next(&parser)
        guard event.type == YAML_STREAM_START_EVENT else { throw unexpected(event) }
        event = try next(&parser)
        if event.type == YAML_STREAM_END_EVENT {
            throw YAMLReader.Failure(location: location(event.start), message: "the file is empty; expected a YAML mapping")
        }
        guard event.type == YAML_DOCUMENT_START_EVENT else { throw unexpected(event) }
        let root = try node(&parser, depth: 0).node
        event = try next(&parser)
        guard event.type == YAML_DOCUMENT_END_EVENT else { throw unexpected(event) }
        event = try next(&parser)
        if event.type == YAML_DOCUMENT_START_EVENT {
            throw YAMLReader.Failure(
                location: location(event.start), message: "a second YAML document ('---'); a pipeline is one document")
        }
        return root
    }

    func unexpected(_ event: Event) -> YAMLReader.Failure {
        YAMLReader.Failure(location: location(event.start), message: "unexpected YAML structure (event \(event.type.rawValue))")
    }

    /// Parses one node; returns it with its expanded size (nodes it stands for).
    mutating func node(_ parser: inout yaml_parser_t, depth: Int) throws -> (node: YAMLNode, size: Int) {
        let event = try next(&parser)
        return try node(startingWith: event, &parser, depth: depth)
    }

    mutating func node(startingWith event: Event, _ parser: inout yaml_parser_t, depth: Int) throws -> (node: YAMLNode, size: Int) {
        let here = location(event.start)
        guard depth <= reader.maxDepth else {
            throw YAMLReader.Failure(location: here, message: "nesting deeper than \(reader.maxDepth) levels")
        }
        var result: (node: YAMLNode, size: Int)
        var anchor: UnsafeMutablePointer<yaml_char_t>?
        switch event.type {
        case YAML_SCALAR_EVENT:
            let scalar = event.raw.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let tag = scalar.tag.map { String(cString: $0) }
            let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && tag != "tag:yaml.org,2002:str"
            result = (YAMLNode(.scalar(text, plain: plain), at: here), 1)
            anchor = scalar.anchor
        case YAML_SEQUENCE_START_EVENT:
            anchor = event.raw.data.sequence_start.anchor
            var items: [YAMLNode] = []
            var size = 1
            while true {
                let item = try next(&parser)
                if item.type == YAML_SEQUENCE_END_EVENT { break }
                let child = try node(startingWith: item, &parser, depth: depth + 1)
                items.append(child.node)
                size += child.size
            }
            result = (YAMLNode(.sequence(items), at: here), size)
        case YAML_MAPPING_START_EVENT:
            anchor = event.raw.data.mapping_start.anchor
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var seen: [String: SourceLocation] = [:]
            var size = 1
            while true {
                let keyEvent = try next(&parser)
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                let key = try node(startingWith: keyEvent, &parser, depth: depth + 1)
                if let text = key.node.scalarText {
                    if let first = seen[text] {
                        throw YAMLReader.Failure(
                            location: key.node.location,
                            message: "duplicate key '\(text)' (first written at line \(first.line))")
                    }
                    seen[text] = key.node.location
                }
                let value = try node(&parser, depth: depth + 1)
                pairs.append((key.node, value.node))
                size += key.size + value.size
            }
            result = (YAMLNode(.mapping(pairs), at: here), size)
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.raw.data.alias.anchor)
            guard let target = anchors[name] else {
                throw YAMLReader.Failure(location: here, message: "alias '*\(name)' names no anchor defined before it")
            }
            var node = target.node
            node.location = here
            result = (node, target.size)
        default:
            throw unexpected(event)
        }
        nodeCount += event.type == YAML_ALIAS_EVENT ? result.size : 1
        if nodeCount > reader.maxNodes {
            throw YAMLReader.Failure(
                location: here,
                message: "the document expands to more than \(reader.maxNodes) nodes (an alias bomb?); refused")
        }
        if let anchor { anchors[String(cString: anchor)] = result }
        return result
    }
}
