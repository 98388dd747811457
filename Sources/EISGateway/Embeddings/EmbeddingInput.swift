/// What a client asks to embed: texts for the model's tokenizer, or token ids it made itself.
public enum EmbeddingInput: Sendable, Equatable {
    /// One or more texts.
    case texts([String])
    /// One or more sequences of token ids (OpenAI's `input` as integers).
    case tokenIDs([[Int]])

    /// How many embeddings the answer holds.
    public var count: Int {
        switch self {
        case .texts(let texts): texts.count
        case .tokenIDs(let sequences): sequences.count
        }
    }
}
