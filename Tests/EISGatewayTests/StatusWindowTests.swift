@testable import EISGateway
import Testing

/// The status page's recent figures: rates, error ratio and percentiles over the last minute.
struct StatusWindowTests {
    typealias Event = StatusWindow.Event

    @Test func percentilesAreNearestRankOverTheSuccessfulEventsOnly() throws {
        let now = ContinuousClock.now
        var events = (1...100).map { Event(at: now, value: Double($0) / 1000, failed: false) }
        events.append(Event(at: now, value: 9, failed: true))
        let summary = try #require(StatusWindow.Summary(events, now: now))
        #expect(summary.count == 101)
        #expect(summary.p50 == 0.050)
        #expect(summary.p90 == 0.090)
        #expect(summary.p99 == 0.099)
        #expect(summary.errorRatio == 1.0 / 101)
    }

    @Test func theRateCountsOnlyTheLastTenSeconds() throws {
        let now = ContinuousClock.now
        let events = [Event(at: now - .seconds(30), value: 0.001, failed: false)]
            + (0..<25).map { _ in Event(at: now - .seconds(2), value: 0.001, failed: false) }
        let summary = try #require(StatusWindow.Summary(events, now: now))
        #expect(summary.perSecond == 2.5)
        #expect(summary.count == 26)
    }

    @Test func noEventsGiveNoSummaryAndAllFailedGiveNoLatency() throws {
        #expect(StatusWindow.Summary([], now: .now) == nil)
        let summary = try #require(StatusWindow.Summary([Event(at: .now, value: 1, failed: true)], now: .now))
        #expect(summary.errorRatio == 1 && summary.p50 == nil)
    }

    @Test func aRingKeepsTheNewestEventsUpToItsCapacity() {
        var ring = StatusWindow.Ring(capacity: 3)
        let now = ContinuousClock.now
        for value in 1...5 { ring.append(Event(at: now, value: Double(value), failed: false)) }
        #expect(ring.events.map(\.value).sorted() == [3, 4, 5])
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
