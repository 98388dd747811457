@testable import EISGateway
import Testing

/// The batcher's flush rules, one behavioural sentence per test, without tasks or clocks.
struct BatchQueueTests {
    @Test func aLoneRequestRunsAtOnceWhenNothingIsInFlight() {
        var queue = BatchQueue<String>(maxBatch: 8)
        guard case .runAlone = queue.admit(id: 1, rows: 1, item: "a") else { Issue.record("expected runAlone"); return }
        #expect(queue.inFlight == 1)
        #expect(queue.queued.isEmpty)
    }

    @Test func requestsArrivingWhileABatchRunsWaitAndLeaveTogetherWhenItEnds() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        for (id, item) in [(UInt64(2), "b"), (3, "c"), (4, "d")] {
            guard case .queued(nil) = queue.admit(id: id, rows: 2, item: item) else { Issue.record("expected to wait"); return }
        }
        #expect(queue.queuedRows == 6)
        let together = queue.finished()
        #expect(together == ["b", "c", "d"])
        #expect(queue.inFlight == 1)
        let nothing = queue.finished()
        #expect(nothing == nil)
        #expect(queue.inFlight == 0)
    }

    @Test func aRequestThatWouldOverfillTheQueueSendsTheQueueFirst() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 5, item: "b")
        guard case .queued(let flush) = queue.admit(id: 3, rows: 4, item: "c") else { Issue.record("expected to wait"); return }
        #expect(flush == ["b"])
        #expect(queue.queued.map(\.item) == ["c"])
        #expect(queue.inFlight == 2)
    }

    @Test func aRequestThatFillsTheQueueExactlyLeavesWithIt() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 5, item: "b")
        guard case .queued(let flush) = queue.admit(id: 3, rows: 3, item: "c") else { Issue.record("expected to wait"); return }
        #expect(flush == ["b", "c"])
        #expect(queue.queued.isEmpty)
    }

    @Test func aRequestOfMaxBatchRowsOrMoreRunsAloneEvenWhenOthersWait() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 1, item: "b")
        guard case .runAlone = queue.admit(id: 3, rows: 8, item: "c") else { Issue.record("expected runAlone"); return }
        guard case .runAlone = queue.admit(id: 4, rows: 100, item: "d") else { Issue.record("expected runAlone"); return }
        #expect(queue.queued.map(\.item) == ["b"])
    }

    @Test func theFlushTimerOfAWaitingRequestSendsTheWholeQueue() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 1, item: "b")
        _ = queue.admit(id: 3, rows: 1, item: "c")
        let flushed = queue.flushTimerFired(for: 2)
        #expect(flushed == ["b", "c"])
        // c's own timer finds it gone: nothing more to send.
        let again = queue.flushTimerFired(for: 3)
        #expect(again == nil)
    }

    @Test func aRemovedRequestIsNeverSent() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 3, item: "b")
        _ = queue.admit(id: 3, rows: 1, item: "c")
        let removed = queue.remove(id: 2)
        let removedTwice = queue.remove(id: 2)
        #expect(removed)
        #expect(!removedTwice)
        #expect(queue.queuedRows == 1)
        let sent = queue.finished()
        #expect(sent == ["c"])
    }

    @Test func withNothingInFlightTheQueueIsEmpty() {
        var queue = BatchQueue<Int>(maxBatch: 4)
        var generator = SystemRandomNumberGenerator()
        var running = 0
        for id in UInt64(1)...500 {
            if running > 0 && Bool.random(using: &generator) {
                running -= 1
                if queue.finished() != nil { running += 1 }
            } else {
                switch queue.admit(id: id, rows: Int.random(in: 1...5, using: &generator), item: Int(id)) {
                case .runAlone: running += 1
                case .queued(let flush): if flush != nil { running += 1 }
                }
            }
            #expect(queue.inFlight == running)
            if queue.inFlight == 0 { #expect(queue.queued.isEmpty) }
            #expect(queue.queuedRows <= 4)
        }
    }
}
