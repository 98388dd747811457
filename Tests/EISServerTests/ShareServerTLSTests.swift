import EISServer
import EISTestSupport
import Foundation
import Testing

/// `ShareServerTLS`: unusable TLS files stop the server before it listens, with the file named.
@Suite(.timeLimit(.minutes(1)))
struct ShareServerTLSTests {
    @Test func readsAMatchingCertificateKeyAndClientCA() async throws {
        let certificates = try await TestCertificates.shared()
        let tls = ShareServerTLS(certificatePath: certificates.serverCertificate, privateKeyPath: certificates.serverKey,
                                 clientCAPath: certificates.caFile)
        _ = try Self.makeServer(tls)
    }

    @Test func missingCertificateFileIsNamed() async throws {
        let certificates = try await TestCertificates.shared()
        let error = Self.refusal(ShareServerTLS(certificatePath: "/nonexistent/server.pem", privateKeyPath: certificates.serverKey))
        #expect(error?.message == "TLS certificate file '/nonexistent/server.pem' does not exist")
    }

    @Test func missingKeyFileIsNamed() async throws {
        let certificates = try await TestCertificates.shared()
        let error = Self.refusal(ShareServerTLS(certificatePath: certificates.serverCertificate, privateKeyPath: "/nonexistent/key.pem"))
        #expect(error?.message == "TLS private key file '/nonexistent/key.pem' does not exist")
    }

    @Test func certificateFileWithoutACertificateIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        try withTemporaryDirectory { directory in
            let notPEM = directory.appendingPathComponent("not-a-certificate.txt").path
            try Data("hello\n".utf8).write(to: URL(fileURLWithPath: notPEM))
            let error = Self.refusal(ShareServerTLS(certificatePath: notPEM, privateKeyPath: certificates.serverKey))
            #expect(error?.message == "TLS certificate file '\(notPEM)' holds no readable PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
    }

    @Test func keyFileWithoutAKeyIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let error = Self.refusal(ShareServerTLS(certificatePath: certificates.serverCertificate, privateKeyPath: certificates.caFile))
        #expect(error?.message == "TLS private key file '\(certificates.caFile)' holds no readable, unencrypted PEM private key")
    }

    @Test func keyOfAnotherCertificateIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let error = Self.refusal(ShareServerTLS(certificatePath: certificates.serverCertificate, privateKeyPath: certificates.otherServerKey))
        #expect(error?.message == "TLS private key '\(certificates.otherServerKey)' does not belong to the certificate in '\(certificates.serverCertificate)'")
    }

    @Test func clientCAFileWithoutACertificateIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let error = Self.refusal(ShareServerTLS(certificatePath: certificates.serverCertificate, privateKeyPath: certificates.serverKey,
                                                clientCAPath: certificates.clientKey))
        #expect(error?.message == "client CA file '\(certificates.clientKey)' holds no readable PEM certificate (-----BEGIN CERTIFICATE-----)")
    }

    @Test func directoryInsteadOfAFileIsRefused() async throws {
        let certificates = try await TestCertificates.shared()
        let error = Self.refusal(ShareServerTLS(certificatePath: certificates.directory, privateKeyPath: certificates.serverKey))
        #expect(error?.message == "TLS certificate file '\(certificates.directory)' is a directory")
    }

    private static func makeServer(_ tls: ShareServerTLS) throws -> ShareServer {
        try ShareServer(configuration: ShareServerConfiguration(modelPath: demoModelPath, port: 0, tls: tls), logger: quietLogger)
    }

    /// The error creating a server with `tls` fails with; nil (and a recorded issue) when it does not fail so.
    private static func refusal(_ tls: ShareServerTLS) -> ShareServerTLSError? {
        do {
            _ = try makeServer(tls)
            Issue.record("the server accepted \(tls)")
        } catch let error as ShareServerTLSError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }
}
