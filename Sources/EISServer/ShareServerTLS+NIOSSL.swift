import Foundation
import NIOSSL

extension ShareServerTLS {
    /// Reads the PEM files and builds the server-side NIOSSL configuration (TLS 1.2 or later).
    ///
    /// Builds one `NIOSSLContext` as a check, so a key that does not belong to the certificate fails
    /// here rather than at the first connection. Reads files: call it at start-up, not per request.
    /// - Throws: `ShareServerTLSError` naming the file that is missing, unreadable or malformed.
    func makeTLSConfiguration() throws(ShareServerTLSError) -> TLSConfiguration {
        let chain = try Self.certificates(at: certificatePath, what: "TLS certificate")
        let key = try Self.privateKey(at: privateKeyPath)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCAPath {
            let roots = try Self.certificates(at: clientCAPath, what: "client CA")
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(roots)
            configuration.sendCANameList = true
        }
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw ShareServerTLSError(
                "TLS private key '\(privateKeyPath)' does not belong to the certificate in '\(certificatePath)'")
        } catch {
            throw ShareServerTLSError(
                "cannot use TLS certificate '\(certificatePath)' with key '\(privateKeyPath)': \(error)")
        }
        return configuration
    }

    /// The certificates in a PEM file, in file order; at least one.
    private static func certificates(at path: String, what: String) throws(ShareServerTLSError) -> [NIOSSLCertificate] {
        let bytes = try contents(of: path, what: what)
        // Whether NIOSSL throws or finds no certificate, the file is not what the flag asks for.
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(bytes), !certificates.isEmpty else {
            throw ShareServerTLSError("\(what) file '\(path)' holds no readable PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return certificates
    }

    /// The private key in a PEM file.
    private static func privateKey(at path: String) throws(ShareServerTLSError) -> NIOSSLPrivateKey {
        let bytes = try contents(of: path, what: "TLS private key")
        guard let key = try? NIOSSLPrivateKey(bytes: bytes, format: .pem) else {
            throw ShareServerTLSError("TLS private key file '\(path)' holds no readable, unencrypted PEM private key")
        }
        return key
    }

    /// A file's bytes, or an error saying whether it is missing or unreadable.
    private static func contents(of path: String, what: String) throws(ShareServerTLSError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ShareServerTLSError("\(what) file '\(path)' does not exist")
        }
        guard !isDirectory.boolValue else {
            throw ShareServerTLSError("\(what) file '\(path)' is a directory")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShareServerTLSError("\(what) file '\(path)' cannot be read (check its permissions)")
        }
        return Array(data)
    }
}
