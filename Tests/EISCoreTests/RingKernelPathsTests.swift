import EISCore
import EISTestSupport
import Testing

/// How the weights of a case are stored: the Int32 fast path or the Int64 fallback.
enum WeightStorage: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case int32, int64

    var testDescription: String { rawValue }

    /// `matrix` stored this way (its elements must fit in Int32 for `.int32`).
    func store(_ matrix: Matrix<Int64>) -> RingWeights {
        switch self {
        case .int32:
            let weights = RingWeights(matrix)
            precondition(weights.isNarrow, "test weights for the Int32 path must fit in Int32")
            return weights
        case .int64: return RingWeights(keepingInt64: matrix)
        }
    }
}

/// Every instruction path this CPU runs (AVX2 and portable here), forced one at a time, and both
/// weight storages, against the naive wrapping triple loop.
@Suite("RingKernels paths")
struct RingKernelPathsTests {
    /// Random signed weights over the whole Int32 range, with its extremes mixed in.
    static func int32Weights(rows: Int, columns: Int, using generator: inout SplitMix64) -> Matrix<Int64> {
        Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in
            switch generator.next() % 16 {
            case 0: Int64(Int32.min)
            case 1: Int64(Int32.max)
            default: Int64(Int32(truncatingIfNeeded: generator.next()))
            }
        })
    }

    /// Random full-range shares with Int64.min and Int64.max mixed in.
    static func shares(rows: Int, columns: Int, using generator: inout SplitMix64) -> Matrix<Int64> {
        Matrix(rows: rows, columns: columns, elements: (0..<(rows * columns)).map { _ in
            switch generator.next() % 16 {
            case 0: .min
            case 1: .max
            default: Int64(bitPattern: generator.next())
            }
        })
    }

    @Test("every shape edge matches the reference: rows around the 2-row block, widths around the 8-column group and the 256-column block, outputs around pairs and the 64-output block",
          arguments: RingKernels.Path.available, WeightStorage.allCases)
    func everyShapeEdgeMatchesTheReference(path: RingKernels.Path, storage: WeightStorage) {
        var generator = SplitMix64(seed: 0xB10C)
        for rows in [1, 2, 3, 4, 5, 7] {
            for width in [1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 515] {
                for outputs in [1, 2, 3, 8, 63, 65, 129] {
                    let x = Self.shares(rows: rows, columns: width, using: &generator)
                    let w = Self.int32Weights(rows: outputs, columns: width, using: &generator)
                    let y = RingKernels.multiply(x, byTransposeOf: storage.store(w), path: path)
                    #expect(y == referenceWrappingProduct(x, byTransposeOf: w), "\(path) \(storage): \(rows)×\(width) by \(outputs)×\(width)")
                }
            }
        }
    }

    @Test("a large batch crosses several column and output blocks and still matches", arguments: RingKernels.Path.available, WeightStorage.allCases)
    func largeBatchMatchesTheReference(path: RingKernels.Path, storage: WeightStorage) {
        var generator = SplitMix64(seed: 0x1A46E)
        for (rows, width, outputs) in [(32, 1031, 70), (33, 600, 131)] {
            let x = Self.shares(rows: rows, columns: width, using: &generator)
            let w = Self.int32Weights(rows: outputs, columns: width, using: &generator)
            #expect(RingKernels.multiply(x, byTransposeOf: storage.store(w), path: path) == referenceWrappingProduct(x, byTransposeOf: w),
                    "\(path) \(storage): \(rows)×\(width) by \(outputs)×\(width)")
        }
    }

    @Test("extreme shares and weights wrap exactly like the reference", arguments: RingKernels.Path.available, WeightStorage.allCases)
    func extremeValuesWrapLikeTheReference(path: RingKernels.Path, storage: WeightStorage) {
        let shareValues: [Int64] = [.min, .max, .min + 1, .max - 1, -1, 0, 1, 1 << 31, -(1 << 31), (1 << 32) - 1, 1 << 32, -(1 << 32)]
        let weightValues: [Int64] = [Int64(Int32.min), Int64(Int32.max), Int64(Int32.min) + 1, -1, 0, 1, 1 << 30]
        var generator = SplitMix64(seed: 5)
        for width in [4, 8, 37] {
            let x = Matrix(rows: 5, columns: width, elements: (0..<(5 * width)).map { _ in shareValues.randomElement(using: &generator)! })
            let w = Matrix(rows: 7, columns: width, elements: (0..<(7 * width)).map { _ in weightValues.randomElement(using: &generator)! })
            #expect(RingKernels.multiply(x, byTransposeOf: storage.store(w), path: path) == referenceWrappingProduct(x, byTransposeOf: w))
        }
        // Hand-checked, on a width of 4 so the vector loop (not the scalar tail) computes them:
        // (2^63 − 1)·(−2^31) ≡ 2^31, (2^63 − 1)(2^31 − 1) ≡ 2^63 − 2^31 + 1, (−2^63)(−2^31) ≡ 0 and
        // (−2^63)(2^31 − 1) ≡ −2^63 (mod 2^64).
        let cases: [(Int64, Int32, Int64)] = [
            (.max, .min, 2_147_483_648), (.max, .max, 9_223_372_034_707_292_161), (.min, .min, 0), (.min, .max, .min),
        ]
        for (share, weight, expected) in cases {
            for rows in [1, 2, 3] {
                let x = Matrix(rows: rows, columns: 4, elements: (0..<rows).flatMap { _ -> [Int64] in [share, 0, 0, 0] })
                let w = Matrix(rows: 1, columns: 4, elements: [Int64(weight), 0, 0, 0])
                #expect(RingKernels.multiply(x, byTransposeOf: storage.store(w), path: path).elements == Array(repeating: expected, count: rows),
                        "\(share)·\(weight), \(rows) rows")
            }
        }
    }

    @Test("weights beyond Int32 take the Int64 fallback and match the reference")
    func fullRangeWeightsMatchTheReference() {
        var generator = SplitMix64(seed: 64)
        for (rows, width, outputs) in [(1, 9, 5), (4, 300, 3), (7, 17, 66)] {
            let x = Self.shares(rows: rows, columns: width, using: &generator)
            let w = Matrix(rows: outputs, columns: width, elements: randomWords(count: outputs * width, using: &generator))
            let stored = RingWeights(w)
            #expect(!stored.isNarrow)
            #expect(RingKernels.multiply(x, byTransposeOf: stored) == referenceWrappingProduct(x, byTransposeOf: w))
        }
    }

    @Test("an output range fills exactly its own columns of the result", arguments: RingKernels.Path.available, WeightStorage.allCases)
    func outputRangeFillsOnlyItsColumns(path: RingKernels.Path, storage: WeightStorage) {
        var generator = SplitMix64(seed: 0x5EC7)
        let x = Self.shares(rows: 5, columns: 40, using: &generator)
        let w = Self.int32Weights(rows: 24, columns: 40, using: &generator)
        let reference = referenceWrappingProduct(x, byTransposeOf: w)
        let weights = storage.store(w)
        for range in [0..<24, 0..<8, 8..<16, 5..<6, 17..<24] {
            let sentinel: Int64 = 0x5A5A
            var result = [Int64](repeating: sentinel, count: 5 * 24)
            result.withUnsafeMutableBufferPointer { buffer in
                RingKernels.multiply(x, byTransposeOf: weights, outputs: range, into: buffer, path: path)
            }
            for r in 0..<5 {
                for o in 0..<24 {
                    #expect(result[r * 24 + o] == (range.contains(o) ? reference[r, o] : sentinel), "\(range): [\(r), \(o)]")
                }
            }
        }
    }
}
