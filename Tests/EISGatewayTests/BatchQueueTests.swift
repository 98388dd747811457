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
            guard case .queued(nil, let startsTimer) = queue.admit(id: id, rows: 2, item: item) else { Issue.record("expected to wait"); return }
            #expect(startsTimer == (id == 2), "the first in the queue holds its timer")
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
        guard case .queued(let flush, let startsTimer) = queue.admit(id: 3, rows: 4, item: "c") else { Issue.record("expected to wait"); return }
        #expect(flush == ["b"])
        #expect(startsTimer, "it starts a new queue")
        #expect(queue.timerHolder == 3)
        #expect(queue.queued.map(\.item) == ["c"])
        #expect(queue.inFlight == 2)
    }

    @Test func aRequestThatFillsTheQueueExactlyLeavesWithIt() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 5, item: "b")
        guard case .queued(let flush, let startsTimer) = queue.admit(id: 3, rows: 3, item: "c") else { Issue.record("expected to wait"); return }
        #expect(flush == ["b", "c"])
        #expect(!startsTimer)
        #expect(queue.timerHolder == nil)
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
        _ = queue.admit(id: 2, rows: 1, item: "b")
        _ = queue.admit(id: 3, rows: 3, item: "c")
        _ = queue.admit(id: 4, rows: 1, item: "d")
        let removed = queue.remove(id: 3)
        #expect(removed == nil, "not the timer holder: the others keep waiting")
        #expect(!queue.isQueued(3))
        #expect(queue.queuedRows == 2)
        let removedTwice = queue.remove(id: 3)
        #expect(removedTwice == nil)
        let sent = queue.finished()
        #expect(sent == ["b", "d"])
    }

    @Test func whenTheTimerHolderLeavesTheRestOfItsQueueLeavesAtOnce() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 1, item: "b")
        _ = queue.admit(id: 3, rows: 3, item: "c")
        #expect(queue.timerHolder == 2)
        let orphans = queue.remove(id: 2)
        #expect(orphans == ["c"], "no one else would flush it")
        #expect(queue.inFlight == 2)
        #expect(queue.timerHolder == nil)
    }

    @Test func aRemovedLastRequestLeavesNothingToSend() {
        var queue = BatchQueue<String>(maxBatch: 8)
        _ = queue.admit(id: 1, rows: 1, item: "a")
        _ = queue.admit(id: 2, rows: 3, item: "b")
        let removed = queue.remove(id: 2)
        #expect(removed == nil)
        #expect(queue.queuedRows == 0)
        #expect(queue.timerHolder == nil)
        #expect(queue.inFlight == 1)
        let sent = queue.finished()
        #expect(sent == nil)
    }

    @Test func withNothingInFlightTheQueueIsEmptyAndAQueueAlwaysHasATimerHolder() {
        var queue = BatchQueue<Int>(maxBatch: 4)
        var generator = SystemRandomNumberGenerator()
        var running = 0
        for id in UInt64(1)...1000 {
            let action = Int.random(in: 0..<5, using: &generator)
            if action < 2 && running > 0 {
                running -= 1
                if queue.finished() != nil { running += 1 }
            } else if action == 2, let leaving = queue.queued.randomElement(using: &generator) {
                if queue.remove(id: leaving.id) != nil { running += 1 }
            } else if action == 3, let holder = queue.timerHolder {
                if queue.flushTimerFired(for: holder) != nil { running += 1 }
            } else {
                switch queue.admit(id: id, rows: Int.random(in: 1...5, using: &generator), item: Int(id)) {
                case .runAlone: running += 1
                case .queued(let flush, _): if flush != nil { running += 1 }
                }
            }
            #expect(queue.inFlight == running)
            if queue.inFlight == 0 { #expect(queue.queued.isEmpty) }
            #expect(queue.queued.isEmpty == (queue.timerHolder == nil))
            if let holder = queue.timerHolder { #expect(queue.isQueued(holder)) }
            #expect(queue.queuedRows <= 4)
        }
    }
}
