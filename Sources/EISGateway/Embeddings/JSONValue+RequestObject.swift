import OpenInference

extension JSONValue {
    /// The fields of a request body that must be one JSON object (the embedding APIs' bodies).
    ///
    /// - Throws: `GatewayError.malformedJSON` for invalid JSON (with the byte offset) or
    ///   another kind of value.
    static func requestObject(_ body: [UInt8]) throws(GatewayError) -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            throw .malformedJSON("the body is not valid JSON: \(error.message)")
        }
        guard case .object(let fields) = value else { throw .malformedJSON("the body must be a JSON object") }
        return fields
    }
}
