public import Foundation

/// Writes F32 tensors in the safetensors layout (8-byte little-endian header length, JSON
/// header, little-endian data), sharing no code with `SafetensorsFile`, so the tests that
/// write a file and read it back test the reader against an independent writer. eis-bench
/// writes its `--layer` models with it.
public enum SafetensorsWriter {
    /// One F32 tensor.
    public struct Tensor: Sendable {
        /// Its name, e.g. `fc.weight`.
        public var name: String
        /// Its dimensions, outermost first.
        public var shape: [Int]
        /// Its values, row-major.
        public var values: [Float]

        /// Creates a tensor.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The file's bytes.
    ///
    /// - Precondition: each tensor's shape matches its value count.
    public static func bytes(_ tensors: [Tensor]) -> [UInt8] {
        var data = [UInt8]()
        var entries = [String]()
        for tensor in tensors {
            precondition(tensor.shape.reduce(1, *) == tensor.values.count, "shape does not match the values")
            let begin = data.count
            for value in tensor.values {
                let bits = value.bitPattern
                for i in 0..<4 { data.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
            }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(tensor.name)\":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(data.count)]}")
        }
        let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        var bytes = [UInt8]()
        let length = UInt64(header.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        return bytes + header + data
    }

    /// Writes the file and returns its path.
    @discardableResult
    public static func write(_ tensors: [Tensor], to url: URL) throws -> String {
        try Data(bytes(tensors)).write(to: url)
        return url.path
    }
}
