import Testing

@testable import EISGateway
import EISTestSupport

/// The pool's decisions, driven with explicit instants (the state machine never reads a clock).
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<ContinuousClock.Instant>
    private let t0 = ContinuousClock.now

    /// `place` for one backend, unwrapped (mutating calls cannot sit inside `#require`).
    private func placeOne(_ pool: inout Machine, now: ContinuousClock.Instant, excluding: Set<Int> = [], avoidingDomains: Set<String> = []) throws -> Int {
        let chosen = pool.place(count: 1, now: now, excluding: excluding, avoidingDomains: avoidingDomains)
        return try #require(chosen?.first)
    }

    private func machine(_ domains: [String], policy: Machine.Policy = .init()) -> Machine {
        Machine(members: domains.map { (trustDomain: $0, weight: 1) }, policy: policy)
    }

    @Test func placementNeverPutsTwoSharesInOneTrustDomain() {
        var pool = machine(["a", "a", "b", "b", "c"])
        for _ in 0..<200 {
            guard let chosen = pool.place(count: 3, now: t0) else { Issue.record("placement failed"); return }
            #expect(Set(chosen.map { pool.members[$0].trustDomain }).count == 3)
            for index in chosen { pool.finish(index, outcome: .success(latency: 0.001), now: t0) }
        }
        #expect(pool.place(count: 4, now: t0) == nil, "four shares cannot fit three trust domains")
    }

    @Test func aSpareAvoidsHoldersAndTheTrustDomainsOfOtherShares() throws {
        var pool = machine(["a", "a", "b", "c"])
        let placed = pool.place(count: 2, now: t0)
        let first = try #require(placed)
        let otherDomain = pool.members[first[1]].trustDomain
        let spare = try placeOne(&pool, now: t0, excluding: Set(first), avoidingDomains: [otherDomain])
        #expect(!first.contains(spare))
        #expect(pool.members[spare].trustDomain != otherDomain)
        #expect(pool.place(count: 1, now: t0, excluding: [0, 1, 2, 3]) == nil)
    }

    @Test func theLeastLoadedBackendIsPreferred() throws {
        var pool = machine(["a", "a", "b"])
        let busy = try placeOne(&pool, now: t0, avoidingDomains: ["b"])
        let next = try placeOne(&pool, now: t0, avoidingDomains: ["b"])
        #expect(busy != next, "a second call goes to the idle backend of domain a")
    }

    @Test func theFasterBackendIsPreferredWhenLoadIsEqual() throws {
        var pool = machine(["a", "a"])
        pool.finish(try placeOne(&pool, now: t0, excluding: [1]), outcome: .success(latency: 0.050), now: t0)
        pool.finish(try placeOne(&pool, now: t0, excluding: [0]), outcome: .success(latency: 0.001), now: t0)
        var picks = [0, 0]
        for _ in 0..<64 {
            let chosen = try placeOne(&pool, now: t0)
            picks[chosen] += 1
            pool.finish(chosen, outcome: .abandoned, now: t0)
        }
        #expect(picks[1] >= 56, "the fast backend takes the calls: \(picks)")
        #expect(picks[0] >= 1, "the slow one still gets an occasional call, so its average can recover: \(picks)")
    }

    @Test func consecutiveFailuresEjectAndEjectionsDoubleUpToTheCap() throws {
        let policy = Machine.Policy(consecutiveFailuresToEject: 3, baseEjection: .seconds(2), maxEjection: .seconds(10))
        var pool = machine(["a", "b"], policy: policy)
        var now = t0
        for _ in 0..<2 {
            pool.finish(try placeOne(&pool, now: now, excluding: [1]), outcome: .failure, now: now)
        }
        #expect(pool.isEligible(0, now: now), "two failures do not eject")
        pool.finish(0, outcome: .failure, now: now)  // outstanding is clamped at 0
        #expect(pool.members[0].ejectedUntil == now + .seconds(2))
        #expect(!pool.isEligible(0, now: now + .seconds(1)))
        // Half-open after 2 s: one probe; its failure ejects for 4 s, then 8 s, then the 10 s cap.
        for expected in [4, 8, 10, 10] {
            now = try #require(pool.members[0].ejectedUntil)
            #expect(pool.isEligible(0, now: now))
            let probe = try placeOne(&pool, now: now, excluding: [1])
            #expect(!pool.isEligible(0, now: now), "a half-open backend takes one call at a time")
            pool.finish(probe, outcome: .failure, now: now)
            #expect(pool.members[0].ejectedUntil == now + .seconds(expected))
        }
    }

    @Test func aSuccessfulProbeReadmitsTheBackendFully() throws {
        var pool = machine(["a"], policy: .init(consecutiveFailuresToEject: 1, baseEjection: .seconds(1), maxEjection: .seconds(5)))
        pool.finish(try placeOne(&pool, now: t0), outcome: .failure, now: t0)
        let later = t0 + .seconds(1)
        pool.finish(try placeOne(&pool, now: later), outcome: .success(latency: 0.002), now: later)
        #expect(pool.members[0].ejectedUntil == nil)
        #expect(pool.members[0].ejections == 0)
        #expect(pool.place(count: 1, now: later) != nil)
        #expect(pool.place(count: 1, now: later) != nil, "no longer limited to one call at a time")
    }

    @Test func aRefusedBackendIsNeverPlaced() {
        var pool = machine(["a", "b", "c"])
        pool.refuse(1)
        for _ in 0..<50 {
            #expect(pool.place(count: 2, now: t0)?.contains(1) == false)
        }
        #expect(pool.eligibleDomainCount(now: t0) == 2)
    }

    @Test func ejectionLengthIsCappedBeforeItCanOverflow() {
        let pool = machine(["a"], policy: .init(consecutiveFailuresToEject: 1, baseEjection: .seconds(3), maxEjection: .seconds(60)))
        #expect(pool.ejectionLength(afterEjections: 1) == .seconds(3))
        #expect(pool.ejectionLength(afterEjections: 5) == .seconds(48))
        #expect(pool.ejectionLength(afterEjections: 6) == .seconds(60))
        #expect(pool.ejectionLength(afterEjections: Int.max) == .seconds(60))
    }

    /// Random schedules of placements, spares and outcomes: the placement rule and the load
    /// counters hold after every step.
    @Test func randomSchedulesKeepThePlacementRule() {
        var generator = SplitMix64(seed: 2026)
        for _ in 0..<200 {
            let domains = (0..<Int.random(in: 2...6, using: &generator)).map { _ in ["a", "b", "c", "d"].randomElement(using: &generator)! }
            var pool = machine(domains, policy: .init(consecutiveFailuresToEject: Int.random(in: 1...3, using: &generator)))
            var now = t0
            var open = [Int]()
            for _ in 0..<100 {
                now = now + .milliseconds(Int.random(in: 0...1500, using: &generator))
                let k = Int.random(in: 2...3, using: &generator)
                if let chosen = pool.place(count: k, now: now) {
                    #expect(Set(chosen.map { pool.members[$0].trustDomain }).count == k)
                    #expect(chosen.allSatisfy { !pool.members[$0].refused })
                    let avoid = Set(chosen.dropFirst().map { pool.members[$0].trustDomain })
                    if let spare = pool.place(count: 1, now: now, excluding: Set(chosen), avoidingDomains: avoid)?.first {
                        #expect(!chosen.contains(spare) && !avoid.contains(pool.members[spare].trustDomain))
                        open.append(spare)
                    }
                    open += chosen
                }
                open.shuffle(using: &generator)
                while open.count > Int.random(in: 0...4, using: &generator) {
                    let outcome: Machine.Outcome = [.success(latency: 0.001), .failure, .abandoned].randomElement(using: &generator)!
                    pool.finish(open.removeLast(), outcome: outcome, now: now)
                }
                if Int.random(in: 0..<50, using: &generator) == 0 { pool.refuse(Int.random(in: 0..<domains.count, using: &generator)) }
                #expect(pool.members.allSatisfy { $0.outstanding >= 0 })
            }
            for index in open { pool.finish(index, outcome: .abandoned, now: now) }
            #expect(pool.members.allSatisfy { $0.outstanding == 0 }, "every placed call was given back")
        }
    }
}

extension PoolStateMachineTests {
    @Test func healthThresholdsMarkABackendDownAndUpAgainEndingItsEjection() throws {
        var pool = machine(["a", "b"], policy: .init(unhealthyThreshold: 2, healthyThreshold: 2, consecutiveFailuresToEject: 1))
        pool.finish(try placeOne(&pool, now: t0, excluding: [1]), outcome: .failure, now: t0)
        #expect(pool.members[0].ejectedUntil != nil)
        #expect(pool.recordHealthCheck(0, passed: false) == nil, "one failed check is below the threshold")
        #expect(pool.recordHealthCheck(0, passed: false) == false)
        #expect(!pool.isEligible(0, now: t0 + .seconds(3600)), "unhealthy backends take no calls even after ejection")
        #expect(pool.recordHealthCheck(0, passed: true) == nil)
        #expect(pool.recordHealthCheck(0, passed: true) == true)
        #expect(pool.members[0].ejectedUntil == nil)
        #expect(pool.isEligible(0, now: t0))
        #expect(pool.recordHealthCheck(0, passed: true) == nil, "no change while healthy")
    }
}

extension PoolStateMachineTests {
    @Test func failuresOfCallsInFlightWhenEjectedDoNotLengthenTheEjection() throws {
        var pool = machine(["a", "b"], policy: .init(consecutiveFailuresToEject: 3, baseEjection: .seconds(2), maxEjection: .seconds(60)))
        var calls = [Int]()
        for _ in 0..<10 { calls.append(try placeOne(&pool, now: t0, excluding: [1])) }
        for call in calls { pool.finish(call, outcome: .failure, now: t0 + .milliseconds(5)) }
        #expect(pool.members[0].ejections == 1)
        #expect(pool.members[0].ejectedUntil == t0 + .milliseconds(5) + .seconds(2))
    }

    @Test func abandonedCallsStillFeedTheLatencyWindow() throws {
        var pool = machine(["a"])
        for _ in 0..<25 { pool.finish(try placeOne(&pool, now: t0), outcome: .success(latency: 0.001), now: t0) }
        let before = try #require(pool.hedgeDelay(0))
        for _ in 0..<10 { pool.finish(try placeOne(&pool, now: t0), outcome: .abandoned(after: 0.5), now: t0) }
        let after = try #require(pool.hedgeDelay(0))
        #expect(after > before, "slow calls that lost to a hedge still count towards the p95")
        #expect(pool.members[0].consecutiveFailures == 0)
    }
}
