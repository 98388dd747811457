/// A native-protocol request: one share matrix for one linear layer of one model.
///
/// Layout (little-endian): magic `EISQ`, version u16, arithmetic u8, input fraction bits u8,
/// rows u32, columns u32, model-name length u16, layer-name length u16, the two UTF-8 names,
/// then `rows × columns` Int64 share elements, row-major.
public struct ShareRequest: Sendable, Equatable {
    /// The model's name on the server.
    public var model: String
    /// The layer's name within the model.
    public var layer: String
    /// The sharing's algebra.
    public var arithmetic: Arithmetic
    /// Fractional bits of the encoded input (informational for the server; echoed in logs).
    public var inputFractionBits: UInt8
    /// The share matrix, `[rows, in]`.
    public var shares: Matrix<Int64>

    /// Creates a request.
    public init(model: String, layer: String, arithmetic: Arithmetic = .ring64, inputFractionBits: UInt8, shares: Matrix<Int64>) {
        self.model = model
        self.layer = layer
        self.arithmetic = arithmetic
        self.inputFractionBits = inputFractionBits
        self.shares = shares
    }

    /// Serialises the request.
    ///
    /// - Precondition: names shorter than 64 KiB of UTF-8; dimensions fit in `UInt32`.
    public func encoded() -> [UInt8] {
        let modelBytes = Array(model.utf8), layerBytes = Array(layer.utf8)
        precondition(modelBytes.count <= Int(UInt16.max) && layerBytes.count <= Int(UInt16.max), "name too long")
        precondition(shares.rows <= Int(UInt32.max) && shares.columns <= Int(UInt32.max), "matrix too large")
        var bytes = [UInt8]()
        bytes.reserveCapacity(ShareProtocol.requestHeaderBytes + modelBytes.count + layerBytes.count + shares.elements.count * 8)
        bytes += ShareProtocol.requestMagic
        WireFormat.append(ShareProtocol.version, to: &bytes)
        bytes.append(arithmetic.rawValue)
        bytes.append(inputFractionBits)
        WireFormat.append(UInt32(shares.rows), to: &bytes)
        WireFormat.append(UInt32(shares.columns), to: &bytes)
        WireFormat.append(UInt16(modelBytes.count), to: &bytes)
        WireFormat.append(UInt16(layerBytes.count), to: &bytes)
        bytes += modelBytes
        bytes += layerBytes
        WireFormat.append(elements: shares.elements, to: &bytes)
        return bytes
    }

    /// Parses a request, checking every length against `limits` and the buffer before allocating.
    public init(decoding raw: UnsafeRawBufferPointer, limits: ShareLimits = ShareLimits()) throws(ProtocolError) {
        let header = ShareProtocol.requestHeaderBytes
        guard raw.count >= header else { throw .malformed("request is \(raw.count) bytes, shorter than its \(header)-byte header") }
        guard raw.prefix(4).elementsEqual(ShareProtocol.requestMagic) else { throw .malformed("bad magic: not a share request") }
        let version = WireFormat.read(UInt16.self, from: raw, at: 4)
        guard version == ShareProtocol.version else { throw .unsupportedVersion(version) }
        // The native protocol carries ring elements only; float sharings go to float backends.
        guard let arithmetic = Arithmetic(rawValue: raw[6]), arithmetic == .ring64 else { throw .unsupportedArithmetic(raw[6]) }
        let rows = Int(WireFormat.read(UInt32.self, from: raw, at: 8))
        let columns = Int(WireFormat.read(UInt32.self, from: raw, at: 12))
        let modelLength = Int(WireFormat.read(UInt16.self, from: raw, at: 16))
        let layerLength = Int(WireFormat.read(UInt16.self, from: raw, at: 18))
        try limits.check(rows: rows, columns: columns)
        let payloadStart = header + modelLength + layerLength
        // check() bounded rows × columns; the byte count can still overflow with custom limits.
        let (payloadBytes, overflow) = (rows * columns).multipliedReportingOverflow(by: 8)
        let (expected, sumOverflow) = payloadStart.addingReportingOverflow(payloadBytes)
        guard !overflow, !sumOverflow else { throw .tooLarge("\(rows)×\(columns) elements overflow the message size") }
        guard raw.count == expected else {
            throw .malformed("request is \(raw.count) bytes; its header announces \(expected)")
        }
        guard let model = String(validating: raw[header..<(header + modelLength)], as: UTF8.self),
              let layer = String(validating: raw[(header + modelLength)..<payloadStart], as: UTF8.self)
        else { throw .malformed("model or layer name is not valid UTF-8") }
        self.model = model
        self.layer = layer
        self.arithmetic = arithmetic
        self.inputFractionBits = raw[7]
        self.shares = Matrix(rows: rows, columns: columns,
                             elements: WireFormat.readElements(rows * columns, from: raw, at: payloadStart))
    }

    /// Parses a request held in an array.
    public init(decoding bytes: [UInt8], limits: ShareLimits = ShareLimits()) throws(ProtocolError) {
        // withUnsafeBytes rethrows untyped errors; carry the typed one out through a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) in try ShareRequest(decoding: raw, limits: limits) }
        }
        self = try result.get()
    }
}
