import OpenInference

/// A strict, single-pass parser for the `/infer` JSON body (RFC 8259).
///
/// Foundation's `JSONDecoder` spent about a fifth of the gateway's CPU per request on a
/// 256-value input (measured with perf), building a generic tree before decoding it. This parser
/// reads exactly the shape `/infer` takes — an object with `model` (string), `input` (array of
/// numbers) or `inputs` (array of arrays of numbers) — straight into `[[Double]]`, skips other
/// keys, and reports the first problem with its byte offset. The JSON itself is read by
/// OpenInference's `JSONReader` (the same strict reader the V2 routes use, with its nesting
/// bound); this type adds only the shape of `/infer` and its error codes.
package struct InferBodyParser {
    /// Deepest nesting accepted inside ignored values.
    static let maxDepth = 32

    private var reader: JSONReader
    private let maxRows: Int

    /// Parses a body.
    ///
    /// - Parameter maxRows: more rows in `inputs` fail as soon as they are seen, so a body of
    ///   many tiny rows cannot make the gateway allocate far more than the body's size.
    /// - Throws: `GatewayError` `malformed_json`, `invalid_value`, `not_finite` or `too_many_rows`.
    package static func parse(_ body: UnsafeRawBufferPointer, maxRows: Int = .max) throws(GatewayError) -> InferRequest {
        var parser = InferBodyParser(reader: JSONReader(body.assumingMemoryBound(to: UInt8.self), maxDepth: maxDepth), maxRows: maxRows)
        let request = try parser.parseObject()
        try parser.json { (reader) throws(OpenInferenceError) in try reader.finish() }
        return request
    }

    /// Runs one step of the JSON reader: what it refuses is malformed JSON.
    private mutating func json<Result>(_ step: (inout JSONReader) throws(OpenInferenceError) -> Result) throws(GatewayError) -> Result {
        do {
            return try step(&reader)
        } catch {
            throw .malformedJSON("invalid JSON: \(error.message)")
        }
    }

    /// The next byte that is not whitespace, not consumed.
    private mutating func peek() -> UInt8? {
        reader.peek()
    }

    private mutating func parseObject() throws(GatewayError) -> InferRequest {
        guard peek() == UInt8(ascii: "{") else {
            throw .malformedJSON("the body must be a JSON object such as {\"input\": [numbers]}")
        }
        try json { (reader) throws(OpenInferenceError) in try reader.beginObject() }
        var request = InferRequest()
        var seen = Set<String>()
        var first = true
        while let key = try json({ (reader) throws(OpenInferenceError) in try reader.nextKey(&first) }) {
            guard seen.insert(key).inserted else {
                throw .malformedJSON("invalid JSON: key \"\(key)\" appears twice at byte \(reader.position)")
            }
            switch key {
            case "model":
                guard peek() == UInt8(ascii: "\"") else { throw .invalidValue("model: expected a string") }
                request.model = try json { (reader) throws(OpenInferenceError) in try reader.readString() }
            case "input":
                request.input = try parseNumberArray(path: "input")
            case "inputs":
                request.inputs = try parseRows()
            default:
                try json { (reader) throws(OpenInferenceError) in try reader.skipValue() }
            }
        }
        return request
    }

    private mutating func parseRows() throws(GatewayError) -> [[Double]] {
        guard peek() == UInt8(ascii: "[") else { throw .invalidValue("inputs: expected an array of arrays of numbers") }
        try json { (reader) throws(OpenInferenceError) in try reader.beginArray() }
        var rows = [[Double]]()
        var first = true
        while try json({ (reader) throws(OpenInferenceError) in try reader.nextElement(&first) }) {
            guard rows.count < maxRows else { throw .tooManyRows("more than max_rows_per_request = \(maxRows) rows") }
            rows.append(try parseNumberArray(path: "inputs[\(rows.count)]"))
        }
        return rows
    }

    private mutating func parseNumberArray(path: @autoclosure () -> String) throws(GatewayError) -> [Double] {
        guard peek() == UInt8(ascii: "[") else { throw .invalidValue("\(path()): expected an array of numbers") }
        try json { (reader) throws(OpenInferenceError) in try reader.beginArray() }
        var values = [Double]()
        // The whole array in one call into the reader: no closure or error mapping per number.
        let end: JSONReader.NumberArrayEnd
        do {
            end = try reader.readNumbers(into: &values)
        } catch {
            throw .malformedJSON("invalid JSON: \(error.message)")
        }
        switch end {
        case .closed:
            return values
        case .notANumber(let index):
            // A well-formed non-number (string, null, …) is a wrong value; anything else is bad JSON.
            try json { (reader) throws(OpenInferenceError) in try reader.skipValue() }
            throw .invalidValue("\(path())[\(index)]: expected a number")
        case .notFinite(let index):
            throw .notFinite("\(path())[\(index)]: the number is too large to be finite")
        }
    }
}
