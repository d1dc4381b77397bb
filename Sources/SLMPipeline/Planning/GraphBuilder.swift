import SLMCore

/// Turns checked stages into a DAG: finds who produces each input, refuses two stages
/// writing one path, dangling references and cycles, and orders the stages.
struct GraphBuilder {
    var stages: [Stage]
    let workspace: String
    var problems: [Diagnostic] = []

    init(stages: [Stage], workspace: String) {
        self.stages = stages
        self.workspace = workspace
    }

    mutating func plan() -> [Stage] {
        checkOutputsAreDisjoint()
        resolveInputs()
        guard problems.isEmpty else { return stages }
        return orderOrReportCycle()
    }

    mutating func checkOutputsAreDisjoint() {
        var seen: [(stage: String, output: StageOutput)] = []
        for stage in stages {
            for output in stage.outputs {
                if let other = seen.first(where: {
                    PathRules.contains($0.output.path, output.path) || PathRules.contains(output.path, $0.output.path)
                }) {
                    let same = other.output.path == output.path
                    problems.append(Diagnostic(
                        same
                            ? "stages '\(other.stage)' and '\(stage.name)' both write '\(output.path)'"
                            : "'\(output.path)' of stage '\(stage.name)' overlaps '\(other.output.path)' of stage '\(other.stage)'",
                        at: output.location,
                        hint: "'\(other.stage)' declares it at line \(other.output.location.line); each path has one producer"))
                }
                seen.append((stage.name, output))
            }
        }
    }

    mutating func resolveInputs() {
        let names = stages.map(\.name)
        for index in stages.indices {
            var upstream = Set<String>()
            var resolved: [StageInput] = []
            for var input in stages[index].inputs {
                if let reference = input.producer, input.path.isEmpty {
                    guard let (path, producer) = resolve(reference: reference, from: stages[index].name, at: input.location, names: names) else { continue }
                    input.path = input.file.map { path + "/" + $0 } ?? path
                    input.producer = producer
                } else {
                    input.producer = stages.first { other in
                        other.outputs.contains {
                            PathRules.contains($0.path, input.path) || PathRules.contains(input.path, $0.path)
                        }
                    }?.name
                }
                if input.producer == stages[index].name {
                    problems.append(Diagnostic(
                        "stage '\(stages[index].name)' reads '\(input.path)', which it writes itself", at: input.location))
                    continue
                }
                if let producer = input.producer { upstream.insert(producer) }
                resolved.append(input)
            }
            stages[index].inputs = resolved
            stages[index].upstream = upstream
        }
    }

    /// `stage` (its only output) or `stage.output`.
    mutating func resolve(reference: String, from stage: String, at location: SourceLocation, names: [String]) -> (String, String)? {
        var stageName = reference, outputName: String?
        if stages.first(where: { $0.name == reference }) == nil, let dot = reference.lastIndex(of: ".") {
            stageName = String(reference[..<dot])
            outputName = String(reference[reference.index(after: dot)...])
        }
        guard let target = stages.first(where: { $0.name == stageName }) else {
            problems.append(Diagnostic(
                "stage '\(stage)' refers to '\(reference)', but there is no stage '\(stageName)'", at: location,
                hint: suggestion(for: stageName, in: names) ?? "stages: " + names.joined(separator: ", ")))
            return nil
        }
        let available = target.outputs.map(\.name)
        if let outputName {
            guard let output = target.outputs.first(where: { $0.name == outputName }) else {
                problems.append(Diagnostic(
                    "stage '\(target.name)' has no output '\(outputName)'", at: location,
                    hint: suggestion(for: outputName, in: available) ?? "its outputs: " + available.joined(separator: ", ")))
                return nil
            }
            return (output.path, target.name)
        }
        if target.outputs.count > 1, let primary = target.kind.primaryOutput,
            let output = target.outputs.first(where: { $0.name == primary })
        {
            return (output.path, target.name)
        }
        guard target.outputs.count == 1 else {
            problems.append(Diagnostic(
                "stage '\(target.name)' has \(target.outputs.count) outputs; say which one", at: location,
                hint: "write one of: " + available.map { "\(target.name).\($0)" }.joined(separator: ", ")))
            return nil
        }
        return (target.outputs[0].path, target.name)
    }

    /// Kahn's algorithm, taking ready stages in file order; on a cycle, reports it.
    mutating func orderOrReportCycle() -> [Stage] {
        var remaining = stages
        var done = Set<String>()
        var ordered: [Stage] = []
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { $0.upstream.isSubset(of: done) }) else {
                reportCycle(among: remaining)
                return stages
            }
            let stage = remaining.remove(at: next)
            done.insert(stage.name)
            ordered.append(stage)
        }
        return ordered
    }

    mutating func reportCycle(among remaining: [Stage]) {
        let byName = Dictionary(uniqueKeysWithValues: remaining.map { ($0.name, $0) })
        // Walk upstream edges from any stuck stage until a stage repeats: that is a cycle.
        var path: [String] = []
        var current = remaining[0].name
        while !path.contains(current) {
            path.append(current)
            guard let stage = byName[current], let parent = stage.upstream.sorted().first(where: { byName[$0] != nil }) else { break }
            current = parent
        }
        let start = path.firstIndex(of: current) ?? 0
        let loop = Array(path[start...].reversed())  // data-flow order: producer before reader
        let cycle = loop + [loop[0]]
        let first = byName[cycle[1]] ?? remaining[0]
        let edge = first.inputs.first { $0.producer == cycle[0] }
        problems.append(Diagnostic(
            "the stages form a cycle: " + cycle.joined(separator: " → "),
            at: edge?.location ?? first.location,
            hint: "a stage cannot depend, even indirectly, on its own output"))
    }
}
