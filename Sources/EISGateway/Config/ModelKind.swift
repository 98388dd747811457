/// What a `[[models]]` entry's `path` holds, and so how the gateway serves it.
public enum ModelKind: String, Sendable, Equatable, CaseIterable {
    /// A safetensors file: one linear layer (`layer`), or a sequential network (`steps`),
    /// served on `/infer` and the Open Inference routes.
    case safetensors
    /// A Hugging Face BERT-family folder (`config.json`, `model.safetensors`, `tokenizer.json`
    /// or `vocab.txt`, sentence-transformers files): a sentence encoder served on
    /// `/v1/embeddings` and `/embed`.
    case bertEncoder = "bert-encoder"
}
