import Foundation
import Hummingbird

/// Error bodies in the shapes embedding clients parse, so an application's own error handling
/// keeps working when it points at the gateway.
enum EmbeddingErrorBodies {
    /// OpenAI's `{"error":{"message":…,"type":…,"param":null,"code":…}}`: `type` is
    /// `invalid_request_error` for the client's mistakes and `server_error` for the gateway's.
    static func openAI(_ error: GatewayError) -> [UInt8] {
        struct Body: Encodable {
            struct Detail: Encodable {
                let message: String
                let type: String
                let param: String?
                let code: String

                func encode(to encoder: any Encoder) throws {
                    var container = encoder.container(keyedBy: CodingKeys.self)
                    try container.encode(message, forKey: .message)
                    try container.encode(type, forKey: .type)
                    try container.encode(param, forKey: .param)
                    try container.encode(code, forKey: .code)
                }

                enum CodingKeys: String, CodingKey { case message, type, param, code }
            }
            let error: Detail
        }
        let type = error.status.code >= 500 ? "server_error" : "invalid_request_error"
        return encode(Body(error: .init(message: error.message, type: type, param: nil, code: error.code)))
    }

    /// text-embeddings-inference's `{"error":…,"error_type":…}`: `validation` for the client's
    /// mistakes, `unhealthy` when too few backends can serve, `backend` for other failures.
    static func textEmbeddingsInference(_ error: GatewayError) -> [UInt8] {
        struct Body: Encodable {
            let error: String
            let errorType: String

            enum CodingKeys: String, CodingKey {
                case error
                case errorType = "error_type"
            }
        }
        let type = switch error.status.code {
        case ..<500: "validation"
        case 503: "unhealthy"
        default: "backend"
        }
        return encode(Body(error: "\(error.code): \(error.message)", errorType: type))
    }

    private static func encode(_ body: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(body)) ?? Data())
    }
}
