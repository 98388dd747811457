import EISCore
import Testing
import EISTestSupport

@Suite("RingKernels")
struct RingKernelsTests {
    /// Widths around the kernel's 8-wide unrolling: below, at, just past, and a full layer.
    static let widths = [1, 2, 7, 8, 9, 15, 16, 17, 255, 256]
    static let rowCounts = Array(1...5)

    @Test("small Double-exact matrices match a Double reference", arguments: widths)
    func matchesDoubleReferenceOnSmallValues(width: Int) {
        var generator = SplitMix64(seed: 0x5EED &+ UInt64(width))
        for rows in Self.rowCounts {
            for outputs in [1, 3, 10] {
                // |entries| ≤ 1000: every product and sum is an integer far below 2^53.
                let x = Matrix(rows: rows, columns: width,
                               elements: (0..<(rows * width)).map { _ in Int64.random(in: -1000...1000, using: &generator) })
                let w = Matrix(rows: outputs, columns: width,
                               elements: (0..<(outputs * width)).map { _ in Int64.random(in: -1000...1000, using: &generator) })
                var reference = Matrix<Double>(rows: rows, columns: outputs, repeating: 0)
                for r in 0..<rows {
                    for o in 0..<outputs {
                        for j in 0..<width { reference[r, o] += Double(x[r, j]) * Double(w[o, j]) }
                    }
                }
                let y = RingKernels.multiply(x, byTransposeOf: w)
                #expect(y.map(Double.init) == reference, "\(rows)×\(width) by \(outputs)×\(width)")
            }
        }
    }

    @Test("full-range Int64 matrices match a naive wrapping triple loop", arguments: widths)
    func matchesWrappingReferenceOnFullRangeValues(width: Int) {
        var generator = SplitMix64(seed: 0xF011 &+ UInt64(width))
        for rows in Self.rowCounts {
            for outputs in [1, 4, 10] {
                let x = Matrix(rows: rows, columns: width, elements: randomWords(count: rows * width, using: &generator))
                let w = Matrix(rows: outputs, columns: width, elements: randomWords(count: outputs * width, using: &generator))
                #expect(RingKernels.multiply(x, byTransposeOf: w) == referenceWrappingProduct(x, byTransposeOf: w),
                        "\(rows)×\(width) by \(outputs)×\(width)")
            }
        }
    }

    @Test("extreme elements wrap exactly like the reference")
    func extremeElementsWrapLikeTheReference() {
        let width = 19
        let extremes: [Int64] = [.min, .max, -1, 1, .min + 1, .max - 1, 1 << 32, -(1 << 32)]
        var generator = SplitMix64(seed: 3)
        let x = Matrix(rows: 3, columns: width, elements: (0..<(3 * width)).map { _ in extremes.randomElement(using: &generator)! })
        let w = Matrix(rows: 5, columns: width, elements: (0..<(5 * width)).map { _ in extremes.randomElement(using: &generator)! })
        #expect(RingKernels.multiply(x, byTransposeOf: w) == referenceWrappingProduct(x, byTransposeOf: w))
        // Hand-checked: (2^63 − 1)² ≡ 1 and (−2^63)·(−1) ≡ −2^63 (mod 2^64).
        #expect(RingKernels.multiply(Matrix(rows: 1, columns: 1, elements: [.max]),
                                     byTransposeOf: Matrix(rows: 1, columns: 1, elements: [.max])).elements == [1])
        #expect(RingKernels.multiply(Matrix(rows: 1, columns: 1, elements: [.min]),
                                     byTransposeOf: Matrix(rows: 1, columns: 1, elements: [-1])).elements == [.min])
    }

    @Test("the product is linear modulo 2^64: W·(a + b) = W·a + W·b", arguments: [1, 9, 256])
    func productIsLinearInTheShares(width: Int) {
        var generator = SplitMix64(seed: 77 &+ UInt64(width))
        let a = randomWords(count: 4 * width, using: &generator), b = randomWords(count: 4 * width, using: &generator)
        let w = Matrix(rows: 6, columns: width, elements: randomWords(count: 6 * width, using: &generator))
        let sum = Matrix(rows: 4, columns: width, elements: zip(a, b).map { $0 &+ $1 })
        let ya = RingKernels.multiply(Matrix(rows: 4, columns: width, elements: a), byTransposeOf: w)
        let yb = RingKernels.multiply(Matrix(rows: 4, columns: width, elements: b), byTransposeOf: w)
        #expect(RingKernels.multiply(sum, byTransposeOf: w).elements == zip(ya.elements, yb.elements).map { $0 &+ $1 })
    }

    @Test("layout: result[r][o] is row r of the shares against row o of the weights")
    func resultLayoutIsRowsByOutputs() {
        // x = [[1, 0], [0, 1], [1, 1]], W = [[2, 3], [5, 7], [11, 13], [17, 19]]
        let x = Matrix<Int64>(rows: 3, columns: 2, elements: [1, 0, 0, 1, 1, 1])
        let w = Matrix<Int64>(rows: 4, columns: 2, elements: [2, 3, 5, 7, 11, 13, 17, 19])
        let y = RingKernels.multiply(x, byTransposeOf: w)
        #expect(y == Matrix(rows: 3, columns: 4, elements: [2, 5, 11, 17, 3, 7, 13, 19, 5, 12, 24, 36]))
    }

    @Test("empty shapes give empty or zero results")
    func emptyShapesGiveEmptyOrZeroResults() {
        let w = Matrix<Int64>(rows: 3, columns: 4, repeating: 7)
        #expect(RingKernels.multiply(Matrix(rows: 0, columns: 4, elements: []), byTransposeOf: w) == Matrix(rows: 0, columns: 3, elements: []))
        #expect(RingKernels.multiply(Matrix(rows: 2, columns: 4, repeating: 1), byTransposeOf: Matrix(rows: 0, columns: 4, elements: []))
                == Matrix(rows: 2, columns: 0, elements: []))
        // Zero width: every dot product is the empty sum.
        #expect(RingKernels.multiply(Matrix(rows: 2, columns: 0, elements: []), byTransposeOf: Matrix(rows: 3, columns: 0, elements: []))
                == Matrix(rows: 2, columns: 3, repeating: 0))
    }

    @Test("a width mismatch is a precondition failure")
    func widthMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = RingKernels.multiply(Matrix<Int64>(rows: 1, columns: 3, repeating: 1),
                                     byTransposeOf: Matrix<Int64>(rows: 1, columns: 4, repeating: 1))
        }
    }
}
