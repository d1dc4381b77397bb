import ArgumentParser
import Foundation
import SLMCore
import SLMZoo

struct ZooTag: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Give a model another name:tag (blobs are shared).")
    @Argument(help: "The existing model.") var source: String
    @Argument(help: "The new name[:tag].") var target: String
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let manifest = try workspace.zoo.tag(source, as: target)
        print("tagged \(manifest.reference) @\(manifest.digest.short)")
    }
}

struct ZooRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove name:tag from the zoo; `zoo gc` frees blobs no model uses.")
    @Argument(help: "The models.") var models: [String]
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        for model in models {
            let removed = try workspace.zoo.remove(model)
            print("removed \(removed.reference)")
        }
    }
}

struct ZooCollect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove blobs no manifest references (shared blobs stay).")
    @Flag(name: .long, help: "Say what would be removed without removing it.") var dryRun = false
    @Flag(name: .long, help: "Also delete interrupted downloads (zoo/downloads/…/*.partial), which a later pull would resume.")
    var removePartials = false
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let report = try workspace.zoo.collectGarbage(dryRun: dryRun, removePartials: removePartials)
        print("\(dryRun ? "would remove" : "removed") \(report.removedBlobs) blobs (\(bytes(report.freedBytes))); kept \(report.keptBlobs)"
              + (report.removedTemporaries > 0 ? "; removed \(report.removedTemporaries) abandoned temporaries" : ""))
        if report.partialDownloads > 0 {
            let verb = removePartials && !dryRun ? "removed" : "kept (for resuming; --remove-partials deletes them)"
            print("\(report.partialDownloads) interrupted downloads, \(bytes(report.partialBytes)): \(verb)")
        }
    }
}

struct ZooVerify: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Re-hash the blobs of every model (or the given ones).")
    @Argument(help: "Models to check (default: all).") var models: [String] = []
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let zoo = workspace.zoo
        let selection = models.isEmpty ? nil : try models.map { try zoo.resolve($0) }
        let report = try zoo.verify(selection)
        for problem in report.problems { print("problem: \(problem)") }
        print("\(report.checkedBlobs) blobs checked, \(report.problems.count) problems")
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}
