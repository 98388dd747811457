import EISBackend
import EISCore
@testable import EISGateway
import Foundation
import Testing

/// Coalescing requests with `Batcher`, over in-memory recording backends.
///
/// The tests about ordering hold the backends' calls at a gate: a lone "blocker" request is
/// held in flight, so the requests after it are certain to queue, and the test decides when
/// anything moves on. They wait for states, never for lengths of time, and so do not depend on
/// how busy the machine is. Only deadlines are real time, and they are far apart.
@Suite struct BatcherTests {
    /// The outcome of one request: its rows, or the error it got.
    typealias Outcome = Result<[[Double]], GatewayError>

    /// A flush delay longer than any test: queues leave only when the test lets them.
    static let never: Duration = .seconds(60)

    /// Runs `rows` through the batcher, capturing the outcome.
    static func submit(_ batcher: Batcher, _ deployment: RecordingDeployment, _ rows: [[Double]],
                       deadline: ContinuousClock.Instant = .now + .seconds(30)) async -> Outcome {
        do throws(GatewayError) {
            return .success(try await batcher.infer(try deployment.pipeline.prepare(rows), deadline: deadline))
        } catch {
            return .failure(error)
        }
    }

    /// Waits (bounded) until `condition` holds.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + .seconds(20)
        while !condition() {
            guard ContinuousClock.now < end else { throw FixtureError("never happened: \(what)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits until backend `a` has received `calls` batches.
    static func waitForCalls(_ deployment: RecordingDeployment, _ calls: Int) async throws {
        try await waitUntil("\(calls) calls") { deployment.backends[0].rowCounts.count >= calls }
    }

    /// Holds the backends and starts a one-row request that stays in flight at their gates.
    static func startBlocker(_ batcher: Batcher, _ deployment: RecordingDeployment) async throws -> Task<Outcome, Never> {
        deployment.hold()
        let blocker = Task { await submit(batcher, deployment, [Fixtures.randomRow(seed: 999)]) }
        try await waitForCalls(deployment, 1)
        return blocker
    }

    static func expectMatches(_ outcome: Outcome, _ rows: [[Double]], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let layer = try Fixtures.demoLayer()
        guard case .success(let outputs) = outcome else { Issue.record("failed: \(outcome)", sourceLocation: sourceLocation); return }
        #expect(outputs.count == rows.count, "exactly its own rows, no padding", sourceLocation: sourceLocation)
        for (output, row) in zip(outputs, rows) {
            let worst = zip(output, Fixtures.reference(layer, row)).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < 1e-6, "largest error \(worst)", sourceLocation: sourceLocation)
        }
    }

    static func code(_ outcome: Outcome) -> String? {
        if case .failure(let error) = outcome { error.code } else { nil }
    }

    @Test func concurrentRequestsShareOneBatchAndEachGetsItsOwnRowsInOrder() async throws {
        let deployment = try RecordingDeployment()
        let batcher = deployment.batcher(maxDelay: Self.never)
        let blocker = try await Self.startBlocker(batcher, deployment)
        let rowCounts = [1, 2, 3, 5, 1, 4, 7, 2]
        let requests = rowCounts.enumerated().map { index, count in
            (0..<count).map { Fixtures.randomRow(scale: 2, seed: UInt64(100 * index + $0)) }
        }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Outcome)?.self) { group in
            for (index, rows) in requests.enumerated() {
                group.addTask { (index, await Self.submit(batcher, deployment, rows)) }
            }
            group.addTask {
                try await Self.waitUntil("all queued") { batcher.queuedRequests == requests.count }
                deployment.open()
                return nil
            }
            return try await group.reduce(into: [Int: Outcome]()) { if let (index, outcome) = $1 { $0[index] = outcome } }
        }
        try Self.expectMatches(await blocker.value, [Fixtures.randomRow(seed: 999)])
        for (index, rows) in requests.enumerated() { try Self.expectMatches(try #require(outcomes[index]), rows) }
        // The blocker alone, then all 25 queued rows in one sharing, padded to 32.
        #expect(deployment.backends[0].rowCounts == [1, 32])
        #expect(deployment.backends[1].rowCounts == [1, 32])
        let metrics = String(decoding: deployment.metrics.render(), as: UTF8.self)
        #expect(metrics.contains(#"eis_batch_requests_count{model="demo"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"eis_batch_requests_bucket{model="demo",le="8.0"} 2"#), "the blocker alone, the others together")
        #expect(metrics.contains(#"eis_batch_requests_bucket{model="demo",le="4.0"} 1"#))
        #expect(metrics.contains(#"eis_padding_rows_total{model="demo"} 7"#))
    }

    @Test func aBackendOnlyEverSeesBucketSizesAndPaddingNeverReachesAResponse() async throws {
        let deployment = try RecordingDeployment(delay: .milliseconds(3))
        let batcher = deployment.batcher(maxBatch: 48, maxDelay: .milliseconds(2))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var generator = SystemRandomNumberGenerator()
                    for request in 0..<6 {
                        let count = [1, 2, 3, 9, 17, 40, 60].randomElement(using: &generator) ?? 1
                        let rows = (0..<count).map { Fixtures.randomRow(seed: UInt64(10_000 * worker + 100 * request + $0)) }
                        try? Self.expectMatches(await Self.submit(batcher, deployment, rows), rows)
                    }
                }
            }
        }
        for backend in deployment.backends {
            #expect(!backend.rowCounts.isEmpty)
            #expect(backend.rowCounts.allSatisfy { [1, 8, 32, 128].contains($0) || $0.isMultiple(of: 128) }, "\(backend.rowCounts)")
        }
    }

    @Test func paddingAppliesWithoutBatchingToo() async throws {
        let deployment = try RecordingDeployment(buckets: [1, 8])
        let rows = (0..<3).map { Fixtures.randomRow(seed: 40 + UInt64($0)) }
        let outputs = try await deployment.pipeline.infer(rows, deadline: .now + .seconds(10))
        try Self.expectMatches(.success(outputs), rows)
        #expect(deployment.backends.map(\.rowCounts) == [[8], [8]])
        // Past the largest bucket: the next multiple of it.
        let many = (0..<11).map { Fixtures.randomRow(seed: 60 + UInt64($0)) }
        try Self.expectMatches(.success(try await deployment.pipeline.infer(many, deadline: .now + .seconds(10))), many)
        #expect(deployment.backends[0].rowCounts == [8, 16])
    }

    @Test func aQueuedRequestWhoseDeadlinePassesGets504AtOnceAndIsNeverSent() async throws {
        let deployment = try RecordingDeployment()
        let batcher = deployment.batcher(maxDelay: Self.never)
        let blocker = try await Self.startBlocker(batcher, deployment)
        let patientRows = [Fixtures.randomRow(seed: 1)]
        let patient = Task { await Self.submit(batcher, deployment, patientRows) }
        try await Self.waitUntil("patient queued") { batcher.queuedRequests == 1 }
        let hurried = await Self.submit(batcher, deployment, [Fixtures.randomRow(seed: 2), Fixtures.randomRow(seed: 3)],
                                        deadline: .now + .milliseconds(50))
        #expect(Self.code(hurried) == "deadline_exceeded")
        // Answered while the blocker still held the backends, so without waiting for any batch.
        #expect(deployment.backends[0].rowCounts == [1])
        #expect(batcher.queuedRequests == 1, "it left the queue")
        deployment.open()
        try Self.expectMatches(await patient.value, patientRows)
        _ = await blocker.value
        // The blocker, then the patient request alone: the expired rows never left the gateway.
        #expect(deployment.backends[0].rowCounts == [1, 1])
    }

    @Test func aRequestWhoseDeadlinePassesInsideABatchGets504WhileTheBatchGoesOn() async throws {
        let deployment = try RecordingDeployment()
        let batcher = deployment.batcher(maxDelay: Self.never)
        let blocker = try await Self.startBlocker(batcher, deployment)
        let patientRows = [Fixtures.randomRow(seed: 4), Fixtures.randomRow(seed: 5)]
        let patient = Task { await Self.submit(batcher, deployment, patientRows) }
        let hurried = Task { await Self.submit(batcher, deployment, [Fixtures.randomRow(seed: 6)], deadline: .now + .seconds(1)) }
        try await Self.waitUntil("both queued") { batcher.queuedRequests == 2 }
        // The blocker ends; both leave together, and their batch is held at the gates.
        deployment.releaseWaiting()
        try await Self.waitForCalls(deployment, 2)
        #expect(Self.code(await hurried.value) == "deadline_exceeded")
        #expect(deployment.backends[0].rowCounts == [1, 8], "answered while its batch was still at the backends")
        deployment.open()
        try Self.expectMatches(await patient.value, patientRows)
        try Self.expectMatches(await blocker.value, [Fixtures.randomRow(seed: 999)])
        #expect(deployment.backends[0].rowCounts == [1, 8])
    }

    @Test func aBatchLevelFailureAnswersEveryRequestInIt() async throws {
        let deployment = try RecordingDeployment()
        let batcher = deployment.batcher(maxDelay: Self.never)
        let blocker = try await Self.startBlocker(batcher, deployment)
        for backend in deployment.backends { backend.setFailing(true) }
        let outcomes = try await withThrowingTaskGroup(of: Outcome?.self) { group in
            for seed: UInt64 in 1...3 { group.addTask { await Self.submit(batcher, deployment, [Fixtures.randomRow(seed: seed)]) } }
            group.addTask {
                try await Self.waitUntil("all queued") { batcher.queuedRequests == 3 }
                deployment.open()
                return nil
            }
            return try await group.reduce(into: [Outcome]()) { if let outcome = $1 { $0.append(outcome) } }
        }
        #expect(outcomes.map(Self.code) == Array(repeating: "backends_unavailable", count: 3))
        try Self.expectMatches(await blocker.value, [Fixtures.randomRow(seed: 999)])
    }

    @Test func aClientThatGoesAwayDoesNotCancelTheBatchForTheOthers() async throws {
        let deployment = try RecordingDeployment()
        let batcher = deployment.batcher(maxDelay: Self.never)
        let blocker = try await Self.startBlocker(batcher, deployment)
        let stayingRows = [Fixtures.randomRow(seed: 7)]
        let staying = Task { await Self.submit(batcher, deployment, stayingRows) }
        let leaving = Task { await Self.submit(batcher, deployment, [Fixtures.randomRow(seed: 8)]) }
        try await Self.waitUntil("both queued") { batcher.queuedRequests == 2 }
        deployment.releaseWaiting()
        // Cancel the leaving client while its batch is at the backends.
        try await Self.waitForCalls(deployment, 2)
        leaving.cancel()
        #expect(Self.code(await leaving.value) == "client_closed_request")
        deployment.open()
        try Self.expectMatches(await staying.value, stayingRows)
        _ = await blocker.value
        #expect(deployment.backends[0].rowCounts == [1, 8])
    }

    @Test func aClientThatGoesAwayWhileQueuedLeavesTheQueue() async throws {
        let deployment = try RecordingDeployment()
        let batcher = deployment.batcher(maxDelay: Self.never)
        let blocker = try await Self.startBlocker(batcher, deployment)
        let leaving = Task { await Self.submit(batcher, deployment, [Fixtures.randomRow(seed: 9), Fixtures.randomRow(seed: 10)]) }
        try await Self.waitUntil("queued") { batcher.queuedRequests == 1 }
        leaving.cancel()
        #expect(Self.code(await leaving.value) == "client_closed_request")
        #expect(batcher.queuedRequests == 0)
        let stayingRows = [Fixtures.randomRow(seed: 11)]
        let staying = Task { await Self.submit(batcher, deployment, stayingRows) }
        try await Self.waitUntil("queued") { batcher.queuedRequests == 1 }
        deployment.open()
        try Self.expectMatches(await staying.value, stayingRows)
        _ = await blocker.value
        #expect(deployment.backends[0].rowCounts == [1, 1], "the cancelled rows were never sent")
    }

    @Test func aQueuedRequestLeavesAfterMaxDelayEvenWhileABatchIsInFlight() async throws {
        let deployment = try RecordingDeployment()
        let batcher = deployment.batcher(maxDelay: .milliseconds(5))
        let blocker = try await Self.startBlocker(batcher, deployment)
        let rows = [Fixtures.randomRow(seed: 12)]
        let waiting = Task { await Self.submit(batcher, deployment, rows) }
        // Its flush timer sends it while the blocker is still held: a second batch in flight.
        try await Self.waitForCalls(deployment, 2)
        #expect(batcher.queuedRequests == 0)
        deployment.open()
        try Self.expectMatches(await waiting.value, rows)
        _ = await blocker.value
    }

    @Test func batchesNeverMixModels() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            // A second model of the same shape: rows of one model computed with the other's
            // weights would come back silently wrong, so the values prove the separation.
            let otherPath = try Fixtures.writeLinearModel(to: directory.appendingPathComponent("other.safetensors"), outputs: 10, inputs: 256, seed: 5)
            let demo = try RecordingDeployment()
            let other = try RecordingDeployment(modelName: "other", modelPath: otherPath)
            let otherLayer = try #require(try LinearLayer.layers(in: SafetensorsFile(contentsOf: otherPath))["fc"])
            let batchers = [demo.batcher(maxDelay: Self.never), other.batcher(maxDelay: Self.never)]
            let blockers = [try await Self.startBlocker(batchers[0], demo), try await Self.startBlocker(batchers[1], other)]
            let outcomes = try await withThrowingTaskGroup(of: (Int, [[Double]], Outcome)?.self) { group in
                for index in 0..<10 {
                    let rows = [Fixtures.randomRow(seed: 300 + UInt64(index))]
                    let (batcher, deployment) = index.isMultiple(of: 2) ? (batchers[0], demo) : (batchers[1], other)
                    group.addTask { (index, rows, await Self.submit(batcher, deployment, rows)) }
                }
                group.addTask {
                    try await Self.waitUntil("all queued") { batchers.allSatisfy { $0.queuedRequests == 5 } }
                    demo.open()
                    other.open()
                    return nil
                }
                return try await group.reduce(into: [(Int, [[Double]], Outcome)]()) { if let result = $1 { $0.append(result) } }
            }
            for (index, rows, outcome) in outcomes {
                if index.isMultiple(of: 2) {
                    try Self.expectMatches(outcome, rows)
                } else {
                    let output = try outcome.get()
                    let expected = Fixtures.reference(otherLayer, rows[0])
                    #expect(zip(output[0], expected).allSatisfy { abs($0 - $1) < 1e-6 }, "model 'other' answered with its own weights")
                }
            }
            for blocker in blockers { _ = await blocker.value }
            // Each model: its blocker, then its own five rows padded to 8.
            #expect(demo.backends[0].rowCounts == [1, 8])
            #expect(other.backends[0].rowCounts == [1, 8])
        }
    }
}
