/// TLS settings for one request (per backend). Verification on by default.
///
/// `verifyPeer` governs both the certificate chain check and the host-name check: turning off one
/// without the other gives no meaningful protection, so they are not configurable separately.
public struct TLSOptions: Sendable, Hashable {
    /// Verify the server certificate chain and that it names the host (CURLOPT_SSL_VERIFYPEER/VERIFYHOST).
    public var verifyPeer: Bool
    /// PEM bundle of the only CAs trusted (CURLOPT_CAINFO, with CURLOPT_CAPATH cleared so
    /// libcurl's CA directory does not count); nil uses the system store.
    public var caFile: String?
    /// PEM client certificate for mutual TLS (CURLOPT_SSLCERT).
    public var clientCertificateFile: String?
    /// PEM private key matching `clientCertificateFile` (CURLOPT_SSLKEY).
    public var clientKeyFile: String?
    /// Public-key pin checked after the chain (CURLOPT_PINNEDPUBLICKEY), e.g. "sha256//base64==".
    public var pinnedPublicKey: String?

    /// Creates TLS options; every parameter defaults to the safe setting.
    public init(
        verifyPeer: Bool = true,
        caFile: String? = nil,
        clientCertificateFile: String? = nil,
        clientKeyFile: String? = nil,
        pinnedPublicKey: String? = nil
    ) {
        self.verifyPeer = verifyPeer
        self.caFile = caFile
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
        self.pinnedPublicKey = pinnedPublicKey
    }
}
