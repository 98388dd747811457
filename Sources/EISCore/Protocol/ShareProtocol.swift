/// The native share protocol's constants and limits (spec: docs/PROTOCOL.md).
public enum ShareProtocol {
    /// The version this build speaks.
    public static let version: UInt16 = 1
    /// Content type of request and response bodies.
    public static let contentType = "application/vnd.eis.share"
    /// HTTP path of the share endpoint.
    public static let path = "/v1/share"
    /// Magic bytes opening a request.
    static let requestMagic: [UInt8] = Array("EISQ".utf8)
    /// Magic bytes opening a response.
    static let responseMagic: [UInt8] = Array("EISA".utf8)
    /// Fixed request header size before the names.
    static let requestHeaderBytes = 20
    /// Fixed response header size before the payload.
    static let responseHeaderBytes = 16

    /// The exact size of a response carrying `rows × columns` elements, or nil when it overflows `Int`.
    public static func responseBytes(rows: Int, columns: Int) -> Int? {
        let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
        let (payload, payloadOverflow) = elements.multipliedReportingOverflow(by: 8)
        let (total, totalOverflow) = payload.addingReportingOverflow(responseHeaderBytes)
        guard rows >= 0, columns >= 0, !overflow, !payloadOverflow, !totalOverflow else { return nil }
        return total
    }
}

/// Size limits a decoder enforces before it allocates anything.
public struct ShareLimits: Sendable, Hashable {
    /// Most rows (batch size) in one message.
    public var maxRows: Int
    /// Most columns (vector width) in one message.
    public var maxColumns: Int
    /// Most matrix elements (`rows × columns`) in one message.
    public var maxElements: Int

    /// Creates limits; the defaults allow a 64 MiB share matrix.
    public init(maxRows: Int = 65_536, maxColumns: Int = 1 << 20, maxElements: Int = 8 << 20) {
        self.maxRows = maxRows
        self.maxColumns = maxColumns
        self.maxElements = maxElements
    }

    func check(rows: Int, columns: Int) throws(ProtocolError) {
        guard rows >= 1, columns >= 1 else { throw .malformed("matrix must be at least 1×1, got \(rows)×\(columns)") }
        guard rows <= maxRows else { throw .tooLarge("\(rows) rows exceed the limit of \(maxRows)") }
        guard columns <= maxColumns else { throw .tooLarge("\(columns) columns exceed the limit of \(maxColumns)") }
        // rows ≤ 2^16 and columns ≤ 2^20 in the defaults, but limits are configurable: check overflow.
        let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, elements <= maxElements else {
            throw .tooLarge("\(rows)×\(columns) elements exceed the limit of \(maxElements)")
        }
    }
}
