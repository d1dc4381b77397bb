import SLMCore
import SLMPipeline

/// Typed reads of a stage's resolved parameters (the planner has checked their types).
struct StageParameters {
    let values: [String: JSONValue]

    func int(_ name: String, _ fallback: Int) -> Int { values[name]?.intValue.map { Int($0) } ?? fallback }
    func double(_ name: String, _ fallback: Double) -> Double { values[name]?.doubleValue ?? fallback }
    func string(_ name: String, _ fallback: String) -> String { values[name]?.stringValue ?? fallback }
    func optionalString(_ name: String) -> String? { values[name]?.stringValue }
    func bool(_ name: String, _ fallback: Bool) -> Bool { values[name]?.boolValue ?? fallback }
    func strings(_ name: String) -> [String] { values[name]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    func isSet(_ name: String) -> Bool {
        guard let value = values[name] else { return false }
        if case .null = value { return false }
        return true
    }
}

/// Range checks shared by the kinds' `validate`.
func checkRange(_ parameters: [String: JSONValue], _ name: String, _ range: ClosedRange<Double>,
                locations: [String: SourceLocation], into problems: inout [Diagnostic]) {
    guard let value = parameters[name]?.doubleValue else { return }
    if !range.contains(value) {
        problems.append(Diagnostic("'\(name)' must be in \(range.lowerBound)...\(range.upperBound), got \(value)", at: locations[name]))
    }
}

func checkChoice(_ parameters: [String: JSONValue], _ name: String, _ choices: [String],
                 locations: [String: SourceLocation], into problems: inout [Diagnostic]) {
    guard let value = parameters[name]?.stringValue else { return }
    if !choices.contains(value) {
        problems.append(Diagnostic("'\(name)' must be one of \(choices.joined(separator: ", ")), got '\(value)'", at: locations[name]))
    }
}
