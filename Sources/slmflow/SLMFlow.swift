import ArgumentParser
import Foundation
import SLMCore

@main
struct SLMFlow: ParsableCommand {
    static let version = SLMFlowVersion.current

    static let configuration = CommandConfiguration(
        commandName: "slmflow",
        abstract: "Declarative, cached pipelines for small-language-model experiments.",
        discussion: """
            A pipeline is a YAML file of stages; slmflow runs the stages whose inputs changed, says \
            why, and keeps every output in a content-addressed cache (cache/).
            """,
        version: version,
        subcommands: [
            RunCommand.self, StatusCommand.self, DagCommand.self, CacheCommand.self, ZooCommand.self, TokenizeCommand.self,
            GenerateCommand.self, EvalCommand.self, BenchCommand.self,
        ]
    )
}
