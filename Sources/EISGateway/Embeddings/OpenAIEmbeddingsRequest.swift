import OpenInference

/// `POST /v1/embeddings` as OpenAI's API defines it, checked: what to embed, with which model,
/// and how to encode the vectors.
///
/// `input` is a string, a list of strings, a list of token ids, or a list of such lists.
/// `encoding_format` is `float` (default) or `base64` (little-endian float32, what the official
/// Python client asks for). `dimensions` is refused: the model's width is fixed. Other fields
/// (`user`) are accepted and ignored, as OpenAI does.
public struct OpenAIEmbeddingsRequest: Sendable, Equatable {
    /// How the vectors are written in the answer.
    public enum EncodingFormat: String, Sendable {
        /// JSON numbers.
        case float
        /// Base64 of the little-endian float32 bytes.
        case base64
    }

    /// The model named, or nil to use the only embedding model.
    public var model: String?
    /// What to embed.
    public var input: EmbeddingInput
    /// How to write the vectors.
    public var encodingFormat: EncodingFormat

    /// Reads a request body.
    ///
    /// - Parameter maxInputs: the most texts or sequences one request may carry.
    /// - Throws: `GatewayError` 400s naming the field and what is wrong; the messages never
    ///   quote the input.
    public init(decoding body: [UInt8], maxInputs: Int) throws(GatewayError) {
        let fields = try JSONValue.requestObject(body)
        if let dimensions = fields["dimensions"], dimensions != .null {
            throw .unsupportedParameter("'dimensions' is not supported: this model's embeddings have a fixed width")
        }
        switch fields["model"] {
        case nil, .null?: model = nil
        case .string(let name)?: model = name
        default: throw .invalidParameter("'model' must be a string")
        }
        switch fields["encoding_format"] {
        case nil, .null?: encodingFormat = .float
        case .string(let name)? where EncodingFormat(rawValue: name) != nil: encodingFormat = EncodingFormat(rawValue: name)!
        default: throw .invalidParameter("'encoding_format' must be \"float\" or \"base64\"")
        }
        guard let raw = fields["input"], raw != .null else {
            throw .missingInput("'input' is required: a string, a list of strings, or token ids")
        }
        input = try Self.input(from: raw, maxInputs: maxInputs)
    }

    /// Reads `input` in any of its four shapes.
    static func input(from raw: JSONValue, maxInputs: Int) throws(GatewayError) -> EmbeddingInput {
        let list: [JSONValue]
        switch raw {
        case .string(let text): return .texts([try nonEmpty(text, at: nil)])
        case .array(let items): list = items
        default: throw .invalidParameter("'input' must be a string, a list of strings, or token ids")
        }
        guard !list.isEmpty else { throw .missingInput("'input' is an empty list") }
        switch list[0] {
        case .string:
            guard list.count <= maxInputs else { throw .tooManyInputs("'input' has \(list.count) items; at most \(maxInputs)") }
            var texts = [String]()
            texts.reserveCapacity(list.count)
            for (index, item) in list.enumerated() {
                guard case .string(let text) = item else { throw mixed }
                texts.append(try nonEmpty(text, at: index))
            }
            return .texts(texts)
        case .int:
            return .tokenIDs([try tokenIDs(list, at: nil)])
        case .array:
            guard list.count <= maxInputs else { throw .tooManyInputs("'input' has \(list.count) items; at most \(maxInputs)") }
            var sequences = [[Int]]()
            sequences.reserveCapacity(list.count)
            for (index, item) in list.enumerated() {
                guard case .array(let ids) = item else { throw mixed }
                sequences.append(try tokenIDs(ids, at: index))
            }
            return .tokenIDs(sequences)
        default:
            throw mixed
        }
    }

    /// The error for an `input` list whose items are not all of one accepted kind.
    private static var mixed: GatewayError {
        .invalidParameter("'input' must be a string, a list of strings, a list of token ids, or a list of such lists (not a mix)")
    }

    /// A text that is not empty (OpenAI refuses empty strings too).
    private static func nonEmpty(_ text: String, at index: Int?) throws(GatewayError) -> String {
        guard !text.isEmpty else { throw .missingInput("'input\(index.map { "[\($0)]" } ?? "")' is an empty string") }
        return text
    }

    /// A non-empty list of non-negative integers that fit a token id.
    private static func tokenIDs(_ list: [JSONValue], at index: Int?) throws(GatewayError) -> [Int] {
        let place = "'input\(index.map { "[\($0)]" } ?? "")'"
        guard !list.isEmpty else { throw .missingInput("\(place) is an empty list of token ids") }
        var ids = [Int]()
        ids.reserveCapacity(list.count)
        for item in list {
            guard case .int(let id) = item, id >= 0, id <= Int64(Int32.max) else {
                throw .invalidParameter("\(place) must hold non-negative integer token ids")
            }
            ids.append(Int(id))
        }
        return ids
    }
}
