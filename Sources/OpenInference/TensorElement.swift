/// An element type that carries tensor data: how it reads and writes in JSON and in the binary
/// extension (little-endian, native width).
protocol TensorElement: Sendable {
    /// Its wire datatype.
    static var datatype: TensorDatatype { get }
    /// Bytes per element in the binary extension.
    static var byteWidth: Int { get }
    /// Reads one JSON number; fails when it is not representable (a fraction for INT64, out of range).
    static func read(from reader: inout JSONReader) throws(OpenInferenceError) -> Self
    /// Writes one JSON number; fails for values JSON cannot carry (NaN, infinity).
    func write(to writer: inout JSONWriter) throws(OpenInferenceError)
    /// Loads the little-endian element at `offset`.
    static func load(from bytes: UnsafeRawBufferPointer, offset: Int) -> Self
    /// Appends the element little-endian.
    func append(to bytes: inout [UInt8])
    /// Wraps elements as tensor data.
    static func wrap(_ values: [Self]) -> TensorData
}

extension Int64: TensorElement {
    static var datatype: TensorDatatype { .int64 }
    static var byteWidth: Int { 8 }
    static func read(from reader: inout JSONReader) throws(OpenInferenceError) -> Int64 { try reader.readInt64() }
    func write(to writer: inout JSONWriter) throws(OpenInferenceError) { writer.int(self) }
    static func load(from bytes: UnsafeRawBufferPointer, offset: Int) -> Int64 {
        Int64(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
    }
    func append(to bytes: inout [UInt8]) {
        withUnsafeBytes(of: UInt64(bitPattern: self).littleEndian) { bytes.append(contentsOf: $0) }
    }
    static func wrap(_ values: [Int64]) -> TensorData { .int64(values) }
}

extension Float: TensorElement {
    static var datatype: TensorDatatype { .fp32 }
    static var byteWidth: Int { 4 }
    static func read(from reader: inout JSONReader) throws(OpenInferenceError) -> Float {
        let start = reader.position
        // Every finite Float is a Double, and a Double's shortest text reads back exactly, so
        // FP32 data written through float64 (as Python writes it) arrive unchanged.
        let value = Float(try reader.readDouble())
        guard value.isFinite else { throw .invalidValue("FP32 element outside the float range at byte \(start)") }
        return value
    }
    func write(to writer: inout JSONWriter) throws(OpenInferenceError) {
        guard isFinite else { throw .invalidValue("JSON cannot carry a NaN or infinite FP32 element") }
        // As its exact Double: readers that parse float64 and round to float32 get it back.
        writer.double(Double(self))
    }
    static func load(from bytes: UnsafeRawBufferPointer, offset: Int) -> Float {
        Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }
    func append(to bytes: inout [UInt8]) {
        withUnsafeBytes(of: bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    static func wrap(_ values: [Float]) -> TensorData { .fp32(values) }
}

extension Double: TensorElement {
    static var datatype: TensorDatatype { .fp64 }
    static var byteWidth: Int { 8 }
    static func read(from reader: inout JSONReader) throws(OpenInferenceError) -> Double {
        let start = reader.position
        let value = try reader.readDouble()
        guard value.isFinite else { throw .invalidValue("FP64 element outside the double range at byte \(start)") }
        return value
    }
    func write(to writer: inout JSONWriter) throws(OpenInferenceError) {
        guard isFinite else { throw .invalidValue("JSON cannot carry a NaN or infinite FP64 element") }
        writer.double(self)
    }
    static func load(from bytes: UnsafeRawBufferPointer, offset: Int) -> Double {
        Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
    }
    func append(to bytes: inout [UInt8]) {
        withUnsafeBytes(of: bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    static func wrap(_ values: [Double]) -> TensorData { .fp64(values) }
}
