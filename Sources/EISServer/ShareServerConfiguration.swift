public import EISCore
import Foundation

/// Settings of one `eis-server` process.
public struct ShareServerConfiguration: Sendable {
    /// Path of the safetensors model file.
    public var modelPath: String
    /// Name the model is served under; defaults to the file name without extension.
    public var modelName: String
    /// Address to bind; `127.0.0.1` by default.
    public var host: String
    /// Port to bind; 0 picks a free one (printed at start).
    public var port: Int
    /// Fractional bits `fw` of the encoded weights (default 26, see README "Fixed point").
    public var weightFractionBits: Int
    /// Largest request body accepted, in bytes (default 64 MiB).
    public var maxBodyBytes: Int
    /// Dimension limits checked before any allocation.
    public var limits: ShareLimits
    /// HTTPS settings; nil serves plain HTTP (the default, for loopback demos only).
    public var tls: ShareServerTLS?
    /// The most threads one share product uses (default: every core). Products too small to
    /// gain from more threads use fewer (`KernelRunner.workPerThread`).
    public var kernelThreads: Int
    /// A connection that sends nothing for this long is closed (default 60 s).
    public var idleTimeout: Duration = .seconds(60)
    /// A request whose body has not arrived in full this long after its head is dropped, with
    /// its connection (default 60 s: a 64 MiB body at 10 Mbit/s).
    public var bodyTimeout: Duration = .seconds(60)
    /// Most connections open at once; one more gets 503 `too_many_connections` (default 1024).
    public var maxConnections = 1024

    /// Creates a configuration with documented defaults.
    public init(
        modelPath: String,
        modelName: String? = nil,
        host: String = "127.0.0.1",
        port: Int = 9101,
        weightFractionBits: Int = Defaults.weightFractionBits,
        maxBodyBytes: Int = 64 << 20,
        limits: ShareLimits = ShareLimits(),
        tls: ShareServerTLS? = nil,
        kernelThreads: Int = ShareServerConfiguration.defaultKernelThreads
    ) {
        self.modelPath = modelPath
        self.modelName = modelName ?? Self.defaultName(forModelAt: modelPath)
        self.host = host
        self.port = port
        self.weightFractionBits = weightFractionBits
        self.maxBodyBytes = maxBodyBytes
        self.limits = limits
        self.tls = tls
        self.kernelThreads = kernelThreads
    }

    /// The number of cores this process may run on.
    public static var defaultKernelThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The file name without directory and extension: `models/demo.safetensors` → `demo`.
    public static func defaultName(forModelAt path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }
}
