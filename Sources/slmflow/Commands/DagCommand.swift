import ArgumentParser
import SLMPipeline

struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag",
        abstract: "Show the pipeline's stages and the edges between them.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, dot, mermaid }

    @OptionGroup var options: PipelineOptions

    @Option(name: .long, help: "text, dot (Graphviz) or mermaid.")
    var format: Format = .text

    func run() throws {
        let (pipeline, _) = try options.load()
        switch format {
        case .text: print(DAGRenderer.text(pipeline), terminator: "")
        case .dot: print(DAGRenderer.dot(pipeline), terminator: "")
        case .mermaid: print(DAGRenderer.mermaid(pipeline), terminator: "")
        }
    }
}
