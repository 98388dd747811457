import CurlTransport
import EISLaunch
import EISTestSupport
import Testing

/// The `eis-server` executable with `--tls-cert`, `--tls-key` and `--client-ca`: started the way the
/// gateway launches it, reached with the gateway's HTTP client, refused at start-up when misconfigured.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EISServerCommandTLSTests {
    @Test func servesHTTPSOnlyAndTheLauncherStillReadsItsPort() async throws {
        let certificates = try await TestCertificates.shared()
        let tlsFlags = ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey]
        try await withServerProcess(tlsFlags) { port, client in
            let https = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/models/demo", tls: TLSOptions(caFile: certificates.caFile))
            let response = try await client.execute(https, timeout: .seconds(5))
            #expect(response.status == 200)
            await #expect(throws: TransportError.self) {
                _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(5))
            }
        }
    }

    @Test func clientCARequiresAClientCertificateSignedByIt() async throws {
        let certificates = try await TestCertificates.shared()
        let tlsFlags = ["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey, "--client-ca", certificates.caFile]
        try await withServerProcess(tlsFlags) { port, client in
            let url = "https://127.0.0.1:\(port)/healthz"
            let withCertificate = HTTPClientRequest(url: url, tls: TLSOptions(
                caFile: certificates.caFile, clientCertificateFile: certificates.clientCertificate, clientKeyFile: certificates.clientKey))
            let response = try await client.execute(withCertificate, timeout: .seconds(5))
            #expect(response.status == 200)
            await #expect(throws: TransportError.tlsFailure) {
                _ = try await client.execute(HTTPClientRequest(url: url, tls: TLSOptions(caFile: certificates.caFile)), timeout: .seconds(5))
            }
        }
    }

    @Test func missingCertificateFileStopsStartUpWithStatus1() async throws {
        let certificates = try await TestCertificates.shared()
        let output = try await runServer(["--tls-cert", "/nonexistent/server.pem", "--tls-key", certificates.serverKey])
        #expect(output.status == 1)
        #expect(output.standardError.contains("TLS certificate file '/nonexistent/server.pem' does not exist"), "\(output.standardError)")
        #expect(output.standardOutput.isEmpty)
    }

    @Test func keyOfAnotherCertificateStopsStartUpWithStatus1() async throws {
        let certificates = try await TestCertificates.shared()
        let output = try await runServer(["--tls-cert", certificates.serverCertificate, "--tls-key", certificates.otherServerKey])
        #expect(output.status == 1)
        #expect(output.standardError.contains("does not belong to the certificate"), "\(output.standardError)")
    }

    @Test func clientCAWithoutCertificateAndKeyIsAUsageError() async throws {
        let output = try await runServer(["--client-ca", "/some/ca.pem"])
        #expect(output.status == 64)  // EX_USAGE, ArgumentParser's code for a validation error
        #expect(output.standardError.contains("--client-ca needs --tls-cert and --tls-key"), "\(output.standardError)")
    }

    @Test func certificateWithoutKeyIsAUsageError() async throws {
        let output = try await runServer(["--tls-cert", "/some/server.pem"])
        #expect(output.status == 64)
        #expect(output.standardError.contains("--tls-cert needs --tls-key"), "\(output.standardError)")
    }
}

/// Runs `eis-server` on the demo model with `flags` until it exits (30 s at most), for start-up failures.
private func runServer(_ flags: [String]) async throws -> ExternalCommand.Output {
    let paths = try ProcessPaths()
    return try await ExternalCommand.run(
        paths.server, ["--model", paths.model, "--listen", "127.0.0.1:0"] + flags, timeout: .seconds(30))
}

/// Starts `eis-server` with `flags` through the gateway's launcher, runs `body` with its port and a
/// client, and stops the process and the client afterwards, also when `body` throws.
private func withServerProcess(
    _ flags: [String], _ body: (_ port: Int, _ client: CurlHTTPClient) async throws -> Void
) async throws {
    let paths = try ProcessPaths()
    let server = try await ChildProcess.start(
        executable: paths.server, arguments: ["--model", paths.model, "--listen", "127.0.0.1:0", "--log-level", "warning"] + flags)
    let client = CurlHTTPClient()
    do {
        try await body(server.port, client)
    } catch {
        client.shutdown()
        await server.stop()
        throw error
    }
    client.shutdown()
    await server.stop()
}
