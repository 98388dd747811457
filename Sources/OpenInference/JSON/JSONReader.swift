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
        return DecimalNumber.double(number, in: bytes)
    }

    /// How `readNumbers(into:)` stopped.
    package enum NumberArrayEnd: Equatable, Sendable {
        /// After the array's `]`: every element was a finite number.
        case closed
        /// At the start of element `index`, which is not a number (nor the array's end).
        case notANumber(index: Int)
        /// After element `index`, a number too large for a finite Double.
        case notFinite(index: Int)
    }

    /// Reads the elements of an array of numbers, after its `[` (`beginArray`), appending them to
    /// `values`, up to and including its `]`.
    ///
    /// One call per array, so a caller in another module pays no per-number call or error
    /// mapping. It stops at the first element that is not a number or not finite and says which
    /// (`values` then holds the elements before it); what is not JSON throws as `nextElement`
    /// and `readDouble` do.
    package mutating func readNumbers(into values: inout [Double]) throws(OpenInferenceError) -> NumberArrayEnd {
        var first = true
        guard try nextElement(&first) else { return .closed }
        // The values go to a buffer of our own first: `Array.append` checks uniqueness and
        // capacity per element, which cost as much as converting the number.
        // Room for an element per 8 bytes left (a full-precision number and its separator take
        // 20), within bounds, so a typical row needs no reallocation.
        var capacity = min(max((end &- position) / 8, 16), 1 << 10)
        var storage = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        var count = 0
        defer {
            values.append(contentsOf: UnsafeBufferPointer(start: storage, count: count))
            storage.deallocate()
        }
        let end = self.end
        var index = position
        while true {
            let elementStart = index
            let scan: DecimalNumber.Scan
            do {
                scan = try Self.scanNumber(bytes, at: &index, end: end)
            } catch {
                position = index
                // Refused at its first byte: neither `-` nor a digit, so not a number at all
                // (the caller tells a wrong value from malformed JSON); else a broken number.
                if index == elementStart { return .notANumber(index: count) }
                throw error
            }
            let value: Double
            if scan.isExact, let exact = DecimalNumber.fast(scan) {
                value = exact  // finite by construction
            } else {
                value = DecimalNumber.slow(scan.text, in: bytes)
                guard value.isFinite else {
                    position = index
                    return .notFinite(index: count)
                }
            }
            if count == capacity {
                let larger = UnsafeMutablePointer<Double>.allocate(capacity: capacity * 2)
                larger.moveInitialize(from: storage, count: count)
                storage.deallocate()
                storage = larger
                capacity *= 2
            }
            (storage + count).initialize(to: value)
            count &+= 1
            // The common separators ("," or ", ") without the general step, which handles other
            // whitespace, `]` and errors.
            if index < end, bytes[index] == UInt8(ascii: ",") {
                index &+= 1
                if index < end, bytes[index] == UInt8(ascii: " ") { index &+= 1 }
                if index < end, bytes[index] <= 0x20 {
                    position = index
                    skipWhitespace()
                    index = position
                }
            } else {
                position = index
                guard try nextElement(&first) else { return .closed }
                index = position
            }
        }
    }

    /// Validates the JSON number grammar at the current position and consumes it, accumulating
    /// its significand and decimal exponent on the way (one pass over the text).
    @inline(__always)
    mutating func scanNumber() throws(OpenInferenceError) -> DecimalNumber.Scan {
        var index = position
        defer { position = index }
        return try Self.scanNumber(bytes, at: &index, end: end)
    }

    /// `scanNumber()` on a local index (inlined, so the hot loop keeps it in a register): on an
    /// error, `index` is left where the error is.
    @inline(__always)
    static func scanNumber(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int, end: Int) throws(OpenInferenceError) -> DecimalNumber.Scan {
        let start = index
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index &+= 1
        }
        let integerStart = index
        guard index < end, isDigit(bytes[index]) else { throw .malformed("expected a number at byte \(index)") }
        var significand: UInt64 = 0
        if bytes[index] == UInt8(ascii: "0") {
            index &+= 1
            guard index >= end || !isDigit(bytes[index]) else { throw .malformed("leading zero in a number at byte \(index)") }
        } else {
            significand = readDigits(bytes, &index, end, onto: 0)
        }
        let integerEnd = index
        // Digits read, leading zeros included; `significand` wraps past 19 of them.
        var digitCount = integerEnd &- integerStart
        var exponent = 0
        var isInteger = true
        if index < end, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index &+= 1
            let fractionStart = index
            guard index < end, isDigit(bytes[index]) else { throw .malformed("expected a digit after '.' at byte \(index)") }
            significand = readDigits(bytes, &index, end, onto: significand)
            digitCount &+= index &- fractionStart
            exponent = fractionStart &- index
        }
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index &+= 1
            var exponentNegative = false
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index &+= 1
            }
            guard index < end, isDigit(bytes[index]) else { throw .malformed("expected a digit in an exponent at byte \(index)") }
            var written = 0
            repeat {
                // Beyond 2^30 the number is 0 or out of any Double's range: no need to count on.
                if written < 1 << 30 { written = written &* 10 &+ Int(bytes[index] &- UInt8(ascii: "0")) }
                index &+= 1
            } while index < end && isDigit(bytes[index])
            exponent &+= exponentNegative ? -written : written
        }
        if digitCount > 19 {
            // Leading zeros (0.000…) are not significant digits.
            var zero = integerStart
            while zero < index, bytes[zero] == UInt8(ascii: "0") || bytes[zero] == UInt8(ascii: ".") {
                if bytes[zero] == UInt8(ascii: "0") { digitCount -= 1 }
                zero += 1
            }
        }
        return DecimalNumber.Scan(
            // Unchecked: the bounds are in order by construction, and the checks cost per number.
            text: Range(uncheckedBounds: (start, index)), digits: Range(uncheckedBounds: (integerStart, integerEnd)),
            negative: negative, isInteger: isInteger,
            significand: significand, exponent: exponent, isExact: digitCount <= 19
        )
    }

    /// Consumes a run of decimal digits from `index`, appending them to `value` (wrapping on
    /// overflow; the caller counts digits): up to two steps of eight, then one at a time.
    ///
    /// Full-precision doubles have 15 to 17 significant digits, so two steps and a digit or two
    /// cover them; a third step would mostly fail its check. Longer runs (more than 19 digits
    /// go to `Double(String)` anyway) finish one digit at a time.
    @inline(__always)
    private static func readDigits(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ end: Int, onto value: UInt64) -> UInt64 {
        var value = value
        if end &- index >= 8 {
            // At least eight bytes in the buffer, so it has a base address.
            let base = UnsafeRawPointer(bytes.baseAddress.unsafelyUnwrapped)
            let first = UInt64(littleEndian: (base + index).loadUnaligned(as: UInt64.self))
            if areEightDigits(first) {
                value = value &* 100_000_000 &+ valueOfEightDigits(first)
                index &+= 8
                if end &- index >= 8 {
                    let second = UInt64(littleEndian: (base + index).loadUnaligned(as: UInt64.self))
                    if areEightDigits(second) {
                        value = value &* 100_000_000 &+ valueOfEightDigits(second)
                        index &+= 8
                    }
                }
            }
        }
        while index < end, isDigit(bytes[index]) {
            value = value &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0"))
            index &+= 1
        }
        return value
    }

    /// Whether all eight bytes of a little-endian word are ASCII digits (SWAR: a byte outside
    /// 0x30…0x39 sets its top bit in one of the two sums).
    @inline(__always)
    private static func areEightDigits(_ chunk: UInt64) -> Bool {
        ((chunk &+ 0x4646_4646_4646_4646) | (chunk &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0
    }

    /// The value of eight ASCII digits in a little-endian word, first digit in the low byte:
    /// pairs, then quadruples, then the whole, each step one multiplication (the SWAR parsing of
    /// simdjson and fast_float).
    @inline(__always)
    private static func valueOfEightDigits(_ chunk: UInt64) -> UInt64 {
        // (In Swift, >> binds tighter than &*.)
        var value = ((chunk & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        value = ((value & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((value & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }


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
            let value = DecimalNumber.double(number, in: bytes)
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
