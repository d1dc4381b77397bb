/// The seed's checkpoints (seed-spec §1.7) carry their MuConfig fields bare: no `model_type`,
/// no `architectures`. A config without a type that has `markerKey` is a Mu. The zoo's
/// importers and the model loader both read configs this way; this is their one rule.
public enum SeedMuConfig {
    public static let markerKey = "n_encoder_layer"
    public static let modelType = "mu"
}
