import Testing
import SLMCore
@testable import SLMEval

@Suite struct ComparisonTableTests {
    static func sample() throws -> ComparisonTable {
        var table = ComparisonTable()
        try table.set(model: "mu-kd", task: "squad2", metric: "f1", value: 71.225)
        try table.set(model: "mu-kd", task: "xsum", metric: "rougeL", value: 0.27)
        try table.set(model: "decoder-kd", task: "squad2", metric: "f1", value: 60.5)
        try table.set(model: "decoder-kd", task: "xsum", metric: "rougeL", value: 0.27)
        // A metric added later for the first task stays next to that task's other column.
        try table.set(model: "decoder-kd", task: "squad2", metric: "exact", value: 55)
        try table.set(model: "mu-kd", task: "loss", metric: "nll", value: 2.5, higherIsBetter: false)
        try table.set(model: "decoder-kd", task: "loss", metric: "nll", value: 2.1, higherIsBetter: false)
        return table
    }

    @Test func columnsKeepTaskGroupsAndScoresFollowTheirColumns() throws {
        let table = try Self.sample()
        #expect(table.models == ["mu-kd", "decoder-kd"])
        #expect(table.columns.map { "\($0.task)/\($0.metric)" } == ["squad2/f1", "squad2/exact", "xsum/rougeL", "loss/nll"])
        #expect(table.value(model: "mu-kd", task: "xsum", metric: "rougeL") == 0.27)
        #expect(table.value(model: "mu-kd", task: "squad2", metric: "exact") == nil)
        #expect(table.value(model: "decoder-kd", task: "squad2", metric: "exact") == 55)
    }

    @Test func bestRespectsDirectionAndTies() throws {
        let table = try Self.sample()
        #expect(table.bestModels(task: "squad2", metric: "f1") == ["mu-kd"])
        #expect(table.bestModels(task: "xsum", metric: "rougeL") == ["mu-kd", "decoder-kd"])
        #expect(table.bestModels(task: "loss", metric: "nll") == ["decoder-kd"])
        #expect(table.bestModels(task: "none", metric: "x").isEmpty)
    }

    @Test func markdownIsAlignedWithBestInBold() throws {
        let markdown = try Self.sample().markdown(decimals: 2)
        let expected = """
            | model      | squad2 f1 | squad2 exact | xsum rougeL | loss nll ↓ |
            |:-----------|----------:|-------------:|------------:|-----------:|
            | mu-kd      | **71.22** |            — |    **0.27** |       2.50 |
            | decoder-kd |     60.50 |    **55.00** |    **0.27** |   **2.10** |

            """
        #expect(markdown == expected)
    }

    @Test func jsonRoundTripsWithAStableSchema() throws {
        let table = try Self.sample()
        let json = table.json
        #expect(json.objectValue?["schema_version"] == .int(1))
        #expect(json.objectValue?["schema"] == .string("slmflow.comparison_table"))
        let scores = try #require(json.objectValue?["scores"]?.objectValue?["mu-kd"]?.objectValue)
        #expect(scores["squad2"] == .object(["f1": .double(71.225)]))
        let reread = try ComparisonTable(json: json)
        #expect(reread == table)
        #expect(reread.json.canonicalText == json.canonicalText)
    }

    @Test func rejectsNonFiniteScoresConflictsAndForeignJSON() throws {
        var table = ComparisonTable()
        #expect(throws: ComparisonTable.TableError.self) {
            try table.set(model: "m", task: "t", metric: "x", value: .nan)
        }
        try table.set(model: "m", task: "t", metric: "x", value: 1)
        #expect(throws: ComparisonTable.TableError.conflictingDirection(task: "t", metric: "x")) {
            try table.set(model: "m", task: "t", metric: "x", value: 1, higherIsBetter: false)
        }
        #expect(throws: ComparisonTable.TableError.self) {
            try ComparisonTable(json: .object(["schema": "other"]))
        }
    }
}
