/// An encoded inference message: the HTTP body, and the JSON header's length when tensors
/// follow it in binary (the binary tensor data extension).
public struct InferenceBody: Sendable, Hashable {
    /// The HTTP header that carries `jsonLength`.
    public static let headerLengthField = "Inference-Header-Content-Length"

    /// The whole body: JSON, then any binary tensor data.
    public var bytes: [UInt8]
    /// Length of the JSON part when binary data follow it; nil for a plain JSON body.
    public var jsonLength: Int?

    /// Wraps an encoded body.
    public init(bytes: [UInt8], jsonLength: Int?) {
        self.bytes = bytes
        self.jsonLength = jsonLength
    }

    /// The `Content-Type` to send: JSON, or octet-stream once binary data follow.
    public var contentType: String { jsonLength == nil ? "application/json" : "application/octet-stream" }

    /// The HTTP headers that describe this body (`Content-Type`, and the JSON length when binary).
    public var headers: [(name: String, value: String)] {
        var fields = [(name: "Content-Type", value: contentType)]
        if let jsonLength { fields.append((name: Self.headerLengthField, value: String(jsonLength))) }
        return fields
    }

    /// Reads an `Inference-Header-Content-Length` value strictly: decimal digits only, at most
    /// the body's length. Nil when the header is absent.
    ///
    /// - Throws: `.malformed` for anything else.
    public static func jsonLength(fromHeader value: String?, bodyCount: Int) throws(OpenInferenceError) -> Int? {
        guard let value else { return nil }
        let trimmed = value.utf8.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
        guard !trimmed.isEmpty, trimmed.count <= 18, trimmed.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else {
            throw .malformed("\(headerLengthField) is not a decimal length")
        }
        let length = trimmed.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard length <= bodyCount else {
            throw .inconsistent("\(headerLengthField) \(length) exceeds the body's \(bodyCount) bytes")
        }
        return length
    }
}
