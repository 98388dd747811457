/// The JSON body of an Open Inference Protocol error: `{"error": "…"}`.
///
/// Decoding also reads FastAPI's `{"detail": …}` (MLServer's validation errors), taking only the
/// `msg` and `loc` of each entry: FastAPI echoes the offending `input` too, which may be a share.
public struct ErrorBody: Sendable, Hashable {
    /// The error text.
    public var message: String

    /// Wraps a message.
    public init(message: String) {
        self.message = message
    }

    /// `{"error":"…"}`.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter()
        writer.raw("{\"error\":")
        writer.string(message)
        writer.byte(UInt8(ascii: "}"))
        return writer.bytes
    }

    /// Reads an error body; nil when it is not JSON or has neither `error` nor `detail`.
    public init?(decoding body: [UInt8], limits: OpenInferenceLimits = OpenInferenceLimits()) {
        let object: [String: JSONValue]
        do {
            object = try TensorCoding.decode(body, jsonLength: nil, limits: limits) { (reader, _) throws(OpenInferenceError) in
                try reader.readObjectValue()
            }
        } catch {
            return nil
        }
        if let text = object["error"]?.stringValue {
            message = text
        } else if let text = object["detail"]?.stringValue {
            message = text
        } else if case .array(let entries)? = object["detail"] {
            let parts = entries.compactMap { entry -> String? in
                guard case .object(let fields) = entry, let text = fields["msg"]?.stringValue else { return nil }
                guard case .array(let location)? = fields["loc"] else { return text }
                let path = location.compactMap { part -> String? in
                    switch part {
                    case .string(let name): name
                    case .int(let index): String(index)
                    default: nil
                    }
                }
                return path.isEmpty ? text : "\(path.joined(separator: ".")): \(text)"
            }
            guard !parts.isEmpty else { return nil }
            message = parts.joined(separator: "; ")
        } else {
            return nil
        }
    }
}
