/// What is added around an encoded sequence when special tokens are on (tokenizer.json
/// `post_processor`); only single sequences are encoded here.
public indirect enum PostProcessor: Sendable {
    /// TemplateProcessing's `single` template: ids before and after the sequence.
    case template(prefix: [Int32], suffix: [Int32])
    case sequence([PostProcessor])
    /// ByteLevel's post-processing only moves offsets: ids pass through.
    case identity

    public func apply(_ ids: [Int32]) -> [Int32] {
        switch self {
        case .template(let prefix, let suffix): return prefix + ids + suffix
        case .sequence(let steps): return steps.reduce(ids) { $1.apply($0) }
        case .identity: return ids
        }
    }
}
