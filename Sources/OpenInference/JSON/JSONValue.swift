/// Any JSON value: what `parameters` maps to, and what unknown fields are skipped as.
///
/// Integer literals that fit Int64 stay exact (`.int`); other numbers are `.double`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The boolean, or nil for any other value.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The integer, or nil for any other value (a float is not an integer here, even `2.0`).
    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The string, or nil for any other value.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

extension JSONValue {
    /// Reads a whole JSON document strictly (`JSONReader`'s rules), nesting at most `maxDepth`.
    ///
    /// - Throws: `OpenInferenceError.malformed` with the byte offset of the problem.
    package static func parse(_ bytes: [UInt8], maxDepth: Int = 16) throws(OpenInferenceError) -> JSONValue {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(OpenInferenceError) -> JSONValue in
                var reader = JSONReader(buffer, maxDepth: maxDepth)
                let value = try reader.readValue()
                try reader.finish()
                return value
            }
        }
    }
}
