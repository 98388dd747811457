public import Foundation

/// The fields of a Hugging Face BERT `config.json` that the encoder needs, checked for what EIS supports.
public struct BertConfiguration: Sendable, Equatable {
    /// The width of every token's hidden state.
    public let hiddenSize: Int
    /// The number of attention heads (they split `hiddenSize` evenly).
    public let attentionHeads: Int
    /// The number of encoder layers.
    public let hiddenLayers: Int
    /// The width of the feed-forward layer.
    public let intermediateSize: Int
    /// LayerNorm's epsilon.
    public let layerNormEpsilon: Double
    /// The number of position embeddings (the longest sequence).
    public let maxPositionEmbeddings: Int
    /// The number of token types (segments).
    public let typeVocabularySize: Int
    /// The vocabulary size.
    public let vocabularySize: Int
    /// The id of the padding token.
    public let padTokenId: Int

    private struct File: Decodable {
        // swiftlint:disable identifier_name
        let hidden_size: Int
        let num_attention_heads: Int
        let num_hidden_layers: Int
        let intermediate_size: Int
        let layer_norm_eps: Double?
        let max_position_embeddings: Int
        let type_vocab_size: Int?
        let vocab_size: Int
        let hidden_act: String?
        let pad_token_id: Int?
        let position_embedding_type: String?
        let model_type: String?
        // swiftlint:enable identifier_name
    }

    /// Parses and checks `config.json`.
    ///
    /// - Throws: `ModelPlanError.invalidModel` for JSON that is not a BERT configuration, a
    ///   non-positive size, heads that do not divide the hidden size, or an activation or position
    ///   embedding EIS does not compute exactly (only `hidden_act = "gelu"`, the erf form, and
    ///   absolute positions).
    public init(json: Data, path: String = "config.json") throws(ModelPlanError) {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: json) } catch {
            throw .invalidModel("\(path) is not a BERT configuration: \(error)")
        }
        if let type = file.model_type, type != "bert" {
            throw .invalidModel("\(path): model_type '\(type)' is not supported (bert)")
        }
        guard file.hidden_act == "gelu" else {
            throw .invalidModel("\(path): hidden_act '\(file.hidden_act ?? "missing")' is not supported; only \"gelu\" (the exact erf form) is")
        }
        guard file.position_embedding_type == nil || file.position_embedding_type == "absolute" else {
            throw .invalidModel("\(path): position_embedding_type '\(file.position_embedding_type ?? "")' is not supported (absolute)")
        }
        let sizes = [("hidden_size", file.hidden_size), ("num_attention_heads", file.num_attention_heads),
                     ("num_hidden_layers", file.num_hidden_layers), ("intermediate_size", file.intermediate_size),
                     ("max_position_embeddings", file.max_position_embeddings), ("type_vocab_size", file.type_vocab_size ?? 2),
                     ("vocab_size", file.vocab_size)]
        for (key, value) in sizes where value <= 0 || value > 1 << 20 {
            throw .invalidModel("\(path): \(key) = \(value) is not a plausible size")
        }
        guard file.hidden_size % file.num_attention_heads == 0 else {
            throw .invalidModel("\(path): hidden_size \(file.hidden_size) is not divisible by num_attention_heads \(file.num_attention_heads)")
        }
        let epsilon = file.layer_norm_eps ?? 1e-12
        guard epsilon.isFinite, epsilon >= 0 else { throw .invalidModel("\(path): layer_norm_eps \(epsilon) is not a non-negative number") }
        hiddenSize = file.hidden_size
        attentionHeads = file.num_attention_heads
        hiddenLayers = file.num_hidden_layers
        intermediateSize = file.intermediate_size
        layerNormEpsilon = epsilon
        maxPositionEmbeddings = file.max_position_embeddings
        typeVocabularySize = file.type_vocab_size ?? 2
        vocabularySize = file.vocab_size
        padTokenId = file.pad_token_id ?? 0
    }
}
