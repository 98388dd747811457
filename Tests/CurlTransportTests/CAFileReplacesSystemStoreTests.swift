import CCurl
import CurlTransport
import EISServer
import EISTestSupport
import Foundation
import Testing

/// `ca_file` trusts that file only (issue 12, item 2). libcurl loads CA certificates from two
/// places: the bundle (`CURLOPT_CAINFO`, which `ca_file` replaces) and a hashed directory
/// (`CURLOPT_CAPATH`, compiled in as /etc/ssl/certs on Debian). Setting only the bundle left the
/// directory in force, so any CA found there was trusted for a backend with its own private CA.
///
/// The proof puts a second CA where libcurl's own compiled-in CA path points (read from
/// `curl_version_info`), because that is the directory production would consult; an
/// environment variable or a test-only option would prove nothing about production. The CA is
/// made fresh for this run (its key lives in a temporary directory deleted afterwards), so a copy
/// left behind by a killed test trusts nothing anyone holds a key for; the copy is removed
/// when the test ends, also when it fails.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CAFileReplacesSystemStoreTests {
    /// libcurl's compiled-in CA directory (`capath`, in the version data since CURLVERSION_SEVENTH).
    static func compiledInCAPath() -> String? {
        guard let info = curl_version_info(CURLVERSION_SEVENTH), let path = info.pointee.capath else { return nil }
        return String(cString: path)
    }

    @Test func aServerFromACAInLibcurlsCAPathIsRefusedWhenCAFileNamesAnother() async throws {
        let capath = try #require(Self.compiledInCAPath(), "this libcurl has no compiled-in CA path; nothing to prove")
        let trusted = try await TestCertificates.shared()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eis-capath-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A fresh set: its "unrelated" CA plays a publicly trusted CA that signed a certificate
        // for the backend's name.
        let rogue = try await TestCertificates.make(in: directory)
        let hash = try await ExternalCommand.run("openssl", ["x509", "-hash", "-noout", "-in", rogue.otherCAFile], in: directory)
            .standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.isWritableFile(atPath: capath), "needs write access to \(capath) (run as root, as CI does)")
        var installed: String?
        for index in 0..<100 where !FileManager.default.fileExists(atPath: "\(capath)/\(hash).\(index)") {
            installed = "\(capath)/\(hash).\(index)"
            break
        }
        let target = try #require(installed)
        try FileManager.default.copyItem(atPath: rogue.otherCAFile, toPath: target)
        defer { try? FileManager.default.removeItem(atPath: target) }

        let tls = ShareServerTLS(certificatePath: rogue.otherServerCertificate, privateKeyPath: rogue.otherServerKey)
        try await withTLSShareServer(tls) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            // Without ca_file the system store, CA path included, is used: the installed CA is
            // in force, so the check below is not vacuous.
            let system = try await client.execute(HTTPClientRequest(url: "https://localhost:\(port)/healthz"), timeout: .seconds(5))
            #expect(system.status == 200, "the CA installed in \(capath) is trusted by the system store")
            // With ca_file only that file counts.
            do {
                let response = try await client.execute(
                    HTTPClientRequest(url: "https://localhost:\(port)/healthz", tls: TLSOptions(caFile: trusted.caFile)), timeout: .seconds(5))
                Issue.record("a server from a CA outside ca_file was accepted (status \(response.status))")
            } catch let error as TransportError {
                #expect(error == .tlsFailure, "\(error)")
            }
        }
    }
}
