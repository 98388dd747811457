/// The header lines of a response head as they arrived, parsed into fields only when somebody
/// asks for them.
///
/// Why not parse as they arrive: building two Strings per field cost about 8,000 instructions per
/// transfer (callgrind, docs/OVERHEAD.md), and the share protocol reads no response header at all;
/// only some plugins do, and they ask for one or two.
struct ResponseHeaderBlock: Sendable {
    /// The field lines, each with its line ending, without the status line.
    private(set) var bytes: [UInt8] = []

    /// Starts a new response head (after a 1xx, the final one replaces it).
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Appends one header line as curl delivered it.
    mutating func append(line: UnsafeRawBufferPointer) {
        // One allocation for a typical head instead of several as the array grows.
        if bytes.capacity == 0 { bytes.reserveCapacity(512) }
        bytes.append(contentsOf: line)
    }

    /// Every field in arrival order, names lower-cased, values without surrounding whitespace;
    /// an obsolete folded line continues the previous field's value.
    var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        bytes.withUnsafeBytes { raw in
            var start = 0
            while start < raw.count {
                var end = start
                while end < raw.count && raw[end] != UInt8(ascii: "\n") { end += 1 }
                Self.parse(line: raw[start..<end], into: &fields)
                start = end + 1
            }
        }
        return fields
    }

    /// Adds the field one line holds (line ending included or not) to `fields`.
    private static func parse(line raw: Slice<UnsafeRawBufferPointer>, into fields: inout [(name: String, value: String)]) {
        // Header lines are bytes (RFC 9110 field values are octets): working on them directly
        // avoids Swift's grapheme-cluster walking.
        var line = raw
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") {
            line = line.dropLast()
        }
        guard let first = line.first else { return }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // Obsolete line folding: continues the previous field's value.
            if let previous = fields.popLast() {
                fields.append((previous.name, previous.value + " " + trimmed(line)))
            }
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        // Field names are ASCII tokens: lower-case them byte by byte.
        let name = String(decoding: line[..<colon].map { $0 &- UInt8(ascii: "A") < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
        fields.append((name, trimmed(line[(colon + 1)...])))
    }

    /// Strips optional whitespace around a field value.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }),
              let end = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
