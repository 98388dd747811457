import Testing

@testable import CurlTransport

/// `CurlHTTPClient.start` and `executeAll`: several requests in one submission, read back as they
/// end, against a real in-process HTTP server on 127.0.0.1.
@Suite(.timeLimit(.minutes(1)))
struct CurlHTTPClientExecuteAllTests {
    @Test func everyRequestGetsItsOwnAnswerInOrderWithItsOwnFinishTime() async throws {
        let payload = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try await withTestServer { server in
            try await withClient { client in
                let start = ContinuousClock.now
                let outcomes = await client.executeAll([
                    HTTPClientRequest(url: server.url("/slow?ms=1000")),
                    HTTPClientRequest(url: server.url("/hello")),
                    HTTPClientRequest(method: .post, url: server.url("/echo"),
                                      headers: [(name: "Content-Type", value: "application/octet-stream")], body: payload),
                    HTTPClientRequest(url: server.url("/unavailable")),
                ], deadline: .now + .seconds(5))
                let returned = ContinuousClock.now
                let responses = try outcomes.map { try $0.result.get() }
                #expect(responses.map(\.status) == [200, 200, 200, 503])
                #expect(responses[1].body == Array("hello".utf8))
                #expect(responses[2].body == payload)
                #expect(responses[3].body == Array("try later".utf8))
                // One wait for all: the call returns only after the slow request, yet each
                // outcome keeps the time its own request ended.
                #expect(returned - start >= .milliseconds(1000))
                #expect(outcomes[1].finishedAt < outcomes[0].finishedAt)
                #expect(outcomes[0].finishedAt - start >= .milliseconds(1000))
                #expect(outcomes.allSatisfy { $0.finishedAt <= returned })
            }
        }
    }

    @Test func anInvalidRequestFailsOnlyItsOwnSlot() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let outcomes = await client.executeAll([
                    HTTPClientRequest(url: "ftp://127.0.0.1/file"),
                    HTTPClientRequest(url: server.url("/hello")),
                    HTTPClientRequest(url: server.url("/hello"), headers: [(name: "X-Probe", value: "a\r\nInjected: 1")]),
                ], deadline: .now + .seconds(5))
                #expect(throws: TransportError.badURL) { try outcomes[0].result.get() }
                let valid = try outcomes[1].result.get()
                #expect(valid.status == 200)
                #expect(throws: TransportError.invalidRequest) { try outcomes[2].result.get() }
            }
        }
    }

    @Test func aPassedDeadlineFailsEveryRequestWithoutContactingTheServer() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let outcomes = await client.executeAll(
                    [HTTPClientRequest(url: server.url("/hello")), HTTPClientRequest(url: server.url("/hello"))],
                    deadline: .now - .milliseconds(1))
                for outcome in outcomes {
                    #expect(throws: TransportError.deadlineExceeded) { try outcome.result.get() }
                }
                #expect(client.connectionsOpened == 0)
            }
        }
    }

    @Test func theDeadlineEndsTheSlowRequestAndKeepsTheAnswerOfTheFastOne() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let start = ContinuousClock.now
                let outcomes = await client.executeAll(
                    [HTTPClientRequest(url: server.url("/slow?ms=8000")), HTTPClientRequest(url: server.url("/hello"))],
                    deadline: .now + .seconds(2))
                #expect(ContinuousClock.now - start < .seconds(6))
                #expect(throws: TransportError.deadlineExceeded) { try outcomes[0].result.get() }
                let fast = try outcomes[1].result.get()
                #expect(fast.body == Array("hello".utf8))
            }
        }
    }

    @Test func cancellingTheCallerFailsEveryRunningRequestAtOnce() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let start = ContinuousClock.now
                let task = Task {
                    await client.executeAll(
                        [HTTPClientRequest(url: server.url("/slow?ms=8000")), HTTPClientRequest(url: server.url("/slow?ms=8000"))],
                        deadline: .now + .seconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))
                task.cancel()
                let outcomes = await task.value
                #expect(ContinuousClock.now - start < .seconds(6))
                for outcome in outcomes {
                    #expect(throws: TransportError.cancelled) { try outcome.result.get() }
                }
                // The client stays usable afterwards.
                let after = await client.executeAll([HTTPClientRequest(url: server.url("/hello"))], deadline: .now + .seconds(10))
                let hello = try after[0].result.get()
                #expect(hello.status == 200)
            }
        }
    }

    @Test func aBatchLetGoBeforeItsOutcomesWereReadLeavesNothingHeld() async throws {
        try await withTestServer { server in
            try await withClient { client in
                // Everything ended (a deadline already passed), nothing read.
                do {
                    let batch = client.start([HTTPClientRequest(url: server.url("/hello"))], deadline: .now - .seconds(1))
                    #expect(client.io.heldGroups == 1)
                    withExtendedLifetime(batch) {}
                }
                #expect(client.io.heldGroups == 0)
                // One answer read, one request still running.
                do {
                    let batch = client.start([HTTPClientRequest(url: server.url("/unavailable")), HTTPClientRequest(url: server.url("/slow?ms=8000"))],
                                             deadline: .now + .seconds(20))
                    let first = await batch.next()
                    #expect(first.map(\.index) == [0])
                }
                #expect(client.io.heldGroups == 0)
                // The client keeps serving.
                let after = await client.executeAll([HTTPClientRequest(url: server.url("/hello"))], deadline: .now + .seconds(5))
                let hello = try after[0].result.get()
                #expect(hello.status == 200)
            }
        }
    }

    @Test func anAlreadyCancelledCallerSendsNothing() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let task = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return await client.executeAll([HTTPClientRequest(url: server.url("/hello"))], deadline: .now + .seconds(5))
                }
                let outcomes = await task.value
                #expect(throws: TransportError.cancelled) { try outcomes[0].result.get() }
                #expect(client.connectionsOpened == 0)
            }
        }
    }

    @Test func shutdownFailsAWaitingGroupWithShutdown() async throws {
        try await withTestServer { server in
            let client = CurlHTTPClient()
            let start = ContinuousClock.now
            let task = Task {
                await client.executeAll(
                    [HTTPClientRequest(url: server.url("/slow?ms=5000")), HTTPClientRequest(url: server.url("/slow?ms=5000"))],
                    deadline: .now + .seconds(10))
            }
            try await Task.sleep(for: .milliseconds(300))
            client.shutdown()
            let outcomes = await task.value
            #expect(ContinuousClock.now - start < .seconds(3))
            for outcome in outcomes {
                #expect(throws: TransportError.shutdown) { try outcome.result.get() }
            }
            let later = await client.executeAll([HTTPClientRequest(url: server.url("/hello"))], deadline: .now + .seconds(5))
            #expect(throws: TransportError.shutdown) { try later[0].result.get() }
        }
    }

    @Test func aBatchWhoseRequestsSucceedIsReadOnceWhenTheLastAnswers() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let start = ContinuousClock.now
                let batch = client.start(
                    [HTTPClientRequest(url: server.url("/slow?ms=800")), HTTPClientRequest(url: server.url("/hello"))],
                    deadline: .now + .seconds(10))
                let first = await batch.next()
                #expect(ContinuousClock.now - start >= .milliseconds(800))
                #expect(first.map(\.index).sorted() == [0, 1])
                let allSucceeded = first.allSatisfy { $0.outcome.succeeded }
                #expect(allSucceeded)
                let rest = await batch.next()
                #expect(rest.isEmpty)
            }
        }
    }

    @Test func aFailureIsReadAtOnceWithoutWaitingForSlowerRequests() async throws {
        try await withTestServer { server in
            try await withClient { client in
                let start = ContinuousClock.now
                let batch = client.start([
                    HTTPClientRequest(url: server.url("/slow?ms=3000")),
                    HTTPClientRequest(url: server.url("/unavailable")),
                    HTTPClientRequest(url: "ftp://127.0.0.1/refused-before-sending"),
                ], deadline: .now + .seconds(10))
                var seen = [Int: HTTPClientOutcome]()
                let first = await batch.next()
                // Both failures are there long before the slow request ends; the caller can act on them.
                #expect(ContinuousClock.now - start < .milliseconds(2500))
                for item in first { seen[item.index] = item.outcome }
                #expect(seen[0] == nil)
                #expect(seen[2]?.succeeded == false)
                while seen.count < 3 {
                    let more = await batch.next()
                    #expect(!more.isEmpty)
                    if more.isEmpty { break }
                    for item in more { seen[item.index] = item.outcome }
                }
                #expect(ContinuousClock.now - start >= .milliseconds(3000))
                let statuses = seen.mapValues { outcome in (try? outcome.result.get())?.status }
                #expect(statuses[0] == 200)
                #expect(statuses[1] == 503)
                let after = await batch.next()
                #expect(after.isEmpty)
            }
        }
    }

    @Test func anEmptyListAnswersAtOnce() async throws {
        try await withClient { client in
            let outcomes = await client.executeAll([], deadline: .now + .seconds(5))
            #expect(outcomes.isEmpty)
        }
    }
}
