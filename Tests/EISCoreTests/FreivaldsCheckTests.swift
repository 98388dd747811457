import EISCore
import EISTestSupport
import Testing

@Suite("FreivaldsCheck")
struct FreivaldsCheckTests {
    /// A random layer of `outputs × inputs` weights in (−1, 1), encoded with 26 fractional bits.
    static func layer(inputs: Int, outputs: Int, seed: UInt64) throws -> EncodedWeights {
        try EncodedWeights(EncodedWeightsTests.randomWeights(rows: outputs, columns: inputs, seed: seed), fractionBits: 26)
    }

    /// Uniform shares, `rows × columns`.
    static func shares(rows: Int, columns: Int, seed: UInt64) -> Matrix<Int64> {
        var generator = SplitMix64(seed: seed)
        return Matrix(rows: rows, columns: columns, elements: (0..<rows * columns).map { _ in Int64(bitPattern: generator.next()) })
    }

    /// The ways a partial is made wrong in these tests, each applied to a right one.
    static let corruptions: [(name: String, apply: @Sendable (inout Matrix<Int64>) -> Void)] = [
        ("one low bit flipped", { $0.elements[3] ^= 1 }),
        ("the top bit flipped", { $0.elements[$0.elements.count - 1] ^= Int64.min }),
        ("2^63 added to two elements", { $0.elements[0] &+= Int64.min; $0.elements[5] &+= Int64.min }),
        ("2^62 added to one element", { $0.elements[7] &+= 1 << 62 }),
        ("off by one everywhere", { for i in $0.elements.indices { $0.elements[i] &+= 1 } }),
        ("a constant answer", { for i in $0.elements.indices { $0.elements[i] = 42 } }),
        ("all zeros", { for i in $0.elements.indices { $0.elements[i] = 0 } }),
    ]

    @Test func rightPartialsPassForEveryRow() throws {
        let weights = try Self.layer(inputs: 64, outputs: 24, seed: 1)
        var generator = SplitMix64(seed: 2)
        let check = FreivaldsCheck(weights: weights, using: &generator)
        #expect(check.count == FreivaldsCheck.defaultVectors && check.inputs == 64 && check.outputs == 24)
        for seed in UInt64(0)..<20 {
            let x = Self.shares(rows: 5, columns: 64, seed: 100 + seed)
            #expect(check.accepts(RingKernels.multiply(x, byTransposeOf: weights.packed), for: x))
        }
        // Int64 weights (one element too large for Int32) check the same way.
        let wide = try EncodedWeights(Matrix(rows: 2, columns: 3, elements: [100.0, -3.5, 0.25, 1, 2, -64]), fractionBits: 26)
        #expect(!wide.packed.isNarrow)
        let wideCheck = FreivaldsCheck(weights: wide, using: &generator)
        let x = Self.shares(rows: 4, columns: 3, seed: 9)
        #expect(wideCheck.accepts(referenceWrappingProduct(x, byTransposeOf: wide.matrix), for: x))
    }

    @Test func everyCorruptionIsCaughtByEveryFreshCheck() throws {
        let weights = try Self.layer(inputs: 48, outputs: 16, seed: 3)
        let x = Self.shares(rows: 3, columns: 48, seed: 4)
        let right = RingKernels.multiply(x, byTransposeOf: weights.packed)
        for (name, corrupt) in Self.corruptions {
            var wrong = right
            corrupt(&wrong)
            // 200 independent draws of the 40 vectors: a miss would have probability ≤ 200 · 2^-40.
            for seed in UInt64(0)..<200 {
                var generator = SplitMix64(seed: 1000 + seed)
                #expect(!FreivaldsCheck(weights: weights, using: &generator).accepts(wrong, for: x), "\(name), seed \(seed)")
            }
        }
    }

    @Test func aPartialOfOtherWeightsIsCaught() throws {
        let weights = try Self.layer(inputs: 32, outputs: 8, seed: 5)
        let stale = try Self.layer(inputs: 32, outputs: 8, seed: 6)
        var generator = SplitMix64(seed: 7)
        let check = FreivaldsCheck(weights: weights, using: &generator)
        let x = Self.shares(rows: 4, columns: 32, seed: 8)
        #expect(!check.accepts(RingKernels.multiply(x, byTransposeOf: stale.packed), for: x))
    }

    /// The bound's own shape: one vector misses an error of lowest valuation t with probability
    /// 2^-(64-t), so at t = 63 one vector is a coin toss, which is why the check keeps 40.
    @Test(arguments: [(63, 0.5), (62, 0.25), (61, 0.125)])
    func oneVectorMissesAnErrorOfValuationTWithProbabilityTwoToTheMinus64MinusT(valuation: Int, expected: Double) throws {
        let weights = try Self.layer(inputs: 16, outputs: 8, seed: 9)
        let x = Self.shares(rows: 1, columns: 16, seed: 10)
        var wrong = RingKernels.multiply(x, byTransposeOf: weights.packed)
        wrong.elements[2] &+= Int64(bitPattern: 1 << UInt64(valuation))
        wrong.elements[6] &+= Int64(bitPattern: 3 << UInt64(valuation))  // same valuation; 3·2^63 ≡ 2^63
        let trials = 4000
        var missed = 0
        for seed in 0..<trials {
            var generator = SplitMix64(seed: UInt64(50_000 + seed))
            if FreivaldsCheck(weights: weights, count: 1, using: &generator).accepts(wrong, for: x) { missed += 1 }
        }
        // Binomial(4000, p): 6 standard deviations either side.
        let rate = Double(missed) / Double(trials)
        let deviation = 6 * (expected * (1 - expected) / Double(trials)).squareRoot()
        #expect(abs(rate - expected) < deviation, "missed \(missed) of \(trials)")
    }

    @Test func costRatioIsVectorsTimesInputsPlusOutputsOverTheProduct() {
        #expect(abs(FreivaldsCheck.costRatio(inputs: 384, outputs: 1152) - 40.0 * 1536 / (384 * 1152)) < 1e-12)
        // The demo layer (256 → 10) would cost four times its own product: the gateway could multiply itself.
        #expect(FreivaldsCheck.costRatio(inputs: 256, outputs: 10) > 4)
        #expect(FreivaldsCheck.costRatio(inputs: 4096, outputs: 4096) < 0.02)
    }
}
