import Foundation

/// A parsed safetensors file: named tensors, each decoded to `Double`.
///
/// Format: an 8-byte little-endian header length `N`, `N` bytes of JSON mapping tensor names to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the byte after the
/// header), then the raw little-endian data. Every length and offset is checked against the
/// buffer before it is used, because model files are inputs like any other.
public struct SafetensorsFile: Sendable {
    /// One tensor, decoded.
    public struct Tensor: Sendable, Equatable {
        /// The stored element type (`F32`, `F64`, `F16`, `BF16`).
        public let dtype: String
        /// Dimensions, outermost first.
        public let shape: [Int]
        /// Elements in row-major order.
        public let values: [Double]
    }

    /// Tensors by name.
    public let tensors: [String: Tensor]

    /// Largest header accepted; real headers are a few kilobytes.
    public static let maxHeaderBytes = 16 << 20

    /// Parses a whole file held in memory.
    ///
    /// - Throws: `SafetensorsError` naming what is malformed.
    public init(bytes: [UInt8]) throws(SafetensorsError) {
        try self.init(bytes: bytes, selecting: { _ in true })
    }

    /// Parses the tensors of a file held in memory whose names `include` accepts; the others are
    /// neither decoded nor checked (a whole model that carries tensors of other types, e.g. BERT's
    /// `I64` position ids, when only its float weights are needed).
    ///
    /// - Throws: `SafetensorsError` naming what is malformed in the header or a selected tensor.
    public init(bytes: [UInt8], selecting include: (String) -> Bool) throws(SafetensorsError) {
        guard bytes.count >= 8 else { throw .malformed("file is \(bytes.count) bytes, shorter than its 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(Self.maxHeaderBytes), Int(headerLength) <= bytes.count - 8 else {
            throw .malformed("header length \(headerLength) exceeds the file or the \(Self.maxHeaderBytes)-byte limit")
        }
        let dataStart = 8 + Int(headerLength)
        let header: [String: HeaderEntry]
        do {
            header = try JSONDecoder().decode([String: HeaderEntry].self, from: Data(bytes[8..<dataStart]))
        } catch {
            throw .malformed("header is not valid safetensors JSON: \(error)")
        }
        let dataLength = bytes.count - dataStart
        var tensors = [String: Tensor]()
        for (name, entry) in header where name != "__metadata__" && include(name) {
            guard let dtype = entry.dtype, let shape = entry.shape, let offsets = entry.data_offsets, offsets.count == 2 else {
                throw .malformed("tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let width = Self.elementWidth(dtype) else { throw .unsupportedDType(name: name, dtype: dtype) }
            var count = 1
            for dim in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard dim >= 0, !overflow else { throw .malformed("tensor '\(name)' has an invalid shape \(shape)") }
                count = product
            }
            let (begin, end) = (offsets[0], offsets[1])
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, begin >= 0, begin <= end, end <= dataLength, end - begin == byteCount else {
                throw .malformed("tensor '\(name)': offsets \(offsets) do not match \(count) \(dtype) values in \(dataLength) data bytes")
            }
            let values = Self.decode(bytes, from: dataStart + begin, count: count, dtype: dtype)
            tensors[name] = Tensor(dtype: dtype, shape: shape, values: values)
        }
        self.tensors = tensors
    }

    /// Reads and parses a file.
    public init(contentsOf path: String) throws(SafetensorsError) {
        try self.init(contentsOf: path, selecting: { _ in true })
    }

    /// Reads a file and parses the tensors whose names `include` accepts (see `init(bytes:selecting:)`).
    public init(contentsOf path: String, selecting include: (String) -> Bool) throws(SafetensorsError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        try self.init(bytes: [UInt8](data), selecting: include)
    }

    private struct HeaderEntry: Decodable {
        let dtype: String?
        let shape: [Int]?
        // swiftlint:disable:next identifier_name
        let data_offsets: [Int]?

        init(from decoder: any Decoder) throws {
            // `__metadata__` is a string map, not a tensor: decode leniently, check later.
            let container = try? decoder.container(keyedBy: CodingKeys.self)
            dtype = try? container?.decode(String.self, forKey: .dtype)
            shape = try? container?.decode([Int].self, forKey: .shape)
            data_offsets = try? container?.decode([Int].self, forKey: .data_offsets)
        }

        enum CodingKeys: String, CodingKey { case dtype, shape, data_offsets }
    }

    static func elementWidth(_ dtype: String) -> Int? {
        switch dtype {
        case "F64": 8
        case "F32": 4
        case "F16", "BF16": 2
        default: nil
        }
    }

    private static func decode(_ bytes: [UInt8], from start: Int, count: Int, dtype: String) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                switch dtype {
                case "F64":
                    values[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self)))
                case "F32":
                    values[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self))))
                case "BF16":
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self))
                    values[i] = Double(Float(bitPattern: UInt32(bits) << 16))
                default: // F16
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * i, as: UInt16.self))
                    values[i] = halfToDouble(bits)
                }
            }
        }
        return values
    }

    /// IEEE 754 binary16 to Double, including subnormals, infinities and NaN.
    static func halfToDouble(_ bits: UInt16) -> Double {
        let sign: Double = (bits & 0x8000) != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}

/// Why a safetensors file or one of its layers could not be used.
public enum SafetensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// Bytes that do not follow the format.
    case malformed(String)
    /// A tensor type EIS does not read.
    case unsupportedDType(name: String, dtype: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .malformed(let why): "malformed safetensors file: \(why)"
        case .unsupportedDType(let name, let dtype): "tensor '\(name)' has unsupported dtype \(dtype) (F32, F64, F16, BF16 are read)"
        }
    }
}
