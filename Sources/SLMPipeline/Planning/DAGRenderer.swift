import Foundation

/// The pipeline's DAG as text for a terminal, Graphviz DOT, or Mermaid.
public enum DAGRenderer {
    /// One line per stage in run order, with what it reads from.
    public static func text(_ pipeline: Pipeline) -> String {
        var out = "\(pipeline.name): \(pipeline.stages.count) stages\n"
        for stage in pipeline.stages {
            let from = stage.upstream.sorted()
            out += "  \(stage.name) [\(stage.kind.name)]"
            if !from.isEmpty { out += " ← " + from.joined(separator: ", ") }
            out += "\n"
            for output in stage.outputs { out += "      → \(output.path)\n" }
        }
        return out
    }

    public static func dot(_ pipeline: Pipeline) -> String {
        var out = "digraph \"\(escape(pipeline.name))\" {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
        for stage in pipeline.stages {
            out += "  \"\(escape(stage.name))\" [label=\"\(escape(stage.name))\\n(\(escape(stage.kind.name)))\"];\n"
        }
        for stage in pipeline.stages {
            for parent in stage.upstream.sorted() { out += "  \"\(escape(parent))\" -> \"\(escape(stage.name))\";\n" }
        }
        return out + "}\n"
    }

    public static func mermaid(_ pipeline: Pipeline) -> String {
        var out = "flowchart LR\n"
        for stage in pipeline.stages { out += "  \(id(stage.name))[\"\(stage.name) (\(stage.kind.name))\"]\n" }
        for stage in pipeline.stages {
            for parent in stage.upstream.sorted() { out += "  \(id(parent)) --> \(id(stage.name))\n" }
        }
        return out
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// Mermaid ids may not contain '-'.
    private static func id(_ name: String) -> String {
        "s_" + name.replacingOccurrences(of: "-", with: "_")
    }
}
