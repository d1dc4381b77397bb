import Foundation
import SLMCore

/// Ancestors and descendants among the zoo's models, following typed lineage edges.
/// An edge points at a zoo model when its digest (or, without one, its `name:tag`)
/// matches; other targets (datasets, URLs, files) are leaves.
public struct LineageGraph {
    public struct Node: Sendable, Equatable {
        /// `name:tag` for zoo models, the raw target otherwise.
        public var label: String
        public var relation: ModelManifest.LineageEdge.Relation?
        public var children: [Node]
        /// A zoo model's digest, or the edge's digest for a leaf (data, tokenizer, source file).
        public var digest: Digest? = nil
        /// A zoo model's metrics (evaluation scores, final losses, …).
        public var metrics: [String: Double] = [:]
    }

    let models: [ModelManifest]

    public init(models: [ModelManifest]) { self.models = models }

    func model(for edge: ModelManifest.LineageEdge) -> ModelManifest? {
        if let digest = edge.digest, let match = models.first(where: { $0.digest == digest }) { return match }
        let target = edge.target.split(separator: "@").first.map(String.init) ?? edge.target
        return models.first { $0.reference == target || ($0.name == target && $0.tag == ModelReference.defaultTag) }
    }

    /// The model and what it came from, recursively (cycles and depth bounded).
    public func ancestors(of root: ModelManifest) -> Node {
        func walk(_ manifest: ModelManifest, _ relation: ModelManifest.LineageEdge.Relation?, _ seen: Set<String>) -> Node {
            var children: [Node] = []
            for edge in manifest.lineage {
                if let parent = model(for: edge), !seen.contains(parent.reference), seen.count < 64 {
                    children.append(walk(parent, edge.relation, seen.union([parent.reference])))
                } else {
                    children.append(Node(label: edge.target, relation: edge.relation, children: [], digest: edge.digest))
                }
            }
            return Node(label: manifest.reference, relation: relation, children: children, digest: manifest.digest,
                        metrics: manifest.metrics)
        }
        return walk(root, nil, [root.reference])
    }

    /// The model and every model made from it (distilled from it as a teacher, initialised from it, …).
    public func descendants(of root: ModelManifest) -> Node {
        func walk(_ manifest: ModelManifest, _ relation: ModelManifest.LineageEdge.Relation?, _ seen: Set<String>) -> Node {
            var children: [Node] = []
            for child in models where !seen.contains(child.reference) && seen.count < 64 {
                for edge in child.lineage where model(for: edge)?.reference == manifest.reference {
                    children.append(walk(child, edge.relation, seen.union([child.reference])))
                }
            }
            return Node(label: manifest.reference, relation: relation, children: children, digest: manifest.digest,
                        metrics: manifest.metrics)
        }
        return walk(root, nil, [root.reference])
    }

    // MARK: - rendering

    public enum Format: String, CaseIterable, Sendable { case tree, dot, mermaid, json }

    /// "  @1a2b3c4d5e6f" beside a label.
    static func digestNote(_ node: Node) -> String { node.digest.map { "  @" + $0.short } ?? "" }

    /// "metrics: squad2/exact 52.5, validation_loss 1.62" — a line under a model's label.
    static func metricsLine(_ node: Node) -> String? {
        guard !node.metrics.isEmpty else { return nil }
        return "metrics: " + node.metrics.sorted { $0.key < $1.key }
            .map { "\($0.key) \(String(format: "%.4g", $0.value))" }.joined(separator: ", ")
    }

    /// Ancestor graphs draw edges from each parent to its child; descendant graphs from the root down.
    public static func render(_ root: Node, format: Format, ancestors: Bool) -> String {
        switch format {
        case .tree:
            var lines = [root.label + digestNote(root)]
            if let metrics = metricsLine(root) { lines.append((root.children.isEmpty ? "   " : "│  ") + metrics) }
            func walk(_ node: Node, _ prefix: String) {
                for (index, child) in node.children.enumerated() {
                    let last = index == node.children.count - 1
                    lines.append(prefix + (last ? "└─ " : "├─ ") + "\(child.relation?.rawValue ?? ""): \(child.label)" + digestNote(child))
                    if let metrics = metricsLine(child) {
                        lines.append(prefix + (last ? "   " : "│  ") + (child.children.isEmpty ? "   " : "│  ") + metrics)
                    }
                    walk(child, prefix + (last ? "   " : "│  "))
                }
            }
            walk(root, "")
            return lines.joined(separator: "\n")
        case .dot, .mermaid:
            var ids: [String: String] = [:]
            func id(_ label: String) -> String {
                if let existing = ids[label] { return existing }
                let new = "n\(ids.count)"
                ids[label] = new
                return new
            }
            var edges: [String] = [], nodes: [String] = []
            func walk(_ node: Node) {
                if ids[node.label] == nil {
                    let escaped = node.label.replacingOccurrences(of: "\"", with: "'")
                    nodes.append(format == .dot ? "  \(id(node.label)) [label=\"\(escaped)\"];" : "  \(id(node.label))[\"\(escaped)\"]")
                }
                for child in node.children {
                    walk(child)
                    let (from, to) = ancestors ? (id(child.label), id(node.label)) : (id(node.label), id(child.label))
                    let relation = child.relation?.rawValue ?? ""
                    edges.append(format == .dot ? "  \(from) -> \(to) [label=\"\(relation)\"];" : "  \(from) -->|\(relation)| \(to)")
                }
            }
            walk(root)
            let body = (nodes + Array(NSOrderedSet(array: edges)).compactMap { $0 as? String }).joined(separator: "\n")
            return format == .dot ? "digraph lineage {\n  rankdir=BT;\n\(body)\n}" : "graph BT\n\(body)"
        case .json:
            func value(_ node: Node) -> JSONValue {
                var object: [String: JSONValue] = ["model": .string(node.label), "parents": .array(node.children.map(value))]
                if let relation = node.relation { object["relation"] = .string(relation.rawValue) }
                if let digest = node.digest { object["digest"] = .string(digest.hex) }
                if !node.metrics.isEmpty { object["metrics"] = .object(node.metrics.mapValues { .double($0) }) }
                if !ancestors { object["children"] = object.removeValue(forKey: "parents") }
                return .object(object)
            }
            return value(root).canonicalText
        }
    }
}
