import EISCore
import Foundation
import EISTestSupport
import Testing

@Suite("FloatMasking")
struct FloatMaskingTests {
    static let dimension = 256
    static let x0 = [Double](repeating: 0, count: dimension)
    static let x1 = [Double](repeating: 1, count: dimension)

    @Test("shares sum back to the grid-rounded input exactly, and every mask stays on the grid in [−R, R]", arguments: 2...4)
    func sharesRecombineExactlyAndMasksStayOnTheGrid(shareCount: Int) {
        var inputs = SplitMix64(seed: 77 &+ UInt64(shareCount))
        var secure = SecureRandom()
        let grid = FloatMaskGrid(range: 1000, shares: shareCount, arithmetic: .float64)
        let x = (0..<Self.dimension).map { _ in Double(inputs.next() % 2001) / 1000 - 1 }
        let shares = FloatMasking.split(x, grid: grid, using: &secure)
        #expect(shares.count == shareCount)
        for mask in shares.dropLast() { #expect(mask.allSatisfy { abs($0) <= 1000 }) }
        for share in shares { #expect(share.allSatisfy { ($0 / grid.spacing).rounded() == $0 / grid.spacing }) }
        // Sums of grid values below 2^53 spacings are exact, in any order.
        #expect(FloatMasking.combine(shares) == x.map(grid.rounded))
        #expect(zip(x.map(grid.rounded), x).allSatisfy { abs($0 - $1) <= grid.spacing / 2 })
    }

    @Test("the grid is never finer than the backends' ulp of R, and every share is exact in their format")
    func theGridIsCoarseEnoughForTheBackendsFormat() {
        var secure = SecureRandom()
        for range in [1.0, 100, 1e5, 123_456.789] {
            for shares in 2...3 {
                let grid32 = FloatMaskGrid(range: range, shares: shares, arithmetic: .float32)
                let grid64 = FloatMaskGrid(range: range, shares: shares, arithmetic: .float64)
                #expect(grid32.spacing >= Double(Float(range).ulp))
                #expect(grid64.spacing >= range.ulp)
                let x = [Double](repeating: grid32.inputLimit, count: 64) + [Double](repeating: -grid32.inputLimit, count: 64)
                for share in FloatMasking.split(x, grid: grid32, using: &secure) {
                    #expect(share.allSatisfy { Double(Float($0)) == $0 }, "float32 shares convert exactly")
                }
            }
        }
    }

    @Test("masks use the whole range: their mean is near 0 and their spread near R/√3")
    func masksAreUniformOverTheRange() {
        var secure = SecureRandom()
        let grid = FloatMaskGrid(range: 10, shares: 2, arithmetic: .float32)
        let masks = FloatMasking.split([Double](repeating: 0, count: 20_000), grid: grid, using: &secure)[0]
        let mean = masks.reduce(0, +) / Double(masks.count)
        let variance = masks.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(masks.count)
        #expect(abs(mean) < 0.15)
        #expect(abs(variance.squareRoot() - 10 / 3.0.squareRoot()) < 0.1)
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
        let grid = FloatMaskGrid(range: range, shares: 2, arithmetic: .float64)
        var game = IndistinguishabilityGame()
        game.trainingRounds = 1000
        game.scoredRounds = 4000
        let outcome = game.play(coin: &coin) { bit in
            let shares = FloatMasking.split(bit ? Self.x1 : Self.x0, grid: grid, using: &secure)
            return Self.boxTest(shares[1], range: grid.inputLimit)
        }
        let advantage = 2 * outcome.accuracy - 1
        let bound = grid.advantageBound(l1Distance: Double(Self.dimension))
        // The exact statistical distance for these two inputs: the chance that at least one of
        // the 256 coordinates lands where only one of the two boxes reaches.
        let exact = 1 - pow(1 - 1 / ((2 * Double(grid.steps) + 1) * grid.spacing), Double(Self.dimension))
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
            let grid = FloatMaskGrid(range: range, shares: 2, arithmetic: .float32)
            var worst = 0.0
            for _ in 0..<20 {
                let x = (0..<columns).map { _ in Double(inputs.next() % 2001) / 1000 - 1 }
                let shares = FloatMasking.split(x, grid: grid, using: &secure)
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
            let bound = FloatMasking.reconstructionErrorBound(rowL1: rowL1, inputs: columns, grid: grid, maxInput: 1)
            reportMeasurement("float32 R=\(range): max error \(worst), bound \(bound)")
            #expect(worst <= bound)
            #expect(worst > 0, "float32 products of masked shares are not exact")
        }
    }
}
