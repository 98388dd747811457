import EISCore
import Foundation
import Logging

// Helpers for the share-server tests. Expected values are computed here by plain loops, never by
// the code under test.

/// The package root, found from this file's path (Tests/EISServerTests/TestSupport.swift).
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped demo model: `nn.Linear(256, 10)`, layer `fc`, F32, with bias.
let demoModelPath = packageRoot.appendingPathComponent("models/demo.safetensors").path

/// A logger that keeps test output quiet.
let quietLogger: Logger = {
    var logger = Logger(label: "eis-server-tests")
    logger.logLevel = .critical
    return logger
}()

/// A seeded, deterministic generator (SplitMix64) for reproducible test inputs.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random `rows × columns` matrix of full-range ring elements.
func randomShares(rows: Int, columns: Int, seed: UInt64) -> Matrix<Int64> {
    var generator = SplitMix64(seed: seed)
    return Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in Int64(bitPattern: generator.next()) })
}

/// The naive reference for `X · Wᵀ mod 2^64`: a triple loop in wrapping arithmetic.
func naiveWrappingProduct(_ x: Matrix<Int64>, byTransposeOf w: Matrix<Int64>) -> Matrix<Int64> {
    var out = Matrix<Int64>(rows: x.rows, columns: w.rows, repeating: 0)
    for r in 0..<x.rows {
        for o in 0..<w.rows {
            var sum: Int64 = 0
            for j in 0..<x.columns { sum = sum &+ x[r, j] &* w[o, j] }
            out[r, o] = sum
        }
    }
    return out
}

/// One F32 tensor for `safetensorsBytes`.
struct TestTensor {
    var name: String
    var shape: [Int]
    var values: [Float]
}

/// A safetensors file: 8-byte little-endian header length, JSON header, little-endian F32 data.
func safetensorsBytes(_ tensors: [TestTensor]) -> [UInt8] {
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

/// Runs `body` with a fresh temporary directory, removed afterwards (also when `body` throws).
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("eis-server-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Writes tensors as a safetensors file and returns its path.
@discardableResult
func writeSafetensors(_ tensors: [TestTensor], to url: URL) throws -> String {
    try Data(safetensorsBytes(tensors)).write(to: url)
    return url.path
}
