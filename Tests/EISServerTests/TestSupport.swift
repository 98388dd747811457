import EISCore
import Foundation
import Logging
import EISTestSupport

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

/// A random `rows × columns` matrix of full-range ring elements.
func randomShares(rows: Int, columns: Int, seed: UInt64) -> Matrix<Int64> {
    var generator = SplitMix64(seed: seed)
    return Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in Int64(bitPattern: generator.next()) })
}

/// One F32 tensor for a test model file.
typealias TestTensor = SafetensorsWriter.Tensor

/// Runs `body` with a fresh temporary directory, removed afterwards (also when `body` throws).
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("eis-server-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Writes a test model file and returns its path.
func writeSafetensors(_ tensors: [TestTensor], to url: URL) throws -> String {
    try SafetensorsWriter.write(tensors, to: url)
    return url.path
}
