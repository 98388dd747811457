import EISCore
import EISTestSupport
import Testing

@Suite("RingWeights")
struct RingWeightsTests {
    @Test("weights are stored as Int32 exactly when every element fits", arguments: [
        ([Int64(Int32.min), 0, Int64(Int32.max)], true),
        ([Int64(Int32.max) + 1, 0, 0], false),
        ([0, Int64(Int32.min) - 1, 0], false),
        ([Int64.min, 1, -1], false),
    ])
    func narrowsExactlyWhenEveryElementFits(elements: [Int64], narrow: Bool) {
        let matrix = Matrix(rows: 1, columns: 3, elements: elements)
        let weights = RingWeights(matrix)
        #expect(weights.isNarrow == narrow)
        #expect(weights.matrix == matrix)
        #expect(weights.rows == 1 && weights.columns == 3)
    }

    @Test("keepingInt64 stores Int64 even when the values fit")
    func keepingInt64StoresWideWeights() {
        let matrix = Matrix<Int64>(rows: 2, columns: 2, elements: [1, -2, 3, -4])
        #expect(RingWeights(keepingInt64: matrix).storage == .int64([1, -2, 3, -4]))
        #expect(RingWeights(matrix).storage == .int32([1, -2, 3, -4]))
    }

    @Test("a PyTorch-initialised layer at the default fractional bits is stored as Int32")
    func defaultEncodedLayerIsNarrow() throws {
        var generator = SplitMix64(seed: 11)
        let bound = 1 / Double(64).squareRoot()
        let weight = Matrix(rows: 16, columns: 64, elements: (0..<(16 * 64)).map { _ in Double.random(in: -bound...bound, using: &generator) })
        #expect(try EncodedWeights(weight, fractionBits: Defaults.weightFractionBits).packed.isNarrow)
    }

    @Test("a layer with one weight beyond 2^31 at its fractional bits falls back to Int64, with an exact product")
    func largeWeightFallsBackToInt64() throws {
        // 40 · 2^26 > 2^31.
        let layer = try EncodedWeights(Matrix(rows: 2, columns: 3, elements: [40, -0.5, 0.25, 1, 2, -3]), fractionBits: 26)
        #expect(!layer.packed.isNarrow)
        let x = Matrix<Int64>(rows: 1, columns: 3, elements: [.max, -7, 1 << 40])
        #expect(RingKernels.multiply(x, byTransposeOf: layer.packed) == referenceWrappingProduct(x, byTransposeOf: layer.matrix))
    }

    @Test("the digest is of the Int64 encoding whatever the storage, as before narrowing")
    func digestIsUnchangedByNarrowing() throws {
        // W_enc = [65536, −32768]; the SHA-256 of those two little-endian Int64s, computed with Python's hashlib.
        let layer = try EncodedWeights(Matrix(rows: 1, columns: 2, elements: [1, -0.5]), fractionBits: 16)
        #expect(layer.packed.isNarrow)
        #expect(layer.digest == "2287a60af4fbb67636cb4a7ffa3463043c9bc47c2456be7ee07747944865496d")
    }
}
