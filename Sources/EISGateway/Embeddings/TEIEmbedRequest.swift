import OpenInference

/// `POST /embed` as Hugging Face text-embeddings-inference defines it: `inputs` (a string or a
/// list of strings), `normalize` (default true) and `truncate` (default false: an input longer
/// than the model takes is an error, as in TEI). `truncation_direction` must be `right` when
/// given (the only one sentence-transformers uses); `prompt_name` is refused: the model has none.
public struct TEIEmbedRequest: Sendable, Equatable {
    /// The texts, in order.
    public var inputs: [String]
    /// Whether each embedding is scaled to unit length.
    public var normalize: Bool
    /// Whether inputs longer than the model takes are cut instead of refused.
    public var truncate: Bool

    /// Reads a request body.
    ///
    /// - Parameter maxInputs: the most texts one request may carry.
    /// - Throws: `GatewayError` 4xx naming the field and what is wrong.
    public init(decoding body: [UInt8], maxInputs: Int) throws(GatewayError) {
        let fields = try JSONValue.requestObject(body)
        switch fields["inputs"] {
        case .string(let text)?:
            inputs = [text]
        case .array(let items)?:
            guard !items.isEmpty else { throw .missingInput("'inputs' is an empty list") }
            guard items.count <= maxInputs else { throw .tooManyInputs("'inputs' has \(items.count) items; at most \(maxInputs)") }
            inputs = []
            inputs.reserveCapacity(items.count)
            for item in items {
                guard case .string(let text) = item else { throw .invalidParameter("'inputs' must be a string or a list of strings") }
                inputs.append(text)
            }
        case nil, .null?:
            throw .missingInput("'inputs' is required: a string or a list of strings")
        default:
            throw .invalidParameter("'inputs' must be a string or a list of strings")
        }
        guard inputs.allSatisfy({ !$0.isEmpty }) else { throw .missingInput("'inputs' holds an empty string") }
        normalize = try Self.flag(fields["normalize"], named: "normalize", default: true)
        truncate = try Self.flag(fields["truncate"], named: "truncate", default: false)
        switch fields["truncation_direction"] {
        case nil, .null?: break
        case .string(let direction)? where direction.lowercased() == "right": break
        default: throw .unsupportedParameter("'truncation_direction' must be \"right\"")
        }
        if let prompt = fields["prompt_name"], prompt != .null {
            throw .unsupportedParameter("'prompt_name' is not supported: this model has no prompts")
        }
    }

    /// A boolean field, or its default when absent or null.
    private static func flag(_ value: JSONValue?, named name: String, default defaultValue: Bool) throws(GatewayError) -> Bool {
        switch value {
        case nil, .null?: return defaultValue
        case .bool(let flag)?: return flag
        default: throw .invalidParameter("'\(name)' must be true or false")
        }
    }
}
