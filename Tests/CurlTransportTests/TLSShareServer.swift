import EISServer
import EISTestSupport
import Hummingbird
import Logging

/// Runs an in-process `ShareServer` over TLS on 127.0.0.1 (serving the demo model), and stops it
/// gracefully when `body` (given the port) returns or throws.
///
/// The share server, not a bare Hummingbird app, so these tests also cover how `eis-server` builds its
/// TLS channel; its `/healthz` route is all the transport tests need.
func withTLSShareServer<T: Sendable>(_ tls: ShareServerTLS, _ body: (_ port: Int) async throws -> T) async throws -> T {
    var logger = Logger(label: "curl-transport-tests.tls-server")
    logger.logLevel = .critical
    let configuration = ShareServerConfiguration(
        modelPath: ProcessPaths.packageRoot + "/models/demo.safetensors", host: "127.0.0.1", port: 0, tls: tls)
    let server = try ShareServer(configuration: configuration, logger: logger)
    return try await withRunningApplication({ server.makeApplication(onListening: $0) }, logger: logger, body)
}

extension TestCertificates {
    /// The server certificate and key from the test CA, optionally asking clients for certificates from that CA.
    func serverTLS(requireClientCertificate: Bool = false) -> ShareServerTLS {
        ShareServerTLS(certificatePath: serverCertificate, privateKeyPath: serverKey,
                       clientCAPath: requireClientCertificate ? caFile : nil)
    }
}
