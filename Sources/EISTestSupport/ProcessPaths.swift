import Foundation

/// Where the built executables, the repository and the demo model are, for tests that start processes.
///
/// The test runner sits beside the executables it was built with (`.build/debug/…xctest` on Linux),
/// so a test target that depends on `eis-server` or `eis-gateway` finds them here.
public struct ProcessPaths: Sendable {
    /// The repository root (found from this file's path).
    public static let packageRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The repository root.
    public let root: String
    /// The `eis-server` executable.
    public let server: String
    /// The `eis-gateway` executable.
    public let gateway: String
    /// The demo model, `models/demo.safetensors`.
    public let model: String
    private let scratch: URL

    /// Finds the executables beside the running test binary and makes a fresh scratch directory.
    public init() throws {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        // On Linux the test runner is `<build>/debug/<pkg>PackageTests.xctest`; executables sit beside it.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        server = directory.appendingPathComponent("eis-server").path
        gateway = directory.appendingPathComponent("eis-gateway").path
        root = Self.packageRoot
        model = root + "/models/demo.safetensors"
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("eis-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    /// Writes a file in a fresh temporary directory and returns its path.
    public func temporaryFile(named name: String, contents: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
