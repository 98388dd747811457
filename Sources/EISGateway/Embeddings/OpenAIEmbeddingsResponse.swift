import Foundation

/// The answer to `POST /v1/embeddings`, in OpenAI's shape: a list of embeddings in input order,
/// the model's name, and the tokens the inputs took.
struct OpenAIEmbeddingsResponse: Encodable {
    /// One embedding.
    struct Item: Encodable {
        let object = "embedding"
        let index: Int
        let embedding: Vector
    }

    /// A vector as JSON numbers, or as base64 of its little-endian float32 bytes.
    enum Vector: Encodable {
        case float([Float])
        case base64(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .float(let values): try container.encode(values)
            case .base64(let text): try container.encode(text)
            }
        }
    }

    /// Tokens read, as OpenAI counts them (the tokenizer's, special tokens included).
    struct Usage: Encodable {
        let promptTokens: Int
        let totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }

    let object = "list"
    let data: [Item]
    let model: String
    let usage: Usage

    /// The answer for `vectors` (in input order) from `model`, which read `promptTokens` tokens.
    init(vectors: [[Float]], model: String, promptTokens: Int, format: OpenAIEmbeddingsRequest.EncodingFormat) {
        data = vectors.enumerated().map { index, vector in
            Item(index: index, embedding: format == .float ? .float(vector) : .base64(Self.base64(vector)))
        }
        self.model = model
        usage = Usage(promptTokens: promptTokens, totalTokens: promptTokens)
    }

    /// The vector's float32 values as little-endian bytes, in base64 (what `numpy.frombuffer(…,
    /// dtype="float32")` reads back, as the official Python client does).
    static func base64(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }

    /// The JSON body.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        // Sorted keys: the same answer is the same bytes.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
