import SLMPipeline

/// The stage kinds this module provides, for the command line's registry.
public enum SLMStages {
    public static var kinds: [any StageKind] { [SynthQAStageKind(), TokenizeStageKind(), FetchDatasetStageKind(), TrainStageKind(), DistillStageKind(), EvaluateStageKind(), PullStageKind()] }
}
