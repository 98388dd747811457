import EISCore
public import Hummingbird
import Foundation
import NIOCore

/// An error the share server answers with: an HTTP status plus the JSON `ErrorBody`.
public struct ServerError: HTTPResponseError, CustomStringConvertible {
    /// HTTP status.
    public let status: HTTPResponse.Status
    /// Stable code.
    public let code: String
    /// Explanation for people.
    public let message: String

    /// Creates an error.
    public init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// Renders the JSON body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(ErrorBody(code: code, message: message))) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// Maps a protocol decoding failure: oversize dimensions are 413, the rest 400.
    static func from(_ error: ProtocolError) -> ServerError {
        let status: HTTPResponse.Status = error.code == ProtocolError.tooLarge("").code ? .contentTooLarge : .badRequest
        return ServerError(status: status, code: error.code, message: error.message)
    }
}
