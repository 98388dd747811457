import OpenInference

/// A strict, single-pass parser for the `/infer` JSON body (RFC 8259).
///
/// Foundation's `JSONDecoder` spent about a fifth of the gateway's CPU per request on a
/// 256-value input (measured with perf), building a generic tree before decoding it. This parser
/// reads exactly the shape `/infer` takes — an object with `model` (string), `input` (array of
/// numbers) or `inputs` (array of arrays of numbers) — straight into `[[Double]]`, skips other
/// keys, and reports the first problem with its byte offset. It bounds nesting depth so a
/// hostile body cannot exhaust the stack.
package struct InferBodyParser {
    /// Deepest nesting accepted inside ignored values.
    static let maxDepth = 32

    private let bytes: UnsafeRawBufferPointer
    private let maxRows: Int
    private var index = 0

    private init(_ bytes: UnsafeRawBufferPointer, maxRows: Int) {
        self.bytes = bytes
        self.maxRows = maxRows
    }

    /// Parses a body.
    ///
    /// - Parameter maxRows: more rows in `inputs` fail as soon as they are seen, so a body of
    ///   many tiny rows cannot make the gateway allocate far more than the body's size.
    /// - Throws: `GatewayError` `malformed_json`, `invalid_value`, `not_finite` or `too_many_rows`.
    package static func parse(_ body: UnsafeRawBufferPointer, maxRows: Int = .max) throws(GatewayError) -> InferRequest {
        var parser = InferBodyParser(body, maxRows: maxRows)
        let request = try parser.parseObject()
        parser.skipWhitespace()
        guard parser.index == body.count else { throw parser.malformed("unexpected data after the JSON object") }
        return request
    }

    // MARK: Structure

    private mutating func parseObject() throws(GatewayError) -> InferRequest {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else {
            throw .malformedJSON("the body must be a JSON object such as {\"input\": [numbers]}")
        }
        index += 1
        var request = InferRequest()
        var seen = Set<String>()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return request
        }
        while true {
            skipWhitespace()
            let key = try parseString()
            guard seen.insert(key).inserted else { throw malformed("key \"\(key)\" appears twice") }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            switch key {
            case "model":
                guard peek() == UInt8(ascii: "\"") else { throw .invalidValue("model: expected a string") }
                request.model = try parseString()
            case "input":
                request.input = try parseNumberArray(path: "input")
            case "inputs":
                request.inputs = try parseRows()
            default:
                try skipValue(depth: 1)
            }
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"): return request
            default: throw malformed("expected ',' or '}' in the object")
            }
        }
    }

    private mutating func parseRows() throws(GatewayError) -> [[Double]] {
        guard peek() == UInt8(ascii: "[") else { throw .invalidValue("inputs: expected an array of arrays of numbers") }
        index += 1
        var rows = [[Double]]()
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return rows
        }
        while true {
            skipWhitespace()
            guard rows.count < maxRows else { throw .tooManyRows("more than max_rows_per_request = \(maxRows) rows") }
            rows.append(try parseNumberArray(path: "inputs[\(rows.count)]"))
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return rows
            default: throw malformed("expected ',' or ']' in inputs")
            }
        }
    }

    private mutating func parseNumberArray(path: @autoclosure () -> String) throws(GatewayError) -> [Double] {
        guard peek() == UInt8(ascii: "[") else { throw .invalidValue("\(path()): expected an array of numbers") }
        index += 1
        var values = [Double]()
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return values
        }
        while true {
            skipWhitespace()
            guard let byte = peek(), byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                // A well-formed non-number (string, null, …) is a wrong value; anything else is bad JSON.
                if peek() == nil { throw malformed("unexpected end of the body") }
                let position = values.count
                try skipValue(depth: 1)
                throw .invalidValue("\(path())[\(position)]: expected a number")
            }
            let value = try parseNumber()
            guard value.isFinite else { throw .notFinite("\(path())[\(values.count)]: the number is too large to be finite") }
            values.append(value)
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"): return values
            default: throw malformed("expected ',' or ']' in an array of numbers")
            }
        }
    }

    /// Skips any JSON value, checking its syntax.
    private mutating func skipValue(depth: Int) throws(GatewayError) {
        guard depth <= Self.maxDepth else { throw malformed("nesting deeper than \(Self.maxDepth) levels") }
        skipWhitespace()
        guard let byte = peek() else { throw malformed("unexpected end of the body") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try parseString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipWhitespace()
            if peek() == close {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if close == UInt8(ascii: "}") {
                    _ = try parseString()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"))
                }
                try skipValue(depth: depth + 1)
                skipWhitespace()
                let separator = next()
                if separator == close { return }
                guard separator == UInt8(ascii: ",") else { throw malformed("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
            }
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        default:
            _ = try parseNumber()
        }
    }

    // MARK: Tokens

    /// Parses a JSON number: validates RFC 8259's grammar, then converts it.
    private mutating func parseNumber() throws(GatewayError) -> Double {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw malformed("invalid number") }
        index += 1
        if first != UInt8(ascii: "0") { while let d = peek(), isDigit(d) { index += 1 } }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), isDigit(d) else { throw malformed("invalid number: digits must follow '.'") }
            while let d = peek(), isDigit(d) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), isDigit(d) else { throw malformed("invalid number: digits must follow the exponent") }
            while let d = peek(), isDigit(d) { index += 1 }
        }
        // The grammar check above fixed the token's extent. Both conversions are correctly
        // rounded; the first avoids a String and strtod for the common spellings.
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if let value = DecimalNumber.parse(raw) { return value }
        let token = String(decoding: raw, as: UTF8.self)
        guard let value = Double(token) else { throw malformed("invalid number") }
        return value
    }

    /// Parses a string token, decoding escapes (including surrogate pairs).
    private mutating func parseString() throws(GatewayError) -> String {
        guard next() == UInt8(ascii: "\"") else { throw malformed("expected a string") }
        var utf8 = [UInt8]()
        while true {
            guard let byte = next() else { throw malformed("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw malformed("a string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = next() else { throw malformed("unterminated string") }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard next() == UInt8(ascii: "\\"), next() == UInt8(ascii: "u") else { throw malformed("unpaired surrogate in a string") }
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw malformed("unpaired surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw malformed("invalid \\u escape in a string") }
                    utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw malformed("invalid escape in a string")
                }
            case 0..<0x20:
                throw malformed("control character in a string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func parseHex4() throws(GatewayError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = next() else { throw malformed("unterminated \\u escape") }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw malformed("invalid \\u escape in a string")
            }
            value = value << 4 | digit
        }
        return value
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(GatewayError) {
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count,
              expected.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + expected.count)])) else {
            throw malformed("invalid literal")
        }
        index += expected.count
    }

    private mutating func expect(_ byte: UInt8) throws(GatewayError) {
        guard next() == byte else { throw malformed("expected '\(Character(Unicode.Scalar(byte)))'") }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func malformed(_ what: String) -> GatewayError {
        .malformedJSON("invalid JSON at byte \(index): \(what)")
    }
}
