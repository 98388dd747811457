import Foundation

/// The pure state of one model's backends: which may receive shares, how loaded they are, and
/// when a misbehaving one is ejected.
///
/// No I/O, no locks, no clock reads: callers pass `now` in and perform what it decides. That
/// keeps every rule testable with a manual clock (`BackendPool` wraps it in a Mutex).
///
/// Placement rule (docs/ARCHITECTURE.md, invariant 1): the backends chosen for one sharing are pairwise in
/// different trust domains, and a spare for a failed share is never a backend, nor in the trust
/// domain of a backend, that holds another share of that sharing.
///
/// Passive outlier detection: `consecutiveFailuresToEject` failures in a row eject a backend
/// for `baseEjection × 2^(n−1)` (n = its ejections since it last succeeded), capped at
/// `maxEjection`. When the time is up it is *half-open*: it may take one call at a time; a
/// success readmits it fully, a failure ejects it again for longer.
///
/// | ejection n | base 2 s, cap 60 s |
/// |---|---|
/// | 1 | 2 s |
/// | 2 | 4 s |
/// | 3 | 8 s |
/// | 6 and later | 60 s |
struct PoolStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// Outlier-detection and health-check settings.
    struct Policy: Sendable, Equatable {
        /// Failed active health checks in a row that mark a backend unhealthy.
        var unhealthyThreshold = 2
        /// Passed active health checks in a row that mark it healthy again.
        var healthyThreshold = 1
        /// Failures in a row that eject a backend.
        var consecutiveFailuresToEject = 3
        /// First ejection's length.
        var baseEjection: Duration = .seconds(2)
        /// Longest ejection.
        var maxEjection: Duration = .seconds(60)
    }

    /// How a call ended, as the pool sees it.
    enum Outcome: Sendable, Equatable {
        /// Answered correctly, in this many seconds.
        case success(latency: Double)
        /// Failed in a way that says the backend is unwell (unreachable, timeout, garbage).
        case failure
        /// The call answered a partial that failed verification: a lie, not a passing fault,
        /// so it ejects the backend at once, whatever `consecutiveFailuresToEject` says.
        case wrongResult
        /// Ended without saying anything about the backend (cancelled, or cut by the request's
        /// own deadline), after this many seconds, a lower bound on its latency, when known.
        case abandoned(after: Double?)

        /// Ended without a latency sample.
        static var abandoned: Outcome { .abandoned(after: nil) }
    }

    /// One backend's state.
    struct Member: Sendable, Equatable {
        let trustDomain: String
        /// Relative capacity; a weight-2 backend takes twice the outstanding calls of a weight-1 one.
        let weight: Double
        /// Serves other weights than the gateway's (set after verification); never used again.
        var refused = false
        /// Calls in flight.
        var outstanding = 0
        /// Exponentially weighted moving average of successful call latency, in seconds.
        var latency: Double?
        /// Failures since the last success.
        var consecutiveFailures = 0
        /// Ejections since the last success.
        var ejections = 0
        /// While set and in the future, the backend takes no calls; once past, it is half-open.
        var ejectedUntil: Instant?
        /// The latest successful call latencies (seconds), a ring of `latencyWindow`.
        var recentLatencies: [Double] = []
        /// Where the next latency goes in `recentLatencies`.
        var nextLatencySlot = 0
        /// The active health checks' verdict.
        var healthy = true
        /// Active checks in a row with the same result, counting towards a threshold.
        var checkStreak = 0
    }

    private(set) var members: [Member]
    let policy: Policy
    private var rotation = 0

    /// Creates the state for backends given as (trust domain, weight).
    init(members: [(trustDomain: String, weight: Double)], policy: Policy = Policy()) {
        self.members = members.map { Member(trustDomain: $0.trustDomain, weight: max($0.weight, 0.001)) }
        self.policy = policy
    }

    /// Whether a backend may take a call now.
    func isEligible(_ index: Int, now: Instant) -> Bool {
        let member = members[index]
        if member.refused || !member.healthy { return false }
        guard let until = member.ejectedUntil else { return true }
        // Half-open: one probe call at a time once the ejection has run out.
        return now >= until && member.outstanding == 0
    }

    /// How many distinct trust domains currently have an eligible backend.
    func eligibleDomainCount(now: Instant) -> Int {
        Set(members.indices.filter { isEligible($0, now: now) }.map { members[$0].trustDomain }).count
    }

    /// Chooses `count` backends in distinct trust domains and counts a call on each.
    ///
    /// Prefers the least loaded (outstanding ÷ weight), then the fastest (EWMA latency, in
    /// doubling buckets above 1 ms; every eighth placement skips this so no backend starves);
    /// ties rotate so equal backends share the load.
    /// - Parameters:
    ///   - excluding: backends that must not be chosen (they hold a share of this sharing).
    ///   - avoidingDomains: trust domains that must not be chosen.
    /// - Returns: member indices, or nil (and nothing counted) when the rule cannot be met.
    mutating func place(count: Int, now: Instant, excluding: Set<Int> = [], avoidingDomains: Set<String> = []) -> [Int]? {
        rotation &+= 1
        let candidates = members.indices.filter {
            !excluding.contains($0) && !avoidingDomains.contains(members[$0].trustDomain) && isEligible($0, now: now)
        }
        let start = rotation
        // Every eighth placement ignores latency, so a backend that once looked slow still gets
        // calls that refresh its average instead of starving on an old figure.
        let useLatency = rotation % 8 != 0
        let ordered = candidates.sorted { a, b in
            let loadA = Double(members[a].outstanding) / members[a].weight
            let loadB = Double(members[b].outstanding) / members[b].weight
            if loadA != loadB { return loadA < loadB }
            if useLatency {
                let bucketA = Self.latencyBucket(members[a].latency), bucketB = Self.latencyBucket(members[b].latency)
                if bucketA != bucketB { return bucketA < bucketB }
            }
            return (a &- start) & 0xFFFF < (b &- start) & 0xFFFF
        }
        var chosen = [Int](), domains = Set<String>()
        for index in ordered where domains.insert(members[index].trustDomain).inserted {
            chosen.append(index)
            if chosen.count == count { break }
        }
        guard chosen.count == count else { return nil }
        for index in chosen { members[index].outstanding += 1 }
        return chosen
    }

    /// Records the end of a call placed by `place`.
    ///
    /// - Returns: the ejection deadline when this call ejected the backend.
    @discardableResult
    mutating func finish(_ index: Int, outcome: Outcome, now: Instant) -> Instant? {
        members[index].outstanding = max(0, members[index].outstanding - 1)
        switch outcome {
        case .abandoned(let seconds):
            if let seconds { recordSample(index, seconds) }
            return nil
        case .success(let seconds):
            members[index].latency = members[index].latency.map { 0.8 * $0 + 0.2 * seconds } ?? seconds
            recordSample(index, seconds)
            members[index].consecutiveFailures = 0
            members[index].ejections = 0
            members[index].ejectedUntil = nil
            return nil
        case .failure, .wrongResult:
            members[index].consecutiveFailures += 1
            if outcome == .wrongResult {
                members[index].consecutiveFailures = max(members[index].consecutiveFailures, policy.consecutiveFailuresToEject)
            }
            // Still ejected: this is a call that was in flight before the ejection, not the
            // half-open probe, so it must not eject the backend again for longer.
            if let until = members[index].ejectedUntil, now < until { return nil }
            let halfOpen = members[index].ejectedUntil != nil
            guard halfOpen || members[index].consecutiveFailures >= policy.consecutiveFailuresToEject else { return nil }
            members[index].ejections += 1
            let until = now.advanced(by: ejectionLength(afterEjections: members[index].ejections))
            members[index].ejectedUntil = until
            return until
        }
    }

    /// Records an active health check.
    ///
    /// `unhealthyThreshold` failures in a row make a backend ineligible; `healthyThreshold`
    /// passes in a row make it eligible again and end its ejection, so service returns within
    /// a few check intervals once a backend that was down is back. (A backend that passes its
    /// checks while ejected for failed calls stays ejected until its half-open probe.)
    /// - Returns: the new `healthy` value when it changed.
    @discardableResult
    mutating func recordHealthCheck(_ index: Int, passed: Bool) -> Bool? {
        var member = members[index]
        defer { members[index] = member }
        if passed == member.healthy {
            member.checkStreak = 0
            return nil
        }
        member.checkStreak += 1
        guard member.checkStreak >= (passed ? policy.healthyThreshold : policy.unhealthyThreshold) else { return nil }
        member.healthy = passed
        member.checkStreak = 0
        if passed {
            member.ejectedUntil = nil
            member.consecutiveFailures = 0
            member.ejections = 0
        }
        return passed
    }

    /// Latencies compared in doubling buckets above 1 ms: noise between similar backends must not
    /// send all traffic to one of them.
    static func latencyBucket(_ seconds: Double?) -> Int {
        guard let seconds, seconds >= 0.001 else { return 0 }
        return Int(log2(seconds / 0.001)) + 1
    }

    /// Adds a latency to the backend's window for its p95.
    private mutating func recordSample(_ index: Int, _ seconds: Double) {
        if members[index].recentLatencies.count < Self.latencyWindow {
            members[index].recentLatencies.append(seconds)
        } else {
            members[index].recentLatencies[members[index].nextLatencySlot] = seconds
        }
        members[index].nextLatencySlot = (members[index].nextLatencySlot + 1) % Self.latencyWindow
    }

    /// Successful calls remembered per backend for its p95.
    static var latencyWindow: Int { 64 }
    /// Calls needed before a p95 is trusted for hedging.
    static var minimumSamplesForHedging: Int { 20 }

    /// When to hedge a call to this backend: its observed p95 latency, or nil before it has
    /// answered `minimumSamplesForHedging` calls.
    func hedgeDelay(_ index: Int) -> Duration? {
        let samples = members[index].recentLatencies
        guard samples.count >= Self.minimumSamplesForHedging else { return nil }
        let sorted = samples.sorted()
        let p95 = sorted[min(sorted.count - 1, Int((0.95 * Double(sorted.count)).rounded(.up)) - 1)]
        return .microseconds(max(Int64(p95 * 1e6), 100))
    }

    /// Marks a backend as serving other weights: it never takes a call again.
    mutating func refuse(_ index: Int) {
        members[index].refused = true
    }

    /// `base × 2^(n−1)`, capped at `maxEjection` before any conversion can overflow.
    func ejectionLength(afterEjections count: Int) -> Duration {
        let doublings = min(max(count - 1, 0), 30)
        let length = policy.baseEjection * (1 << doublings)
        return min(length, policy.maxEjection)
    }
}
