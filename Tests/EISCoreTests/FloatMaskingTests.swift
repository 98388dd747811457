import EISCore
import Foundation
import EISTestSupport
import Testing

@Suite("FloatMasking")
struct FloatMaskingTests {
    static let dimension = 256
    static let x0 = [Double](repeating: 0, count: dimension)
    static let x1 = [Double](repeating: 1, count: dimension)

    @Test("shares sum back to the input, and every mask stays in [−R, R]", arguments: 2...4)
    func sharesRecombineAndMasksStayInRange(shareCount: Int) {
        var inputs = SplitMix64(seed: 77 &+ UInt64(shareCount))
        var secure = SecureRandom()
        let range = 1000.0
        let x = (0..<Self.dimension).map { _ in Double(inputs.next() % 2001) / 1000 - 1 }
        let shares = FloatMasking.split(x, into: shareCount, range: range, using: &secure)
        #expect(shares.count == shareCount)
        for mask in shares.dropLast() { #expect(mask.allSatisfy { abs($0) <= range }) }
        let sum = FloatMasking.combine(shares)
        // Each addition rounds once at magnitude ≤ k·R.
        let tolerance = Double(shareCount) * Double(shareCount) * range * 0x1p-52
        #expect(zip(sum, x).allSatisfy { abs($0 - $1) <= tolerance })
    }

    @Test("masks use the whole range: their mean is near 0 and their spread near R/√3")
    func masksAreUniformOverTheRange() {
        var secure = SecureRandom()
        let range = 10.0
        let masks = FloatMasking.split([Double](repeating: 0, count: 20_000), into: 2, range: range, using: &secure)[0]
        let mean = masks.reduce(0, +) / Double(masks.count)
        let variance = masks.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(masks.count)
        #expect(abs(mean) < 0.15)
        #expect(abs(variance.squareRoot() - range / 3.0.squareRoot()) < 0.1)
        #expect(masks.min()! < -9.9 && masks.max()! > 9.9)
    }

    /// The optimal test against uniform masks: a coordinate of `x − r` above `R` can only come
    /// from x1, one below `1 − R` only from x0. Its advantage equals the statistical distance.
    static func boxTest(_ share: [Double], range: Double) -> [Double] {
        let aboveTop = share.filter { $0 > range }.count
        let belowBottom = share.filter { $0 < 1 - range }.count
        return [Double(aboveTop - belowBottom)]
    }

    @Test("one backend's advantage stays within the documented bound, and the bound is tight", arguments: [100.0, 1000, 10_000])
    func measuredAdvantageMatchesTheBound(range: Double) {
        var secure = SecureRandom()
        var coin = SplitMix64(seed: UInt64(range))
        var game = IndistinguishabilityGame()
        game.trainingRounds = 1000
        game.scoredRounds = 4000
        let outcome = game.play(coin: &coin) { bit in
            let shares = FloatMasking.split(bit ? Self.x1 : Self.x0, into: 2, range: range, using: &secure)
            return Self.boxTest(shares[1], range: range)
        }
        let advantage = 2 * outcome.accuracy - 1
        let bound = FloatMasking.advantageBound(l1Distance: Double(Self.dimension), range: range)
        // The exact statistical distance for these two inputs: the chance that at least one of
        // the 256 coordinates lands where only one of the two boxes reaches.
        let exact = 1 - pow(1 - 1 / (2 * range), Double(Self.dimension))
        reportMeasurement("float masking R=\(range): advantage \(advantage), exact distance \(exact), bound \(bound)")
        #expect(exact <= bound)
        // 4000 rounds: the advantage's standard error is at most about 0.016.
        #expect(advantage <= exact + 0.05)
        #expect(advantage >= exact - 0.08, "the box test should reach the exact distance; got \(advantage) vs \(exact)")
    }

    @Test("a float32 backend's product stays within the documented error bound")
    func float32ProductStaysWithinTheErrorBound() {
        var inputs = SplitMix64(seed: 5)
        var secure = SecureRandom()
        let (rows, columns) = (10, Self.dimension)
        let weights = (0..<(rows * columns)).map { _ in Double(inputs.next() % 2001) / 16_000 - 0.0625 }
        let rowL1 = (0..<rows).map { r in weights[(r * columns)..<((r + 1) * columns)].map(abs).reduce(0, +) }.max()!
        for range in [10.0, 100, 1000, 10_000, 100_000] {
            var worst = 0.0
            for _ in 0..<20 {
                let x = (0..<columns).map { _ in Double(inputs.next() % 2001) / 1000 - 1 }
                let shares = FloatMasking.split(x, into: 2, range: range, using: &secure)
                // Each backend rounds its share to Float and multiplies in Float, as numpy float32 does.
                let partials = shares.map { share in
                    (0..<rows).map { r -> Double in
                        var sum: Float = 0
                        for c in 0..<columns { sum += Float(weights[r * columns + c]) * Float(share[c]) }
                        return Double(sum)
                    }
                }
                let y = FloatMasking.combine(partials)
                for r in 0..<rows {
                    var exact = 0.0
                    for c in 0..<columns { exact += Double(Float(weights[r * columns + c])) * x[c] }
                    worst = max(worst, abs(y[r] - exact))
                }
            }
            let bound = FloatMasking.reconstructionErrorBound(
                rowL1: rowL1, inputs: columns, shares: 2, range: range, maxInput: 1, unitRoundoff: 0x1p-24)
            reportMeasurement("float32 R=\(range): max error \(worst), bound \(bound)")
            #expect(worst <= bound)
            #expect(worst > 0, "float32 products of masked shares are not exact")
        }
    }
}
