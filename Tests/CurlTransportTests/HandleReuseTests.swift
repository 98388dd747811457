@testable import CurlTransport
import Testing

/// Easy handles keep their options from one transfer to the next (`HandleSettings`): a transfer
/// must still carry exactly its own request, never a field, method or body of the one before.
@Suite struct HandleReuseTests {
    /// One connection per host, so every transfer below runs on the same few handles.
    static var oneConnection: CurlHTTPClient.Configuration {
        var configuration = CurlHTTPClient.Configuration()
        configuration.maxConnectionsPerHost = 1
        return configuration
    }

    @Test func eachTransferOnAReusedHandleCarriesOnlyItsOwnRequest() async throws {
        try await withTestServer { server in
            try await withClient(Self.oneConnection) { client in
                for round in 0..<3 {
                    let probed = HTTPClientRequest(url: server.url("/headers"), headers: [(name: "X-Probe", value: "probe-\(round)")])
                    let probedResponse = try await client.execute(probed, timeout: .seconds(5))
                    #expect(probedResponse.header("x-echo-probe") == "probe-\(round)")

                    // The same address without the field: the previous field list must not stick.
                    let bare = HTTPClientRequest(url: server.url("/headers"))
                    let bareResponse = try await client.execute(bare, timeout: .seconds(5))
                    #expect(bareResponse.header("x-echo-probe") == "<none>")

                    // A POST after GETs, and a GET after the POST: the method and body follow the request.
                    let body = (0..<(1000 + round)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ round) }
                    let post = HTTPClientRequest(method: .post, url: server.url("/echo"),
                                                 headers: [(name: "Content-Type", value: "application/octet-stream")], body: body)
                    let echoed = try await client.execute(post, timeout: .seconds(5))
                    #expect(echoed.status == 200)
                    #expect(echoed.body == body)
                    let shorter = HTTPClientRequest(method: .post, url: server.url("/echo"),
                                                    headers: [(name: "Content-Type", value: "application/octet-stream")], body: [1, 2, 3])
                    let shorterEcho = try await client.execute(shorter, timeout: .seconds(5))
                    #expect(shorterEcho.body == [1, 2, 3])
                    let get = try await client.execute(HTTPClientRequest(url: server.url("/hello")), timeout: .seconds(5))
                    #expect(get.status == 200)
                    #expect(get.body == Array("hello".utf8))
                }
            }
        }
    }

    @Test func aFailedTransferLeavesTheHandleUsableForTheNext() async throws {
        try await withTestServer { server in
            try await withClient(Self.oneConnection) { client in
                let slow = HTTPClientRequest(url: server.url("/slow?ms=2000"))
                await #expect(throws: TransportError.deadlineExceeded) {
                    _ = try await client.execute(slow, timeout: .milliseconds(100))
                }
                let probed = HTTPClientRequest(url: server.url("/headers"), headers: [(name: "X-Probe", value: "after")])
                let response = try await client.execute(probed, timeout: .seconds(5))
                #expect(response.header("x-echo-probe") == "after")
            }
        }
    }

    @Test func responseFieldsParseFoldedAndPaddedLinesAsBefore() {
        // Built the way the transport builds it, without a server: raw lines as curl hands them over.
        let lines = ["Content-Type: text/plain\r\n", "X-Folded: first\r\n", " second\r\n", "X-Padded: \t value \t\r\n",
                     "no-colon-line\r\n", "X-Empty:\r\n", "\r\n"]
        var block = ResponseHeaderBlock()
        for line in lines {
            Array(line.utf8).withUnsafeBytes { block.append(line: $0) }
        }
        let response = HTTPClientResponse(status: 200, received: block, body: [])
        #expect(response.header("content-type") == "text/plain")
        #expect(response.header("X-FOLDED") == "first second")
        #expect(response.header("x-padded") == "value")
        #expect(response.header("x-empty") == "")
        #expect(response.headers.map(\.name) == ["content-type", "x-folded", "x-padded", "x-empty"])
    }
}
