import EISBackend
import EISCore
@testable import EISGateway
import EISTestSupport
import Foundation
import Testing

/// The float masking leak through low-order bits (issue 12, item 1), played against the
/// gateway's real pipeline: a curious float backend records the shares it is sent and runs a
/// lattice-membership distinguisher on them.
///
/// The distinguisher knows how masks are drawn. For a candidate input `x` it computes the mask
/// sum `x − s` a share `s` implies and counts the coordinates where that is a value the sampler
/// can produce. It knows two samplers: the one main shipped until issue 12 (a mask is
/// `fl(j · 2^-52 · R)`, and the last share `fl(x − m)`, whose rounding depends on `x`), and the
/// grid (a mask sum is a multiple of the spacing within `±(k − 1)·R`). Whichever input the
/// shares are more consistent with is its guess. On main it separates x = 0 from x = 1 almost
/// always (k = 2, float64); on the grid every candidate is consistent, so it is at chance.
@Suite("Float masking lattice leak")
struct FloatMaskingLatticeTests {
    static let range = 100_000.0
    static let width = 256
    static let rounds = 300

    /// What one curious backend learned over `rounds` sharings of x = 0 or x = 1.
    struct Measurement {
        var advantage: [Double]
        var offGrid = 0
        var inexactSums = 0
        var dummyRowsOffGrid = 0
    }

    /// The documented grid: spacing `B / 2^p`, `B` the smallest power of two ≥ k·R,
    /// p = 24 (float32) or 53 (float64). Computed here from the rule, not read from the code.
    static func documentedSpacing(shares: Int, arithmetic: Arithmetic) -> Double {
        var top = 1.0
        while top < Double(shares) * range { top *= 2 }
        return top / pow(2, arithmetic == .float32 ? 24 : 53)
    }

    /// Whether `value` is a mask main's sampler could draw: `fl(j · 2^-52 · R)` for an integer
    /// `j` in `[−2^52, 2^52)`.
    static func isLegacyMask(_ value: Double) -> Bool {
        let centre = (value / range * 0x1p52).rounded()
        for offset in [-2.0, -1, 0, 1, 2] {
            let t = (centre + offset) * 0x1p-52
            if t >= -1 && t < 1 && t * range == value { return true }
        }
        return false
    }

    /// Whether `value` is a sum of `shares − 1` grid masks.
    static func isGridMaskSum(_ value: Double, spacing: Double, shares: Int) -> Bool {
        let steps = value / spacing
        return steps.rounded() == steps && abs(value) <= Double(shares - 1) * range
    }

    /// How many coordinates of `share` are consistent with the candidate input `candidate`.
    static func consistency(of share: ArraySlice<Double>, with candidate: Double, spacing: Double, shares: Int) -> Int {
        share.reduce(0) { count, value in
            let maskSum = candidate - value
            return count + (isLegacyMask(-maskSum) ? 1 : 0) + (isGridMaskSum(maskSum, spacing: spacing, shares: shares) ? 1 : 0)
        }
    }

    static func measure(arithmetic: Arithmetic, shares: Int) async throws -> Measurement {
        var configuration = ModelConfiguration(name: "demo", path: Fixtures.demoModelPath)
        configuration.layer = "fc"
        configuration.arithmetic = arithmetic
        configuration.allowFloatSharing = true
        configuration.floatMaskRange = range
        configuration.shares = shares
        let model = try GatewayModel(configuration: configuration)
        let backends = (0..<shares).map { FloatShareRecordingBackend(name: "demo-\($0)", domain: "d\($0)", model: model) }
        var pipeline = InferencePipeline(model: model, backends: ModelBackends(members: backends, logger: Fixtures.logger),
                                         metrics: GatewayMetrics(), logger: Fixtures.logger)
        pipeline.backendTimeout = .seconds(5)
        // One real row and three dummy rows per batch.
        pipeline.padding = Padding(buckets: [4])
        let spacing = documentedSpacing(shares: shares, arithmetic: arithmetic)
        var coin = SplitMix64(seed: UInt64(shares) &* 31 &+ UInt64(arithmetic.rawValue))
        var correct = [Int](repeating: 0, count: shares)
        var measurement = Measurement(advantage: [])
        for round in 0..<rounds {
            let bit = Bool.random(using: &coin)
            let x = [Double](repeating: bit ? 1 : 0, count: width)
            _ = try await pipeline.infer([x], deadline: .now + .seconds(10))
            let seen = backends.map { $0.shares[round] }
            for (index, share) in seen.enumerated() {
                let row = share.elements[0..<width]
                let score = consistency(of: row, with: 1, spacing: spacing, shares: shares)
                    - consistency(of: row, with: 0, spacing: spacing, shares: shares)
                let guess = score == 0 ? Bool.random(using: &coin) : score > 0
                if guess == bit { correct[index] += 1 }
                measurement.offGrid += share.elements.filter { ($0 / spacing).rounded() != $0 / spacing || abs($0) > Double(shares) * range }.count
            }
            // The shares of every row, dummy rows included, add up exactly to a grid point.
            for row in 0..<4 {
                let rowSums = (0..<width).map { column in seen.reduce(0.0) { $0 + $1[row, column] } }
                if row == 0 {
                    measurement.inexactSums += zip(rowSums, x).filter { $0 != $1 }.count
                } else {
                    measurement.dummyRowsOffGrid += rowSums.filter { ($0 / spacing).rounded() != $0 / spacing || abs($0) > 1 }.count
                }
            }
        }
        measurement.advantage = correct.map { 2 * Double($0) / Double(rounds) - 1 }
        return measurement
    }

    @Test("a lattice-membership distinguisher on one float share stays at chance, dummy rows included",
          arguments: [(Arithmetic.float32, 2), (.float32, 3), (.float64, 2), (.float64, 3)])
    func latticeDistinguisherStaysAtChance(arithmetic: Arithmetic, shares: Int) async throws {
        let measurement = try await Self.measure(arithmetic: arithmetic, shares: shares)
        // The README's bound ‖x − x′‖₁ / (2R) for x = 0 against x = 1.
        let bound = Double(Self.width) / (2 * Self.range)
        if ProcessInfo.processInfo.environment["EIS_TEST_VERBOSE"] != nil {
            print("lattice distinguisher \(arithmetic) k=\(shares) R=\(Self.range): advantage per backend \(measurement.advantage), bound \(bound)")
        }
        // 300 rounds: the advantage's standard error is about 0.058; 0.2 is 3.5 of them.
        for advantage in measurement.advantage { #expect(abs(advantage) <= bound + 0.2, "advantage \(advantage)") }
        #expect(measurement.offGrid == 0, "every share element is a multiple of the grid spacing within ±k·R")
        #expect(measurement.inexactSums == 0, "the shares of the real row add up exactly to x")
        #expect(measurement.dummyRowsOffGrid == 0, "dummy rows are on the grid too, within ±1")
    }
}
