@testable import EISGateway
import Testing

/// The status page's recent figures: rates, error ratio and percentiles over the last minute.
struct StatusWindowTests {
    typealias Event = StatusWindow.Event

    @Test func percentilesAreNearestRankOverTheSuccessfulEventsOnly() throws {
        let window = StatusWindow(), now = ContinuousClock.now
        for value in 1...100 { window.recordBackendCall(backend: "b", seconds: Double(value) / 1000, failed: false, at: now) }
        window.recordBackendCall(backend: "b", seconds: 9, failed: true, at: now)
        let summary = try #require(window.backendCalls(backend: "b", now: now))
        #expect(summary.count == 101)
        #expect(summary.p50 == 0.050)
        #expect(summary.p90 == 0.090)
        #expect(summary.p99 == 0.099)
        #expect(summary.errorRatio == 1.0 / 101)
    }

    @Test func theRateCountsOnlyTheLastTenSecondsAndTheCountTheLastMinute() throws {
        let window = StatusWindow(), now = ContinuousClock.now
        window.recordRequest(model: "m", seconds: 0.001, failed: false, at: now - .seconds(90))
        window.recordRequest(model: "m", seconds: 0.001, failed: false, at: now - .seconds(30))
        for _ in 0..<25 { window.recordRequest(model: "m", seconds: 0.001, failed: false, at: now - .seconds(2)) }
        let summary = try #require(window.requests(model: "m", now: now))
        #expect(summary.perSecond == 2.5)
        #expect(summary.count == 26)
    }

    /// A fixed ring of events capped the counts: 1,024 backend calls filled it, so any rate above
    /// 17 calls per second read as less. The tallies count every call.
    @Test func countsAndRatesStayExactFarAboveTheLatencySample() throws {
        let window = StatusWindow(), now = ContinuousClock.now
        let perSecond = 500
        for second in 0..<60 {
            for index in 0..<perSecond {
                window.recordBackendCall(backend: "b", seconds: 0.001, failed: index % 100 == 0, at: now - .seconds(59 - second))
            }
        }
        let summary = try #require(window.backendCalls(backend: "b", now: now))
        #expect(summary.count == 60 * perSecond)
        #expect(summary.perSecond == Double(perSecond))
        #expect(summary.errorRatio == 0.01)
        #expect(summary.p50 == 0.001)
    }

    @Test func noEventsGiveNoSummaryAndAllFailedGiveNoLatency() throws {
        let window = StatusWindow()
        #expect(window.requests(model: "m") == nil)
        window.recordRequest(model: "m", seconds: 1, failed: true)
        let summary = try #require(window.requests(model: "m"))
        #expect(summary.errorRatio == 1 && summary.p50 == nil)
        // Only events older than the minute: nothing recent to report.
        window.recordRequest(model: "old", seconds: 1, failed: false, at: .now - .seconds(120))
        #expect(window.requests(model: "old") == nil)
    }

    @Test func aRingKeepsTheNewestEventsUpToItsCapacity() {
        var ring = StatusWindow.Ring(capacity: 3)
        let now = ContinuousClock.now
        for value in 1...5 { ring.append(Event(at: now, value: Double(value), failed: false)) }
        #expect(ring.events.map(\.value).sorted() == [3, 4, 5])
    }

    @Test func talliesReuseASlotOnlyForANewerSecondAndDropOlderEvents() {
        var tallies = SecondTallies(slots: 3)
        tallies.add(1, failed: false, second: 5)
        tallies.add(2, failed: true, second: 8)  // same slot as 5: replaces it
        tallies.add(4, failed: false, second: 2)  // same slot, older than 8: dropped
        tallies.add(8, failed: false, second: -2)  // a second before the origin has a slot too
        #expect(tallies.totals(from: 0, through: 10) == SecondTallies.Totals(count: 1, failures: 1, sum: 2))
        #expect(tallies.totals(from: -2, through: -2) == SecondTallies.Totals(count: 1, failures: 0, sum: 8))
    }

    @Test func batchesReportMeanRowsRequestsAndThePaddingShare() throws {
        let window = StatusWindow()
        window.recordBatch(model: "m", rows: 3, paddingRows: 5)
        window.recordBatch(model: "m", rows: 5, paddingRows: 3)
        window.recordBatchRequests(model: "m", requests: 2)
        window.recordBatchRequests(model: "m", requests: 4)
        let batches = try #require(window.batches(model: "m"))
        #expect(batches == StatusWindow.BatchSummary(batches: 2, meanRows: 4, meanRequests: 3, paddingShare: 0.5))
        #expect(window.batches(model: "other") == nil)
    }
}
