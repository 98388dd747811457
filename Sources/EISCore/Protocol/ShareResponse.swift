/// A native-protocol response: the partial product `W_enc · x_i` (mod 2^64) for every row.
///
/// Layout (little-endian): magic `EISA`, version u16, arithmetic u8, a zero byte, rows u32,
/// columns u32, then `rows × columns` Int64 elements, row-major.
public struct ShareResponse: Sendable, Equatable {
    /// The sharing's algebra, echoed.
    public var arithmetic: Arithmetic
    /// The partial results, `[rows, out]`.
    public var partials: Matrix<Int64>

    /// Creates a response.
    public init(arithmetic: Arithmetic = .ring64, partials: Matrix<Int64>) {
        self.arithmetic = arithmetic
        self.partials = partials
    }

    /// Serialises the response.
    public func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(ShareProtocol.responseHeaderBytes + partials.elements.count * 8)
        bytes += ShareProtocol.responseMagic
        WireFormat.append(ShareProtocol.version, to: &bytes)
        bytes.append(arithmetic.rawValue)
        bytes.append(0)
        WireFormat.append(UInt32(partials.rows), to: &bytes)
        WireFormat.append(UInt32(partials.columns), to: &bytes)
        WireFormat.append(elements: partials.elements, to: &bytes)
        return bytes
    }

    /// Parses a response, checking every length against `limits` and the buffer before allocating.
    public init(decoding raw: UnsafeRawBufferPointer, limits: ShareLimits = ShareLimits()) throws(ProtocolError) {
        let header = ShareProtocol.responseHeaderBytes
        guard raw.count >= header else { throw .malformed("response is \(raw.count) bytes, shorter than its \(header)-byte header") }
        guard raw.prefix(4).elementsEqual(ShareProtocol.responseMagic) else { throw .malformed("bad magic: not a share response") }
        let version = WireFormat.read(UInt16.self, from: raw, at: 4)
        guard version == ShareProtocol.version else { throw .unsupportedVersion(version) }
        // The native protocol carries ring elements only; float sharings go to float backends.
        guard let arithmetic = Arithmetic(rawValue: raw[6]), arithmetic == .ring64 else { throw .unsupportedArithmetic(raw[6]) }
        // Reserved: a nonzero byte means a sender this version does not understand (found by fuzzing).
        guard raw[7] == 0 else { throw .malformed("reserved header byte 7 is \(raw[7]), not zero") }
        let rows = Int(WireFormat.read(UInt32.self, from: raw, at: 8))
        let columns = Int(WireFormat.read(UInt32.self, from: raw, at: 12))
        try limits.check(rows: rows, columns: columns)
        // check() bounded rows × columns; the byte count can still overflow with custom limits.
        let (payloadBytes, overflow) = (rows * columns).multipliedReportingOverflow(by: 8)
        let (expected, sumOverflow) = header.addingReportingOverflow(payloadBytes)
        guard !overflow, !sumOverflow else { throw .tooLarge("\(rows)×\(columns) elements overflow the message size") }
        guard raw.count == expected else { throw .malformed("response is \(raw.count) bytes; its header announces \(expected)") }
        self.arithmetic = arithmetic
        self.partials = Matrix(rows: rows, columns: columns, elements: WireFormat.readElements(rows * columns, from: raw, at: header))
    }

    /// Parses a response held in an array.
    public init(decoding bytes: [UInt8], limits: ShareLimits = ShareLimits()) throws(ProtocolError) {
        // withUnsafeBytes rethrows untyped errors; carry the typed one out through a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) in try ShareResponse(decoding: raw, limits: limits) }
        }
        self = try result.get()
    }
}
