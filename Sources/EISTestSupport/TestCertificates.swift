import Foundation
import EISCore

/// Certificates made with openssl at test time, in a fresh temporary directory (no key is ever committed).
///
/// The basic set comes from `examples/make-certs.sh`, so the tests also check the script: a CA, a
/// server certificate for 127.0.0.1 and localhost, a client certificate (clientAuth), and the
/// server key's SPKI pin as the script prints it. Extras for failure cases: a second, unrelated CA
/// with a server certificate of its own, and an expired server certificate signed by the first CA
/// (made with `openssl ca -startdate/-enddate`, which OpenSSL 3.0 supports, unlike
/// `x509 -not_before`).
///
/// All paths are absolute. Tests share one set per process (`TestCertificates.shared()`), since
/// making it runs openssl about twenty-five times; treat its files as read-only.
public struct TestCertificates: Sendable {
    /// The directory holding every file below.
    public let directory: String
    /// The CA (PEM) that signed the server, client and expired certificates.
    public let caFile: String
    /// The server certificate for IP 127.0.0.1 and DNS localhost, signed by `caFile`.
    public let serverCertificate: String
    /// The key of `serverCertificate`.
    public let serverKey: String
    /// A client certificate (extendedKeyUsage clientAuth), signed by `caFile`.
    public let clientCertificate: String
    /// The key of `clientCertificate`.
    public let clientKey: String
    /// A second CA that has nothing to do with `caFile`.
    public let otherCAFile: String
    /// A server certificate for 127.0.0.1 signed by `otherCAFile` (so not trusted by `caFile`).
    public let otherServerCertificate: String
    /// The key of `otherServerCertificate`.
    public let otherServerKey: String
    /// A client certificate (clientAuth) signed by `otherCAFile`, which a server trusting only `caFile` refuses.
    public let otherClientCertificate: String
    /// The key of `otherClientCertificate`.
    public let otherClientKey: String
    /// A server certificate for 127.0.0.1 signed by `caFile`, valid only on 1–2 January 2020.
    public let expiredServerCertificate: String
    /// The key of `expiredServerCertificate`.
    public let expiredServerKey: String
    /// The SPKI pin of `serverKey` in libcurl's format (`sha256//BASE64`), as make-certs.sh printed it.
    public let serverPin: String
    /// A well-formed pin of a different key (`otherServerKey`), so pinning must fail against `serverKey`.
    public let wrongPin: String

    /// Makes every certificate in `directory`, which must exist.
    ///
    /// Runs openssl about twenty times (roughly a second); waits without blocking a thread.
    /// - Throws: `ExternalCommand.Failure` when openssl or the script fails, with its stderr.
    public static func make(in directory: String) async throws -> TestCertificates {
        let script = ProcessPaths.packageRoot + "/examples/make-certs.sh"
        let output = try await ExternalCommand.run("bash", [script, directory])
        guard output.status == 0 else {
            throw ExternalCommand.Failure(message: "make-certs.sh failed (\(output.status)): \(output.standardError)")
        }
        guard let scriptPin = output.standardOutput.split(whereSeparator: \.isWhitespace)
            .first(where: { $0.hasPrefix("sha256//") }).map(String.init) else {
            throw ExternalCommand.Failure(message: "make-certs.sh printed no sha256// pin: \(output.standardOutput)")
        }
        let file = { (name: String) in directory + "/" + name }

        // A second CA and a server certificate it signs.
        try await newKey(file("other-ca-key.pem"), in: directory)
        try await openssl(["req", "-new", "-key", "other-ca-key.pem", "-subj", "/CN=EIS unrelated test CA", "-out", "other-ca.csr"], in: directory)
        try await openssl(["x509", "-req", "-in", "other-ca.csr", "-signkey", "other-ca-key.pem", "-set_serial", "2", "-days", "30",
                           "-sha256", "-extfile", "extensions.cnf", "-extensions", "ca", "-out", "other-ca.pem"], in: directory)
        try await newKey(file("other-server-key.pem"), in: directory)
        try await openssl(["req", "-new", "-key", "other-server-key.pem", "-subj", "/CN=localhost", "-out", "other-server.csr"], in: directory)
        try await openssl(["x509", "-req", "-in", "other-server.csr", "-CA", "other-ca.pem", "-CAkey", "other-ca-key.pem", "-set_serial", "3",
                           "-days", "30", "-sha256", "-extfile", "extensions.cnf", "-extensions", "server", "-out", "other-server.pem"], in: directory)
        try await newKey(file("other-client-key.pem"), in: directory)
        try await openssl(["req", "-new", "-key", "other-client-key.pem", "-subj", "/CN=eis-gateway", "-out", "other-client.csr"], in: directory)
        try await openssl(["x509", "-req", "-in", "other-client.csr", "-CA", "other-ca.pem", "-CAkey", "other-ca-key.pem", "-set_serial", "4",
                           "-days", "30", "-sha256", "-extfile", "extensions.cnf", "-extensions", "client", "-out", "other-client.pem"], in: directory)

        // An expired server certificate from the first CA: `openssl ca` takes explicit dates.
        try Data().write(to: URL(fileURLWithPath: file("index.txt")))
        try Data(caConfiguration(directory: directory).utf8).write(to: URL(fileURLWithPath: file("test-ca.cnf")))
        try await newKey(file("expired-key.pem"), in: directory)
        try await openssl(["req", "-new", "-key", "expired-key.pem", "-subj", "/CN=localhost", "-out", "expired.csr"], in: directory)
        try await openssl(["ca", "-batch", "-config", "test-ca.cnf", "-cert", "ca.pem", "-keyfile", "ca-key.pem", "-in", "expired.csr",
                           "-out", "expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext",
                           "-extfile", "extensions.cnf", "-extensions", "server"], in: directory)

        return TestCertificates(
            directory: directory,
            caFile: file("ca.pem"), serverCertificate: file("server.pem"), serverKey: file("server-key.pem"),
            clientCertificate: file("client.pem"), clientKey: file("client-key.pem"),
            otherCAFile: file("other-ca.pem"), otherServerCertificate: file("other-server.pem"), otherServerKey: file("other-server-key.pem"),
            otherClientCertificate: file("other-client.pem"), otherClientKey: file("other-client-key.pem"),
            expiredServerCertificate: file("expired.pem"), expiredServerKey: file("expired-key.pem"),
            serverPin: scriptPin, wrongPin: try await pin(ofKey: file("other-server-key.pem")))
    }

    /// The SPKI pin of a private key in libcurl's format, computed here (openssl for the DER public
    /// key, then SHA-256 and Base64 in Swift), independently of make-certs.sh's pipeline.
    public static func pin(ofKey keyFile: String) async throws -> String {
        let directory = URL(fileURLWithPath: keyFile).deletingLastPathComponent().path
        let derFile = directory + "/spki-\(UUID().uuidString).der"
        defer { try? FileManager.default.removeItem(atPath: derFile) }
        try await openssl(["pkey", "-in", keyFile, "-pubout", "-outform", "DER", "-out", derFile], in: directory)
        guard let der = FileManager.default.contents(atPath: derFile) else {
            throw ExternalCommand.Failure(message: "openssl wrote no public key to \(derFile)")
        }
        let hex = der.withUnsafeBytes { SHA256Digest.hex(of: $0) }
        var digest = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else {
                throw ExternalCommand.Failure(message: "unexpected digest text \(hex)")
            }
            digest.append(byte)
            index = next
        }
        return "sha256//" + Data(digest).base64EncodedString()
    }

    /// An EC P-256 key, as make-certs.sh makes them.
    private static func newKey(_ path: String, in directory: String) async throws {
        try await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path], in: directory)
    }

    /// Runs openssl in `directory` and fails with its stderr when it exits non-zero.
    private static func openssl(_ arguments: [String], in directory: String) async throws {
        let output = try await ExternalCommand.run("openssl", arguments, in: directory)
        guard output.status == 0 else {
            throw ExternalCommand.Failure(
                message: "openssl \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.standardError)")
        }
    }

    /// A minimal `openssl ca` configuration that signs any subject, with the dates given on the command line.
    private static func caConfiguration(directory: String) -> String {
        """
        [ca]
        default_ca = test_ca

        [test_ca]
        database = \(directory)/index.txt
        new_certs_dir = \(directory)
        rand_serial = yes
        default_md = sha256
        policy = any_subject
        unique_subject = no

        [any_subject]
        commonName = supplied

        """
    }
}
