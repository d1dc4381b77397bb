import Foundation
import SLMModels
import SLMPipeline
import SLMTrain

/// The start of every training-like stage (`train`, `distill`): resume from the latest
/// checkpoint under this stage key (`<state>/checkpoints`, surviving kills), or build the
/// model with `fresh` and start at step 0.
enum ResumableTrainer {
    static func checkpoints(_ invocation: StageInvocation) -> String { invocation.stateDirectory + "/checkpoints" }

    /// `fresh` returns the new model and the log line that announces it.
    static func resumeOrStart(
        _ invocation: StageInvocation, stage: String, log: StageLog, options: TrainingOptions,
        fresh: () throws -> (model: AnyModel, announcement: String)
    ) throws -> (trainer: Trainer, curve: LossCurve) {
        let folder = checkpoints(invocation)
        if let latest = Trainer.latestCheckpoint(in: folder), FileManager.default.fileExists(atPath: latest) {
            let trainer: Trainer
            let curve: LossCurve
            do {
                trainer = try Trainer.resume(from: latest)
                curve = try LossCurve.load(LossCurve.checkpointPath(folder, step: trainer.step))
            } catch {
                throw StageFailure("\(stage): cannot resume from \(latest): \(error) (delete \(invocation.stateDirectory) to start over)")
            }
            log.write("resuming from step \(trainer.step) (\(latest))")
            invocation.notice("resuming from its checkpoint at step \(trainer.step)")
            return (trainer, curve)
        }
        let (model, announcement) = try fresh()
        log.write(announcement)
        return (Trainer(model: model, options: options), LossCurve())
    }

    /// After step `step`: a checkpoint (the loss curve first, so a checkpoint that exists always
    /// has its curve) every `interval` steps, except at the last step (the stage's output is).
    static func checkpointIfDue(_ trainer: Trainer, curve: LossCurve, step: Int, interval: Int, steps: Int,
                                in folder: String, log: StageLog, stage: String) throws {
        guard interval > 0 && step % interval == 0 && step < steps else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try curve.save(LossCurve.checkpointPath(folder, step: step))
            try trainer.saveCheckpoint(in: folder)
        } catch {
            throw StageFailure("\(stage): writing the checkpoint at step \(step): \(error)")
        }
        log.write("checkpoint at step \(step)")
    }
}
