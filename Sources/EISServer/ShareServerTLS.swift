/// Where an `eis-server`'s TLS certificate and key are, and the CA that client certificates must chain to.
///
/// With these settings the server speaks HTTPS only. With `clientCAPath` it also requires mutual
/// TLS: a client that presents no certificate, or one that does not chain to that CA, is refused
/// during the handshake. Host names are not checked on client certificates (a server cannot know
/// what name a client should have); the CA alone decides who may connect.
public struct ShareServerTLS: Sendable, Hashable {
    /// PEM file with the server certificate, optionally followed by its intermediate CAs.
    public var certificatePath: String
    /// PEM file with the private key of that certificate.
    public var privateKeyPath: String
    /// PEM file with the CA certificate(s) that client certificates must chain to; nil: no client certificate asked.
    public var clientCAPath: String?

    /// Creates TLS settings from file paths; nothing is read until the server is created.
    public init(certificatePath: String, privateKeyPath: String, clientCAPath: String? = nil) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
    }
}
