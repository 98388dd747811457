import CurlTransport
import EISServer
import EISTestSupport
import Testing

/// `CurlHTTPClient` with `TLSOptions` against a share server speaking TLS, with certificates made by
/// openssl at test time: verification, pinning, expiry and mutual TLS, each failure with a clear message.
@Suite(.timeLimit(.minutes(2)))
struct CurlHTTPClientTLSTests {
    @Test func verifiesTheServerAgainstTheGivenCAForItsIPAndName() async throws {
        let certificates = try await TestCertificates.shared()
        try await withTLSShareServer(certificates.serverTLS()) { port in
            try await withTLSClient { client in
                for host in ["127.0.0.1", "localhost"] {
                    let request = HTTPClientRequest(url: "https://\(host):\(port)/healthz", tls: TLSOptions(caFile: certificates.caFile))
                    let response = try await client.execute(request, timeout: .seconds(5))
                    #expect(response.status == 200, "\(host)")
                }
            }
        }
    }

    @Test func acceptsTheServerWhoseKeyMatchesThePin() async throws {
        let certificates = try await TestCertificates.shared()
        #expect(try await TestCertificates.pin(ofKey: certificates.serverKey) == certificates.serverPin)
        try await withTLSShareServer(certificates.serverTLS()) { port in
            try await withTLSClient { client in
                let request = HTTPClientRequest(
                    url: "https://127.0.0.1:\(port)/healthz",
                    tls: TLSOptions(caFile: certificates.caFile, pinnedPublicKey: certificates.serverPin))
                let response = try await client.execute(request, timeout: .seconds(5))
                #expect(response.status == 200)
            }
        }
    }

    @Test func mutualTLSSucceedsWithAClientCertificateFromTheClientCA() async throws {
        let certificates = try await TestCertificates.shared()
        try await withTLSShareServer(certificates.serverTLS(requireClientCertificate: true)) { port in
            try await withTLSClient { client in
                let request = HTTPClientRequest(
                    url: "https://127.0.0.1:\(port)/healthz",
                    tls: TLSOptions(caFile: certificates.caFile, clientCertificateFile: certificates.clientCertificate,
                                    clientKeyFile: certificates.clientKey))
                let response = try await client.execute(request, timeout: .seconds(5))
                #expect(response.status == 200)
            }
        }
    }

    @Test func serverFromAnotherCAFailsCertificateVerification() async throws {
        let certificates = try await TestCertificates.shared()
        let tls = ShareServerTLS(certificatePath: certificates.otherServerCertificate, privateKeyPath: certificates.otherServerKey)
        try await withTLSShareServer(tls) { port in
            let error = try await failure(of: HTTPClientRequest(url: "https://127.0.0.1:\(port)/healthz", tls: TLSOptions(caFile: certificates.caFile)))
            #expect(error == .tlsFailure)
            #expect(error.description.contains("certificate verification failed"), "\(error)")
        }
    }

    @Test func wrongPinFailsAfterAValidChain() async throws {
        let certificates = try await TestCertificates.shared()
        try await withTLSShareServer(certificates.serverTLS()) { port in
            let error = try await failure(of: HTTPClientRequest(
                url: "https://127.0.0.1:\(port)/healthz",
                tls: TLSOptions(caFile: certificates.caFile, pinnedPublicKey: certificates.wrongPin)))
            #expect(error == .tlsFailure)
            #expect(error.description.contains("server public key does not match the pinned key"), "\(error)")
        }
    }

    @Test func expiredServerCertificateFailsAsExpired() async throws {
        let certificates = try await TestCertificates.shared()
        let tls = ShareServerTLS(certificatePath: certificates.expiredServerCertificate, privateKeyPath: certificates.expiredServerKey)
        try await withTLSShareServer(tls) { port in
            let error = try await failure(of: HTTPClientRequest(url: "https://127.0.0.1:\(port)/healthz", tls: TLSOptions(caFile: certificates.caFile)))
            #expect(error == .tlsFailure)
            #expect(error.description.contains("server certificate verification failed"), "\(error)")
            #expect(error.description.contains("expired"), "\(error)")
        }
    }

    @Test func mutualTLSServerRefusesAClientWithoutCertificate() async throws {
        let certificates = try await TestCertificates.shared()
        try await withTLSShareServer(certificates.serverTLS(requireClientCertificate: true)) { port in
            let error = try await failure(of: HTTPClientRequest(url: "https://127.0.0.1:\(port)/healthz", tls: TLSOptions(caFile: certificates.caFile)))
            #expect(error == .tlsFailure)
            #expect(error.description.contains("the server requires a client certificate; none was sent"), "\(error)")
        }
    }

    @Test func mutualTLSServerRefusesAClientCertificateFromAnotherCA() async throws {
        let certificates = try await TestCertificates.shared()
        try await withTLSShareServer(certificates.serverTLS(requireClientCertificate: true)) { port in
            let error = try await failure(of: HTTPClientRequest(
                url: "https://127.0.0.1:\(port)/healthz",
                tls: TLSOptions(caFile: certificates.caFile, clientCertificateFile: certificates.otherClientCertificate,
                                clientKeyFile: certificates.otherClientKey)))
            #expect(error == .tlsFailure)
            #expect(error.description.contains("the server refused the client certificate"), "\(error)")
        }
    }

    @Test func plainHTTPToATLSServerFailsCleanlyAndTheServerKeepsServing() async throws {
        let certificates = try await TestCertificates.shared()
        try await withTLSShareServer(certificates.serverTLS()) { port in
            try await withTLSClient { client in
                let plain = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
                // The server reads no TLS record, closes the connection, and curl reports an empty reply
                // (CURLcode 52) at once, rather than waiting for the deadline.
                await #expect(throws: TransportError.connectionLost) {
                    _ = try await client.execute(plain, timeout: .seconds(5))
                }
                let good = HTTPClientRequest(url: "https://127.0.0.1:\(port)/healthz", tls: TLSOptions(caFile: certificates.caFile))
                let response = try await client.execute(good, timeout: .seconds(5))
                #expect(response.status == 200)
            }
        }
    }
}

/// Runs `body` with a fresh client and shuts it down afterwards, also when `body` throws.
private func withTLSClient<T>(_ body: (CurlHTTPClient) async throws -> T) async throws -> T {
    let client = CurlHTTPClient()
    defer { client.shutdown() }
    return try await body(client)
}

/// A request that was expected to fail got an answer.
private struct UnexpectedSuccess: Error {
    let status: Int
}

/// The `TransportError` that `request` fails with; throws when it succeeds or fails otherwise.
private func failure(of request: HTTPClientRequest) async throws -> TransportError {
    try await withTLSClient { client in
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            throw UnexpectedSuccess(status: response.status)
        } catch let error as TransportError {
            return error
        }
    }
}
