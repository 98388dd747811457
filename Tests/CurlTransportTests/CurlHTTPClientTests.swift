import CurlTransport
import Testing

/// Behaviour of `CurlHTTPClient` against a real in-process HTTP server on 127.0.0.1.
@Suite(.timeLimit(.minutes(1)))
struct CurlHTTPClientTests {
    // MARK: Round trips

    @Test func getReturnsStatusAndExactBody() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let response = try await client.execute(HTTPClientRequest(url: server.url("/hello")), timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(response.body == Array("hello".utf8))
            }
        }
    }

    @Test func postSendsAndReceivesEveryByteValueUnchanged() async throws {
        let payload = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try await withTestServer { server in
            try await withClient { client in
                let request = HTTPClientRequest(
                    method: .post,
                    url: server.url("/echo"),
                    headers: [(name: "Content-Type", value: "application/octet-stream")],
                    body: payload
                )
                let response = try await client.execute(request, timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(response.body == payload)
            }
        }
    }

    @Test func postWithEmptyBodyEchoesNothing() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let request = HTTPClientRequest(method: .post, url: server.url("/echo"))
                let response = try await client.execute(request, timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(response.body.isEmpty)
            }
        }
    }

    @Test func non2xxStatusComesBackAsResponse() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let response = try await client.execute(HTTPClientRequest(url: server.url("/unavailable")), timeout: .seconds(5))
                #expect(response.status == 503)
                #expect(response.body == Array("try later".utf8))
            }
        }
    }

    @Test func headersTravelBothWaysWithLowercasedResponseNames() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let get = HTTPClientRequest(url: server.url("/headers"), headers: [(name: "X-Probe", value: "probe-value")])
                let response = try await client.execute(get, timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(response.header("X-Custom-Header") == "value-1")
                #expect(response.header("x-custom-header") == "value-1")
                #expect(response.header("x-echo-probe") == "probe-value")
                #expect(response.headers.allSatisfy { $0.name == $0.name.lowercased() })
                #expect(response.headers.contains { $0.name == "x-custom-header" })
                // No compression is requested and curl must not wait for 100-continue.
                #expect(response.header("x-saw-accept-encoding") == "<none>")
                #expect(response.header("x-saw-expect") == "<none>")
                #expect(response.header("x-saw-user-agent") == "eis/0.1")
            }
        }
    }

    @Test func postSendsOnlyTheContentTypeTheCallerGave() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let bare = HTTPClientRequest(method: .post, url: server.url("/headers"), body: Array("{}".utf8))
                let bareResponse = try await client.execute(bare, timeout: .seconds(5))
                #expect(bareResponse.status == 200)
                // curl's default would be application/x-www-form-urlencoded, mislabelling the payload.
                #expect(bareResponse.header("x-saw-content-type") == "<none>")
                #expect(bareResponse.header("x-saw-expect") == "<none>")

                let typed = HTTPClientRequest(
                    method: .post,
                    url: server.url("/headers"),
                    headers: [(name: "Content-Type", value: "application/json")],
                    body: Array("{}".utf8)
                )
                let typedResponse = try await client.execute(typed, timeout: .seconds(5))
                #expect(typedResponse.header("x-saw-content-type") == "application/json")
            }
        }
    }

    @Test func redirectIsReturnedNotFollowed() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let response = try await client.execute(HTTPClientRequest(url: server.url("/redirect")), timeout: .seconds(5))
                #expect(response.status == 302)
                #expect(response.header("location") == "/hello")
                #expect(response.body != Array("hello".utf8))
            }
        }
    }

    // MARK: Concurrency and reuse

    @Test func hundredConcurrentRequestsAreAllAnsweredCorrectlyAndInParallel() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let results = try await withThrowingTaskGroup(of: (Int, HTTPClientResponse).self) { group in
                    for index in 0..<100 {
                        group.addTask {
                            let request = HTTPClientRequest(
                                method: .post,
                                url: server.url("/slow-echo"),
                                body: Array("request-\(index)".utf8)
                            )
                            return (index, try await client.execute(request, timeout: .seconds(20)))
                        }
                    }
                    var results: [Int: HTTPClientResponse] = [:]
                    for try await (index, response) in group {
                        results[index] = response
                    }
                    return results
                }
                #expect(results.count == 100)
                for (index, response) in results {
                    #expect(response.status == 200)
                    #expect(response.body == Array("request-\(index)".utf8))
                }
                // Each handler sleeps, so overlapping handlers prove the requests went out concurrently.
                #expect(server.probe.peakConcurrency > 10)
                #expect(client.connectionsOpened <= CurlHTTPClient.Configuration().maxConnectionsPerHost)
            }
        }
    }

    @Test func sequentialRequestsReuseOneKeepAliveConnection() async throws {
        try await withTestServer { server in
            try await withClient { client in
                for index in 0..<20 {
                    let request = HTTPClientRequest(method: .post, url: server.url("/echo"), body: Array("\(index)".utf8))
                    let response = try await client.execute(request, timeout: .seconds(5))
                    #expect(response.body == Array("\(index)".utf8))
                }
                #expect(client.connectionsOpened == 1)
            }
        }
    }

    // MARK: Deadlines and cancellation

    @Test func deadlineFailsTheRequestLongBeforeTheSlowRouteAnswers() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let start = ContinuousClock.now
                await #expect(throws: TransportError.deadlineExceeded) {
                    _ = try await client.execute(
                        HTTPClientRequest(url: server.url("/slow?ms=5000")),
                        deadline: start + .milliseconds(300)
                    )
                }
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(250))
                #expect(elapsed < .seconds(3))
            }
        }
    }

    @Test func deadlineHoldsWhileWaitingForAFreeConnection() async throws {
        var configuration = CurlHTTPClient.Configuration()
        configuration.maxConnectionsPerHost = 1
        try await withTestServer { server in
            try await withClient(configuration) { client in
                // Occupies the only connection to the host for 2 seconds.
                let blocker = Task {
                    try await client.execute(HTTPClientRequest(url: server.url("/slow?ms=2000")), timeout: .seconds(10))
                }
                defer { blocker.cancel() }
                try await Task.sleep(for: .milliseconds(200))
                let start = ContinuousClock.now
                await #expect(throws: TransportError.deadlineExceeded) {
                    _ = try await client.execute(HTTPClientRequest(url: server.url("/hello")), deadline: start + .milliseconds(300))
                }
                #expect(ContinuousClock.now - start < .milliseconds(1500))
            }
        }
    }

    @Test func alreadyPassedDeadlineFailsWithoutContactingTheServer() async throws {
        try await withTestServer { server in
            try await withClient { client in
                await #expect(throws: TransportError.deadlineExceeded) {
                    _ = try await client.execute(
                        HTTPClientRequest(url: server.url("/hello")),
                        deadline: .now - .milliseconds(1)
                    )
                }
                #expect(client.connectionsOpened == 0)
            }
        }
    }

    @Test func taskCancellationFailsWithCancelledNotDeadline() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let start = ContinuousClock.now
                let task = Task {
                    try await client.execute(HTTPClientRequest(url: server.url("/slow?ms=5000")), timeout: .seconds(10))
                }
                try await Task.sleep(for: .milliseconds(200))
                task.cancel()
                await #expect(throws: TransportError.cancelled) {
                    _ = try await task.value
                }
                #expect(ContinuousClock.now - start < .seconds(3))
                // The client stays usable after a cancellation.
                let response = try await client.execute(HTTPClientRequest(url: server.url("/hello")), timeout: .seconds(5))
                #expect(response.status == 200)
            }
        }
    }

    @Test func alreadyCancelledTaskFailsWithCancelled() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await client.execute(HTTPClientRequest(url: server.url("/hello")), timeout: .seconds(5))
                }
                await #expect(throws: TransportError.cancelled) {
                    _ = try await task.value
                }
            }
        }
    }

    // MARK: Failures

    @Test func refusedConnectionFailsWithConnectFailed() async throws {
        let refusing = try #require(LoopbackPort(listening: false))
        try await withClient { client in
            let error = await #expect(throws: TransportError.connectFailed) {
                _ = try await client.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(refusing.port)/"),
                    timeout: .seconds(5)
                )
            }
            #expect(error?.curlCode == 7)
        }
    }

    @Test(arguments: ["/large", "/large-chunked"])
    func responseOverTheLimitFailsWithResponseTooLarge(route: String) async throws {
        var configuration = CurlHTTPClient.Configuration()
        configuration.maxResponseBytes = 64 * 1024
        try await withTestServer { server in
            try await withClient(configuration) { client in
                await #expect(throws: TransportError.responseTooLarge) {
                    _ = try await client.execute(
                        HTTPClientRequest(url: server.url("\(route)?bytes=\(1 << 20)")),
                        timeout: .seconds(5)
                    )
                }
                // Exactly at the limit is still fine.
                let response = try await client.execute(
                    HTTPClientRequest(url: server.url("\(route)?bytes=\(64 * 1024)")),
                    timeout: .seconds(5)
                )
                #expect(response.body.count == 64 * 1024)
            }
        }
    }

    @Test(arguments: ["/large", "/large-chunked"])
    func aRequestsOwnLimitTightensTheClientsButNeverLoosensIt(route: String) async throws {
        var configuration = CurlHTTPClient.Configuration()
        configuration.maxResponseBytes = 64 * 1024
        try await withTestServer { server in
            try await withClient(configuration) { client in
                await #expect(throws: TransportError.responseTooLarge) {
                    _ = try await client.execute(
                        HTTPClientRequest(url: server.url("\(route)?bytes=\(1025)"), maxResponseBytes: 1024), timeout: .seconds(5))
                }
                let atLimit = try await client.execute(
                    HTTPClientRequest(url: server.url("\(route)?bytes=\(1024)"), maxResponseBytes: 1024), timeout: .seconds(5))
                #expect(atLimit.body.count == 1024)
                await #expect(throws: TransportError.responseTooLarge) {
                    _ = try await client.execute(
                        HTTPClientRequest(url: server.url("\(route)?bytes=\(128 * 1024)"), maxResponseBytes: 1 << 20), timeout: .seconds(5))
                }
            }
        }
    }

    @Test func largeResponseWithinTheLimitArrivesIntact() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let response = try await client.execute(
                    HTTPClientRequest(url: server.url("/large-chunked?bytes=\(3 << 20)")),
                    timeout: .seconds(10)
                )
                #expect(response.body.count == 3 << 20)
                #expect(response.body.allSatisfy { $0 == UInt8(ascii: "b") })
            }
        }
    }

    @Test(arguments: ["ftp://127.0.0.1/file", "not a url", "file:///etc/passwd", "127.0.0.1/", "http://127.0.0.1\u{0}/", "http://[::1/"])
    func unsupportedOrMalformedURLFailsWithBadURL(url: String) async throws {
        try await withClient { client in
            await #expect(throws: TransportError.badURL) {
                _ = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
            }
        }
    }

    @Test func headerValueWithLineBreakIsRejectedBeforeSending() async throws {
        try await withClient { client in
            let request = HTTPClientRequest(
                url: "http://127.0.0.1:9/",
                headers: [(name: "X-Injected", value: "a\r\nEvil: yes")]
            )
            await #expect(throws: TransportError.invalidRequest) {
                _ = try await client.execute(request, timeout: .seconds(5))
            }
        }
    }

    @Test func httpsToAPlainHTTPServerFailsWithTLSFailure() async throws {
        try await withTestServer { server in
            try await withClient { client in
                await #expect(throws: TransportError.tlsFailure) {
                    _ = try await client.execute(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/hello"), timeout: .seconds(5))
                }
            }
        }
    }

    @Test func tlsOptionsAreAppliedToTheTransfer() async throws {
        let listener = try #require(LoopbackPort(listening: true))
        try await withClient { client in
            // Files that do not exist can only fail the transfer if curl was told to load them.
            let missingCA = HTTPClientRequest(
                url: "https://127.0.0.1:\(listener.port)/",
                tls: TLSOptions(caFile: "/nonexistent/eis-test-ca.pem")
            )
            let caError = await #expect(throws: TransportError.tlsFailure) {
                _ = try await client.execute(missingCA, timeout: .seconds(5))
            }
            #expect(caError?.curlCode == 77)  // CURLE_SSL_CACERT_BADFILE

            let missingCertificate = HTTPClientRequest(
                url: "https://127.0.0.1:\(listener.port)/",
                tls: TLSOptions(clientCertificateFile: "/nonexistent/eis-test-client.pem", clientKeyFile: "/nonexistent/eis-test-client.key")
            )
            let certificateError = await #expect(throws: TransportError.tlsFailure) {
                _ = try await client.execute(missingCertificate, timeout: .seconds(5))
            }
            #expect(certificateError?.curlCode == 58)  // CURLE_SSL_CERTPROBLEM
        }
    }

    // MARK: Shutdown

    @Test func executeAfterShutdownFailsWithShutdown() async throws {
        let client = CurlHTTPClient()
        client.shutdown()
        await #expect(throws: TransportError.shutdown) {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:9/"), timeout: .seconds(5))
        }
        client.shutdown()  // idempotent
    }

    @Test func shutdownFailsInFlightRequestsWithShutdown() async throws {
        try await withTestServer { server in
            let client = CurlHTTPClient()
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: TransportError?.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await client.execute(HTTPClientRequest(url: server.url("/slow?ms=5000")), timeout: .seconds(10))
                            return nil
                        } catch {
                            // Anything but a TransportError would make the comparison below fail visibly.
                            return error as? TransportError ?? .curl(code: -1, message: "\(error)")
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                client.shutdown()
                var errors: [TransportError?] = []
                for try await error in group {
                    errors.append(error)
                }
                #expect(errors == Array(repeating: TransportError.shutdown, count: 5))
            }
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    // MARK: Errors as values

    @Test func transportErrorsCompareByKindAndHaveStableLabels() {
        let fromCurl = TransportError.curl(code: 56, message: "recv failure")
        #expect(fromCurl == .curl(code: 56, message: "other text"))
        #expect(fromCurl != .curl(code: 55, message: "recv failure"))
        #expect(TransportError.deadlineExceeded.shortDescription == "deadline_exceeded")
        #expect(TransportError.responseTooLarge.shortDescription == "response_too_large")
        #expect(fromCurl.shortDescription == "curl_error")
        #expect(fromCurl.description.contains("recv failure"))
        #expect(Set([TransportError.cancelled, .cancelled, .shutdown]).count == 2)
    }
}

/// Runs `body` with a fresh client and shuts the client down afterwards, also when `body` throws.
@discardableResult
func withClient<T>(
    _ configuration: CurlHTTPClient.Configuration = .init(),
    _ body: (CurlHTTPClient) async throws -> T
) async throws -> T {
    let client = CurlHTTPClient(configuration: configuration)
    defer { client.shutdown() }
    return try await body(client)
}
