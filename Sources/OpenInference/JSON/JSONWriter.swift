/// Appends JSON text to a byte buffer: escaped strings, exact integers, round-trip floats.
struct JSONWriter {
    private(set) var bytes: [UInt8]

    /// A writer whose buffer starts with room for `capacity` bytes.
    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends raw ASCII punctuation or a literal.
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends one byte.
    @inline(__always)
    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends `"key":`.
    mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends a quoted string, escaping `"`, `\` and control characters.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for unit in text.utf8 {
            switch unit {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case ..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(unit >> 4)])
                bytes.append(Self.hexDigits[Int(unit & 0xF)])
            default: bytes.append(unit)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends an integer in decimal, exactly (no Double involved).
    mutating func int(_ value: Int64) {
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // 20 digits hold UInt64.max.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
        }
    }

    /// Appends a finite Double as the shortest text that reads back to the same Double.
    ///
    /// - Precondition: `value.isFinite` (JSON has no NaN or infinity; callers check first).
    mutating func double(_ value: Double) {
        precondition(value.isFinite, "JSON cannot carry a non-finite number")
        // Swift prints finite Doubles as valid JSON numbers ("0.1", "1e-07", "1e+16", "-0.0"),
        // always with a fraction or exponent, so a float stays a float when read back.
        bytes.append(contentsOf: value.description.utf8)
    }

    /// Appends any JSON value; object keys sorted, so equal values give equal bytes.
    mutating func value(_ value: JSONValue) throws(OpenInferenceError) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): flag ? raw("true") : raw("false")
        case .int(let number): int(number)
        case .double(let number):
            guard number.isFinite else { throw .invalidValue("a parameter is not a finite number") }
            double(number)
        case .string(let text): string(text)
        case .array(let values):
            byte(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                try self.value(element)
            }
            byte(UInt8(ascii: "]"))
        case .object(let members):
            try object(members)
        }
    }

    /// Appends an object of values with sorted keys.
    mutating func object(_ members: [String: JSONValue]) throws(OpenInferenceError) {
        byte(UInt8(ascii: "{"))
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { byte(UInt8(ascii: ",")) }
            self.key(key)
            try value(members[key] ?? .null)
        }
        byte(UInt8(ascii: "}"))
    }
}
