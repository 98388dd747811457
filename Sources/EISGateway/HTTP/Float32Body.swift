/// The `application/octet-stream` form of `/infer`: rows of little-endian float32, back to back,
/// with no framing — the cheapest body to read and write. The row count is the body size over
/// the model's row size, so a body that is not a whole number of rows is refused.
enum Float32Body {
    /// The media type that selects this form.
    static let contentType = "application/octet-stream"

    /// Reads `rows × width` little-endian float32 values.
    ///
    /// - Throws: `GatewayError` `wrong_length` (not whole rows, or empty), `too_many_rows`, `not_finite`.
    static func rows(from body: UnsafeRawBufferPointer, width: Int, maxRows: Int) throws(GatewayError) -> [[Double]] {
        let rowBytes = width * 4
        guard !body.isEmpty, rowBytes > 0, body.count % rowBytes == 0 else {
            throw .wrongLength("an octet-stream body holds whole rows of \(width) little-endian float32 values (\(rowBytes) bytes each); got \(body.count) bytes")
        }
        let count = body.count / rowBytes
        guard count <= maxRows else {
            throw .tooManyRows("\(count) rows exceed max_rows_per_request = \(maxRows)")
        }
        var rows = [[Double]]()
        rows.reserveCapacity(count)
        for row in 0..<count {
            var values = [Double]()
            values.reserveCapacity(width)
            for column in 0..<width {
                let bits = body.loadUnaligned(fromByteOffset: (row * width + column) * 4, as: UInt32.self)
                let value = Float(bitPattern: UInt32(littleEndian: bits))
                guard value.isFinite else { throw .notFinite("row \(row), index \(column): not a finite number") }
                values.append(Double(value))
            }
            rows.append(values)
        }
        return rows
    }

    /// Writes rows as little-endian float32.
    static func bytes(_ rows: [[Double]]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(rows.reduce(0) { $0 + $1.count } * 4)
        for row in rows {
            for value in row {
                withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        return bytes
    }
}
