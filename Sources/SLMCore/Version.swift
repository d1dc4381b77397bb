/// slmflow's version: shown by `slmflow --version` and recorded in what it produces.
public enum SLMFlowVersion {
    public static let current = "0.1.0"
}
