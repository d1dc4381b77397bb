import Foundation
import SLMCore

/// Reads a pipeline file, checks it against the stage kinds, and plans its DAG.
/// Collects every problem it can find before giving up, each with its location.
public struct PipelineLoader {
    public static let formatVersion: Int64 = 1
    static let topLevelKeys = ["slmflow", "name", "description", "params", "stages"]
    static let stageKeys = ["kind", "description"]

    public var registry: StageKindRegistry
    public var workspace: String

    public init(registry: StageKindRegistry, workspace: String) {
        self.registry = registry
        self.workspace = workspace
    }

    /// `overrides` are `--set KEY=VALUE` pairs; values are typed like YAML scalars.
    public func load(_ file: String, overrides: [(String, String)] = []) throws -> Pipeline {
        let absolute = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        guard let data = FileManager.default.contents(atPath: absolute) else {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: absolute, isDirectory: &isFolder)
            throw PipelineError(exists ? "'\(file)' is a folder, not a pipeline file" : "no pipeline file '\(file)'")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineError("'\(file)' is not UTF-8 text", at: SourceLocation(file: file, line: 1, column: 1))
        }
        let root: YAMLNode
        do {
            root = try YAMLReader().read(text, file: file)
        } catch let failure as YAMLReader.Failure {
            throw PipelineError(failure.message, at: failure.location)
        }
        var builder = Builder(loader: self, file: file, absoluteFile: absolute)
        return try builder.build(root, overrides: overrides)
    }
}

private struct Builder {
    let loader: PipelineLoader
    let file: String
    let absoluteFile: String
    var problems: [Diagnostic] = []

    init(loader: PipelineLoader, file: String, absoluteFile: String) {
        self.loader = loader
        self.file = file
        self.absoluteFile = absoluteFile
    }

    mutating func fail(_ message: String, at location: SourceLocation?, hint: String? = nil) {
        problems.append(Diagnostic(message, at: location, hint: hint))
    }

    mutating func build(_ root: YAMLNode, overrides: [(String, String)]) throws -> Pipeline {
        guard let pairs = root.mapping else {
            throw PipelineError("expected a mapping with 'slmflow', 'name' and 'stages', found \(root.kindName)", at: root.location)
        }
        checkKeys(pairs, allowed: PipelineLoader.topLevelKeys, context: "pipeline")

        if let version = root["slmflow"] {
            if case .int(let number) = scalar(version), number == PipelineLoader.formatVersion {
            } else {
                fail("unsupported format version '\(version.scalarText ?? version.kindName)'", at: version.location,
                     hint: "this slmflow reads 'slmflow: \(PipelineLoader.formatVersion)'")
            }
        } else {
            fail("missing 'slmflow: \(PipelineLoader.formatVersion)' (the format version)", at: root.location)
        }

        var name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        if let node = root["name"] {
            if let text = node.scalarText, isIdentifier(text) { name = text } else {
                fail("'name' must be a word of letters, digits, '-' and '_'", at: node.location)
            }
        }

        let params = readParams(root["params"], overrides: overrides)

        guard let stagesNode = root["stages"] else {
            fail("missing 'stages'", at: root.location, hint: "a pipeline needs at least one stage")
            throw PipelineError(problems)
        }
        guard let stagePairs = stagesNode.mapping, !stagePairs.isEmpty else {
            fail("'stages' must be a mapping of stage names to stages", at: stagesNode.location)
            throw PipelineError(problems)
        }

        var stages: [Stage] = []
        for (key, node) in stagePairs {
            guard let stageName = key.scalarText, isIdentifier(stageName) else {
                fail("a stage name must be a word of letters, digits, '-' and '_'", at: key.location)
                continue
            }
            if let stage = readStage(stageName, node, at: key.location, params: params, pipeline: name) {
                stages.append(stage)
            }
        }
        guard problems.isEmpty else { throw PipelineError(problems) }

        var graph = GraphBuilder(stages: stages, workspace: loader.workspace)
        let ordered = graph.plan()
        guard graph.problems.isEmpty else { throw PipelineError(graph.problems) }
        return Pipeline(name: name, file: file, absoluteFile: absoluteFile, params: params, stages: ordered)
    }

    // MARK: - params

    mutating func readParams(_ node: YAMLNode?, overrides: [(String, String)]) -> [String: JSONValue] {
        var params: [String: JSONValue] = [:]
        if let node {
            if let pairs = node.mapping {
                for (key, value) in pairs {
                    guard let name = key.scalarText, isIdentifier(name) else {
                        fail("a param name must be a word of letters, digits, '-' and '_'", at: key.location)
                        continue
                    }
                    if let json = plainJSON(value) { params[name] = json }
                }
            } else {
                fail("'params' must be a mapping of names to values, found \(node.kindName)", at: node.location)
            }
        }
        for (key, raw) in overrides {
            guard params[key] != nil else {
                let known = params.keys.sorted()
                fail("--set \(key)=\(raw): the pipeline has no param '\(key)'", at: nil,
                     hint: suggestion(for: key, in: known) ?? (known.isEmpty ? "it has no params" : "params are: " + known.joined(separator: ", ")))
                continue
            }
            params[key] = Self.json(YAMLScalar.resolve(raw, plain: true))
        }
        return params
    }

    /// A YAML node as JSON with no schema (params, `any` parameters, definitions).
    mutating func plainJSON(_ node: YAMLNode) -> JSONValue? {
        switch node.content {
        case .scalar(let text, let plain): return Self.json(YAMLScalar.resolve(text, plain: plain))
        case .sequence(let items): return .array(items.compactMap { plainJSON($0) })
        case .mapping(let pairs):
            var object: [String: JSONValue] = [:]
            for (key, value) in pairs {
                guard let name = key.scalarText else {
                    fail("mapping keys must be plain strings", at: key.location)
                    return nil
                }
                object[name] = plainJSON(value)
            }
            return .object(object)
        }
    }

    static func json(_ scalar: YAMLScalar) -> JSONValue {
        switch scalar {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        }
    }

    func scalar(_ node: YAMLNode) -> YAMLScalar? {
        if case .scalar(let text, let plain) = node.content { return YAMLScalar.resolve(text, plain: plain) }
        return nil
    }

    // MARK: - stages

    mutating func readStage(_ name: String, _ node: YAMLNode, at location: SourceLocation, params: [String: JSONValue], pipeline: String) -> Stage? {
        guard let pairs = node.mapping else {
            fail("stage '\(name)' must be a mapping with a 'kind', found \(node.kindName)", at: node.location)
            return nil
        }
        guard let kindNode = node["kind"] else {
            fail("stage '\(name)' has no 'kind'", at: location, hint: "kinds: " + loader.registry.names.joined(separator: ", "))
            return nil
        }
        guard let kindName = kindNode.scalarText, let kind = loader.registry.kind(named: kindName) else {
            let written = kindNode.scalarText ?? kindNode.kindName
            fail("unknown stage kind '\(written)'", at: kindNode.location,
                 hint: suggestion(for: written, in: loader.registry.names) ?? "kinds: " + loader.registry.names.joined(separator: ", "))
            return nil
        }
        let schemaNames = kind.parameters.map(\.name)
        checkKeys(pairs, allowed: PipelineLoader.stageKeys + schemaNames, context: "stage '\(name)' (kind \(kindName))")

        var interpolator = Interpolator(params: params)
        var resolved: [String: JSONValue] = [:]
        var locations: [String: SourceLocation] = [:]
        for schema in kind.parameters {
            if let valueNode = node[schema.name] {
                locations[schema.name] = valueNode.location
                if let value = typed(valueNode, schema.type, parameter: schema.name, stage: name, interpolator: &interpolator) {
                    resolved[schema.name] = value
                }
            } else if let value = schema.defaultValue {
                resolved[schema.name] = value
            } else if schema.required {
                fail("stage '\(name)' (kind \(kindName)) is missing '\(schema.name)': \(schema.help)", at: location)
            }
        }
        problems += kind.validate(resolved, locations: locations)

        var inputs: [StageInput] = []
        var outputs: [StageOutput] = []
        for schema in kind.parameters {
            guard let value = resolved[schema.name], let at = locations[schema.name] else { continue }
            collectPaths(value, schema.type, parameter: schema.name, file: schema.file, at: at, inputs: &inputs, outputs: &outputs)
        }
        for output in kind.fixedOutputs {
            outputs.append(StageOutput(name: output, path: "out/\(pipeline)/\(name)/\(output)", location: location))
        }
        var definition = plainJSON(node) ?? .null
        if case .object(var object) = definition {
            object["description"] = nil
            definition = .object(object)
        }
        return Stage(
            name: name, kind: kind, location: location, parameters: resolved, definition: definition,
            usedParams: interpolator.used, inputs: inputs, outputs: outputs, upstream: [], parameterLocations: locations)
    }

    /// Converts a node to the parameter's type, substituting `${params.…}` in strings.
    mutating func typed(_ node: YAMLNode, _ type: ParameterType, parameter: String, stage: String, interpolator: inout Interpolator) -> JSONValue? {
        func mismatch(_ found: String) -> JSONValue? {
            fail("stage '\(stage)': '\(parameter)' must be \(type), found \(found)", at: node.location)
            return nil
        }
        switch type {
        case .list(let element):
            guard let items = node.sequence else { return mismatch(node.kindName) }
            var values: [JSONValue] = []
            for item in items {
                guard let value = typed(item, element, parameter: parameter, stage: stage, interpolator: &interpolator) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .map(let element):
            guard let pairs = node.mapping else { return mismatch(node.kindName) }
            var object: [String: JSONValue] = [:]
            for (key, value) in pairs {
                guard let name = key.scalarText else { return mismatch("a non-string key") }
                guard let converted = typed(value, element, parameter: "\(parameter).\(name)", stage: stage, interpolator: &interpolator) else { return nil }
                object[name] = converted
            }
            return .object(object)
        case .any:
            return substituteAll(plainJSON(node), at: node.location, interpolator: &interpolator)
        default:
            guard case .scalar(let text, let plain) = node.content else { return mismatch(node.kindName) }
            var value = Self.json(YAMLScalar.resolve(text, plain: plain))
            if case .string(let raw) = value {
                switch interpolator.substitute(raw, at: node.location) {
                case .success(let substituted): value = substituted
                case .failure(let error):
                    problems += error.diagnostics
                    return nil
                }
            }
            return check(value, type, node: node, parameter: parameter, stage: stage)
        }
    }

    mutating func substituteAll(_ value: JSONValue?, at location: SourceLocation, interpolator: inout Interpolator) -> JSONValue? {
        guard let value else { return nil }
        switch value {
        case .string(let text):
            switch interpolator.substitute(text, at: location) {
            case .success(let substituted): return substituted
            case .failure(let error):
                problems += error.diagnostics
                return nil
            }
        case .array(let items):
            let converted = items.map { substituteAll($0, at: location, interpolator: &interpolator) }
            return converted.contains { $0 == nil } ? nil : .array(converted.compactMap { $0 })
        case .object(let members):
            var object: [String: JSONValue] = [:]
            for (key, member) in members {
                guard let converted = substituteAll(member, at: location, interpolator: &interpolator) else { return nil }
                object[key] = converted
            }
            return .object(object)
        default: return value
        }
    }

    mutating func check(_ value: JSONValue, _ type: ParameterType, node: YAMLNode, parameter: String, stage: String) -> JSONValue? {
        let found: String
        switch value {
        case .null: found = "nothing (null)"
        case .bool: found = "a boolean"
        case .int: found = "an integer"
        case .double: found = "a number"
        case .string(let s): found = "'\(s)'"
        default: found = "a structure"
        }
        switch (type, value) {
        case (.string, .string), (.integer, .int), (.number, .int), (.number, .double), (.boolean, .bool):
            return value
        case (.string, .int), (.string, .double), (.string, .bool):
            return .string(value.displayText)
        case (.inputPath, .string(let raw)), (.outputPath, .string(let raw)):
            switch PathRules.normalise(raw) {
            case .success(let path): return .string(path)
            case .failure(let problem):
                fail(problem.message, at: node.location)
                return nil
            }
        case (.stageOutput, .string(let raw)):
            return .string(raw)
        default:
            fail("stage '\(stage)': '\(parameter)' must be \(type), found \(found)", at: node.location)
            return nil
        }
    }

    func collectPaths(_ value: JSONValue, _ type: ParameterType, parameter: String, file: String? = nil, at location: SourceLocation,
                      inputs: inout [StageInput], outputs: inout [StageOutput]) {
        switch (type, value) {
        case (.list(let element), .array(let items)), (.map(let element), .array(let items)):
            for item in items {
                collectPaths(item, element, parameter: parameter, file: file, at: location, inputs: &inputs, outputs: &outputs)
            }
        case (.map(let element), .object(let members)):
            for key in members.keys.sorted() {
                collectPaths(members[key]!, element, parameter: parameter, file: file, at: location, inputs: &inputs, outputs: &outputs)
            }
        case (.inputPath, .string(let path)):
            inputs.append(StageInput(parameter: parameter, path: path, producer: nil, location: location))
        case (.stageOutput, .string(let reference)):
            // Resolved to a path by the graph builder once every stage is known.
            inputs.append(StageInput(parameter: parameter, path: "", producer: reference, location: location, file: file))
        case (.outputPath, .string(let path)):
            outputs.append(StageOutput(name: path, path: path, location: location))
        default: break
        }
    }

    mutating func checkKeys(_ pairs: [(key: YAMLNode, value: YAMLNode)], allowed: [String], context: String) {
        for (key, _) in pairs {
            guard let name = key.scalarText else {
                fail("keys must be plain strings", at: key.location)
                continue
            }
            if !allowed.contains(name) {
                fail("unknown key '\(name)' in \(context)", at: key.location,
                     hint: suggestion(for: name, in: allowed) ?? "expected one of: " + allowed.joined(separator: ", "))
            }
        }
    }

    func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy {
            ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || $0 == "-" || $0 == "_"
        }
    }
}
