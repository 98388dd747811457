/// What one step of a model plan does.
///
/// `linear` is the only operation that leaves the gateway: each one is a share round (its input
/// freshly encoded and shared, the servers computing `W·xᵢ`, the bias added locally). Everything
/// else is computed on the gateway.
public enum PlanOperation: Sendable {
    /// `y = W·x + b` with the named layer of the plan; outsourced as one round.
    case linear(String)
    /// `max(0, x)`.
    case relu
    /// The exact (erf) GELU.
    case gelu
    /// `tanh(x)`.
    case tanh
    /// The logistic function.
    case sigmoid
    /// Row-wise, stable softmax.
    case softmax
    /// Layer normalisation of each row.
    case layerNorm(LayerNormParameters)
    /// The element-wise sum of two values (a residual connection); the step's two inputs.
    case add
    /// Word + position + token-type embedding lookup of the plan's token input.
    case embedding(EmbeddingTables)
    /// Multi-head self-attention on a fused QKV value, masked by the token batch.
    case selfAttention(heads: Int)
    /// The mean over each sequence's real tokens.
    case meanPooling
    /// Each row divided by its Euclidean norm.
    case l2Normalize

    /// A short name for messages and metric labels.
    public var label: String {
        switch self {
        case .linear(let layer): "linear \(layer)"
        case .relu: "relu"
        case .gelu: "gelu"
        case .tanh: "tanh"
        case .sigmoid: "sigmoid"
        case .softmax: "softmax"
        case .layerNorm: "layer_norm"
        case .add: "add"
        case .embedding: "embedding"
        case .selfAttention: "self_attention"
        case .meanPooling: "mean_pooling"
        case .l2Normalize: "l2_normalize"
        }
    }

    /// The element-wise operations a sequential model names by keyword, e.g. `"relu"`.
    public static func elementwise(named keyword: String) -> PlanOperation? {
        switch keyword {
        case "relu": .relu
        case "gelu": .gelu
        case "tanh": .tanh
        case "sigmoid": .sigmoid
        case "softmax": .softmax
        case "l2_normalize": .l2Normalize
        default: nil
        }
    }

    /// The keywords `elementwise(named:)` accepts.
    public static let elementwiseKeywords = ["relu", "gelu", "tanh", "sigmoid", "softmax", "l2_normalize"]
}
