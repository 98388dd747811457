@testable import OpenInference

/// UTF-8 bytes of a string literal.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A JSON-only request body with one tensor; `data` is the raw JSON of its data.
func requestBody(datatype: String = "INT64", shape: String = "[1,2]", data: String = "[1,2]", extra: String = "") -> [UInt8] {
    bytes("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"\(datatype)\",\"shape\":\(shape),\"data\":\(data)\(extra)}]}")
}

/// Runs a JSON reader over `text`.
func withReader<T>(_ text: String, maxDepth: Int = 32, _ body: (inout JSONReader) throws(OpenInferenceError) -> T) throws(OpenInferenceError) -> T {
    try TensorCoding.decode(bytes(text), jsonLength: nil, limits: OpenInferenceLimits(maxDepth: maxDepth)) { (reader, _) throws(OpenInferenceError) in
        try body(&reader)
    }
}

/// The error `body` throws, or nil.
func caught<T>(_ body: () throws(OpenInferenceError) -> T) -> OpenInferenceError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
