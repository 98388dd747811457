/// Writes the `/infer` answers: `{"model":…,"output":[…]}` and `{"model":…,"outputs":[[…],…]}`.
///
/// Written by hand for the same reason the body is parsed by hand: `JSONEncoder` cost more than
/// the share arithmetic. Numbers use Swift's shortest round-trip form, which is valid JSON for
/// every finite Double (outputs are always finite: they are decoded from integers).
enum InferResponseWriter {
    /// The answer to a single `input`.
    static func single(model: String, output: [Double]) -> [UInt8] {
        var bytes = prefix(model: model, key: "output")
        append(output, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// The answer to `inputs`.
    static func batch(model: String, outputs: [[Double]]) -> [UInt8] {
        var bytes = prefix(model: model, key: "outputs")
        bytes.append(UInt8(ascii: "["))
        for (index, row) in outputs.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(row, to: &bytes)
        }
        bytes.append(contentsOf: "]}".utf8)
        return bytes
    }

    private static func prefix(model: String, key: String) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(64 + 24 * 16)
        bytes.append(contentsOf: #"{"model":"#.utf8)
        appendString(model, to: &bytes)
        bytes.append(contentsOf: ",\"\(key)\":".utf8)
        return bytes
    }

    private static func append(_ row: [Double], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in row.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            precondition(value.isFinite, "outputs are decoded from integers and always finite")
            bytes.append(contentsOf: value.description.utf8)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
