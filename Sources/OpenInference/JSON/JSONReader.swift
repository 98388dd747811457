/// A strict JSON reader over a byte buffer (RFC 8259): no comments, no trailing commas, no
/// NaN/Infinity, no lone surrogates, UTF-8 validated. It reads the value types a caller asks for
/// instead of building a tree, so tensor data land in typed arrays directly.
///
/// Errors carry the byte offset. Nesting deeper than `maxDepth` is refused before recursing.
/// The buffer must outlive the reader (it is used inside `withUnsafeBufferPointer`).
package struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    package private(set) var position: Int
    private let end: Int
    private var depth = 0
    private let maxDepth: Int

    /// A reader of `bytes[range]`.
    package init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil, maxDepth: Int) {
        self.bytes = bytes
        self.position = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
        self.maxDepth = maxDepth
    }

    // MARK: Structure

    /// Skips JSON whitespace.
    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed; nil at the end.
    @inline(__always)
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < end ? bytes[position] : nil
    }

    /// Requires that only whitespace is left.
    package mutating func finish() throws(OpenInferenceError) {
        skipWhitespace()
        guard position == end else { throw error("unexpected data after the JSON value") }
    }

    /// An error at the current position.
    func error(_ message: String) -> OpenInferenceError {
        .malformed("\(message) at byte \(position)")
    }

    /// Consumes `byte` (after whitespace) or fails naming `what` was expected.
    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: String) throws(OpenInferenceError) {
        guard peek() == byte else { throw error("expected \(what)") }
        position += 1
    }

    /// Consumes `{`.
    package mutating func beginObject(_ what: String = "an object") throws(OpenInferenceError) {
        try expect(UInt8(ascii: "{"), what)
        try enter()
    }

    /// The next key of the object being read, or nil after its closing `}`.
    ///
    /// - Parameter first: true before the first key; the reader clears it.
    package mutating func nextKey(_ first: inout Bool) throws(OpenInferenceError) -> String? {
        guard let byte = peek() else { throw error("unterminated object") }
        if byte == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return nil
        }
        if first {
            first = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
            position += 1
        }
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a key") }
        let key = try readString()
        try expect(UInt8(ascii: ":"), "':'")
        return key
    }

    /// Consumes `[`.
    package mutating func beginArray(_ what: String = "an array") throws(OpenInferenceError) {
        try expect(UInt8(ascii: "["), what)
        try enter()
    }

    /// Whether another element of the array being read follows (false after its closing `]`).
    package mutating func nextElement(_ first: inout Bool) throws(OpenInferenceError) -> Bool {
        guard let byte = peek() else { throw error("unterminated array") }
        if byte == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return false
        }
        if first {
            first = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
            position += 1
            skipWhitespace()
        }
        return true
    }

    private mutating func enter() throws(OpenInferenceError) {
        depth += 1
        guard depth <= maxDepth else { throw .tooLarge("JSON nested deeper than \(maxDepth) levels at byte \(position)") }
    }

    // MARK: Scalars

    /// Reads a string, decoding escapes and validating UTF-8.
    package mutating func readString() throws(OpenInferenceError) -> String {
        try expect(UInt8(ascii: "\""), "a string")
        let start = position
        // Fast path: no escapes.
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw .malformed("invalid UTF-8 in a string at byte \(start)")
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw error("control character in a string") }
            position += 1
        }
        var buffer = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < end {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: buffer, as: UTF8.self) else {
                    throw .malformed("invalid UTF-8 in a string at byte \(start)")
                }
                return text
            case UInt8(ascii: "\\"):
                try readEscape(into: &buffer)
            case ..<0x20:
                position -= 1
                throw error("control character in a string")
            default:
                buffer.append(byte)
            }
        }
        throw .malformed("unterminated string starting at byte \(start - 1)")
    }

    private mutating func readEscape(into buffer: inout [UInt8]) throws(OpenInferenceError) {
        guard position < end else { throw error("unterminated escape") }
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try readHex4())
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard position + 1 < end, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                    throw error("lone surrogate in a string")
                }
                position += 2
                let low = UInt32(try readHex4())
                guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate in a string") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw error("lone surrogate in a string")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
            buffer.append(contentsOf: String(Character(unicode)).utf8)
        default:
            position -= 1
            throw error("invalid escape")
        }
    }

    private mutating func readHex4() throws(OpenInferenceError) -> UInt16 {
        guard end - position >= 4 else { throw error("short \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// Reads `true` or `false`.
    mutating func readBool() throws(OpenInferenceError) -> Bool {
        if try readLiteral("true") { return true }
        if try readLiteral("false") { return false }
        throw error("expected true or false")
    }

    /// Consumes `null` if it is next.
    mutating func readNull() throws(OpenInferenceError) -> Bool {
        try readLiteral("null")
    }

    private mutating func readLiteral(_ literal: StaticString) throws(OpenInferenceError) -> Bool {
        skipWhitespace()
        let count = literal.utf8CodeUnitCount
        guard end - position >= count else { return false }
        let matches = literal.withUTF8Buffer { text in
            (0..<count).allSatisfy { bytes[position + $0] == text[$0] }
        }
        guard matches else { return false }
        position += count
        return true
    }

    /// Reads an integer literal (no fraction, no exponent) exactly as an Int64.
    mutating func readInt64() throws(OpenInferenceError) -> Int64 {
        skipWhitespace()
        let start = position
        let number = try scanNumber()
        guard number.isInteger else {
            throw .invalidValue("expected an integer, found a number with a fraction or exponent at byte \(start)")
        }
        guard let value = DecimalNumber.int64(digits: UnsafeBufferPointer(rebasing: bytes[number.digits]), negative: number.negative) else {
            throw .invalidValue("integer out of the Int64 range at byte \(start)")
        }
        return value
    }

    /// Reads any number as the nearest Double (±infinity when it overflows; the caller decides).
    package mutating func readDouble() throws(OpenInferenceError) -> Double {
        skipWhitespace()
        let number = try scanNumber()
        return DecimalNumber.double(UnsafeBufferPointer(rebasing: bytes[number.text]), number)
    }

    /// Validates the JSON number grammar at the current position and consumes it.
    private mutating func scanNumber() throws(OpenInferenceError) -> DecimalNumber.Scan {
        let start = position
        var scan = DecimalNumber.Scan(text: start..<start, digits: start..<start)
        if position < end, bytes[position] == UInt8(ascii: "-") {
            scan.negative = true
            position += 1
        }
        let integerStart = position
        guard position < end, isDigit(bytes[position]) else { throw error("expected a number") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            guard position >= end || !isDigit(bytes[position]) else { throw error("leading zero in a number") }
        } else {
            while position < end, isDigit(bytes[position]) { position += 1 }
        }
        scan.digits = integerStart..<position
        if position < end, bytes[position] == UInt8(ascii: ".") {
            scan.isInteger = false
            position += 1
            guard position < end, isDigit(bytes[position]) else { throw error("expected a digit after '.'") }
            while position < end, isDigit(bytes[position]) { position += 1 }
        }
        if position < end, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            scan.isInteger = false
            position += 1
            if position < end, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < end, isDigit(bytes[position]) else { throw error("expected a digit in an exponent") }
            while position < end, isDigit(bytes[position]) { position += 1 }
        }
        scan.text = start..<position
        return scan
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    // MARK: Whole values

    /// Skips one value of any type, validating it.
    package mutating func skipValue() throws(OpenInferenceError) {
        guard let byte = peek() else { throw error("expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            try beginObject()
            var first = true
            while try nextKey(&first) != nil { try skipValue() }
        case UInt8(ascii: "["):
            try beginArray()
            var first = true
            while try nextElement(&first) { try skipValue() }
        case UInt8(ascii: "\""):
            _ = try readString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try readBool()
        case UInt8(ascii: "n"):
            guard try readNull() else { throw error("expected a value") }
        default:
            _ = try scanNumber()
        }
    }

    /// Reads one value of any type.
    package mutating func readValue() throws(OpenInferenceError) -> JSONValue {
        guard let byte = peek() else { throw error("expected a value") }
        switch byte {
        case UInt8(ascii: "{"):
            return .object(try readObjectValue())
        case UInt8(ascii: "["):
            try beginArray()
            var values = [JSONValue]()
            var first = true
            while try nextElement(&first) { values.append(try readValue()) }
            return .array(values)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .bool(try readBool())
        case UInt8(ascii: "n"):
            guard try readNull() else { throw error("expected a value") }
            return .null
        default:
            let start = position
            let number = try scanNumber()
            if number.isInteger, let value = DecimalNumber.int64(digits: UnsafeBufferPointer(rebasing: bytes[number.digits]), negative: number.negative) {
                return .int(value)
            }
            let value = DecimalNumber.double(UnsafeBufferPointer(rebasing: bytes[number.text]), number)
            guard value.isFinite else { throw .invalidValue("number out of the Double range at byte \(start)") }
            return .double(value)
        }
    }

    /// Reads an object of any values; a repeated key is an error.
    mutating func readObjectValue() throws(OpenInferenceError) -> [String: JSONValue] {
        try beginObject()
        var object = [String: JSONValue]()
        var first = true
        while let key = try nextKey(&first) {
            let keyPosition = position
            guard object.updateValue(try readValue(), forKey: key) == nil else {
                throw .inconsistent("duplicate key '\(key.prefix(64))' near byte \(keyPosition)")
            }
        }
        return object
    }
}
