import EISCore
import Testing
import EISTestSupport

@Suite("EncodedWeights")
struct EncodedWeightsTests {
    /// A random `rows × columns` weight matrix with entries in (−1, 1).
    static func randomWeights(rows: Int, columns: Int, seed: UInt64) -> Matrix<Double> {
        var generator = SplitMix64(seed: seed)
        return Matrix(rows: rows, columns: columns,
                      elements: (0..<(rows * columns)).map { _ in Double.random(in: -1..<1, using: &generator) })
    }

    // MARK: Encoding and digest

    @Test("W_enc is round(W·2^fw), element by element, in the same shape")
    func matrixIsTheEncodedWeights() throws {
        let weights = Matrix(rows: 2, columns: 3, elements: [1.0, -0.5, 0.25, 0x1p-16, -0x1p-17, 3.0])
        let encoded = try EncodedWeights(weights, fractionBits: 16)
        #expect(encoded.fractionBits == 16)
        #expect(encoded.matrix == Matrix(rows: 2, columns: 3, elements: [65_536, -32_768, 16_384, 1, 0, 196_608]))
    }

    @Test("the digest is SHA-256 of W_enc as little-endian Int64, row-major")
    func digestIsSHA256OfTheLittleEndianEncoding() throws {
        let weights = Matrix(rows: 2, columns: 2, elements: [1.0, -1.0, 0.5, -0x1p-16])
        let encoded = try EncodedWeights(weights, fractionBits: 16)
        let bytes = littleEndianBytes(of: [65_536, -65_536, 32_768, -1])
        #expect(encoded.digest == bytes.withUnsafeBytes { SHA256Digest.hex(of: $0) })
        #expect(encoded.digest.count == 64)
    }

    @Test("the digest is stable for the same weights and fw")
    func digestIsStable() throws {
        let weights = Self.randomWeights(rows: 10, columns: 256, seed: 1)
        let a = try EncodedWeights(weights, fractionBits: 16)
        let b = try EncodedWeights(Self.randomWeights(rows: 10, columns: 256, seed: 1), fractionBits: 16)
        #expect(a.digest == b.digest)
        #expect(a.digest == (try EncodedWeights(weights, fractionBits: 16)).digest)
        // Weights that differ by less than half a step encode identically, so they share a digest.
        var nudged = weights
        nudged[3, 7] += 0x1p-19
        #expect((try EncodedWeights(nudged, fractionBits: 16)).digest == a.digest)
    }

    @Test("changing one weight by one step of the encoding changes the digest")
    func digestChangesWithOneStep() throws {
        let fw = 16
        let weights = Self.randomWeights(rows: 10, columns: 256, seed: 2)
        let base = try EncodedWeights(weights, fractionBits: fw)
        var seen: Set<String> = [base.digest]
        for (row, column, step) in [(0, 0, 1.0), (9, 255, -1.0), (4, 100, 1.0)] {
            var changed = weights
            changed[row, column] += step * powerOfTwo(-fw)
            let other = try EncodedWeights(changed, fractionBits: fw)
            #expect(other.matrix[row, column] == base.matrix[row, column] + Int64(step))
            #expect(seen.insert(other.digest).inserted, "(\(row), \(column)) did not change the digest")
        }
    }

    @Test("changing fw changes the digest", arguments: [(16, 17), (16, 24), (8, 16), (0, 1)])
    func digestChangesWithFractionBits(pair: (Int, Int)) throws {
        let weights = Self.randomWeights(rows: 4, columns: 9, seed: 3).map { $0 * 4 }
        let a = try EncodedWeights(weights, fractionBits: pair.0)
        let b = try EncodedWeights(weights, fractionBits: pair.1)
        #expect(a.digest != b.digest)
    }

    @Test("weights that do not fit in fw bits are refused")
    func outOfRangeWeightsThrow() {
        #expect(throws: FixedPointError.outOfRange(value: 0x1p47, limit: 0x1p47)) {
            try EncodedWeights(Matrix(rows: 1, columns: 2, elements: [0, 0x1p47]), fractionBits: 16)
        }
        #expect(throws: FixedPointError.notFinite) {
            try EncodedWeights(Matrix(rows: 1, columns: 2, elements: [.nan, 0]), fractionBits: 16)
        }
    }

    @Test("maxAbs and maxRowL1 bound the encoded weights")
    func boundsMatchTheEncodedMatrix() throws {
        var generator = SplitMix64(seed: 4)
        let weights = Matrix(rows: 7, columns: 33,
                             elements: randomDoubles(count: 7 * 33, minExponent: -10, maxExponent: 20, using: &generator))
        let encoded = try EncodedWeights(weights, fractionBits: 24)
        var exactMaxAbs: UInt64 = 0, exactMaxRow: Int128 = 0
        for r in 0..<7 {
            var row: Int128 = 0
            for c in 0..<33 {
                exactMaxAbs = max(exactMaxAbs, encoded.matrix[r, c].magnitude)
                row += Int128(encoded.matrix[r, c].magnitude)
            }
            exactMaxRow = max(exactMaxRow, row)
        }
        #expect(encoded.maxAbs == Double(exactMaxAbs))
        #expect(encoded.maxRowL1 >= Double(exactMaxRow))
        #expect(encoded.maxRowL1 <= Double(exactMaxRow) * (1 + 2e-9))
    }

    // MARK: productIsExact

    @Test("ordinary inputs are exact; a product whose bound crosses 2^63 is not")
    func productIsExactAtTheBoundary() throws {
        // W = [[1.0]] at fw = 16: W_enc = 2^16, so W_enc·x_enc = 2^16·x_enc.
        let single = try EncodedWeights(Matrix(rows: 1, columns: 1, elements: [1.0]), fractionBits: 16)
        #expect(single.productIsExact(for: [1 << 46]))       // 2^62
        #expect(single.productIsExact(for: [-(1 << 46)]))
        #expect(!single.productIsExact(for: [1 << 47]))      // 2^63: wraps to −2^63
        #expect(!single.productIsExact(for: [Int64.min]))
        // The case it refuses really is wrong when computed: the check is not idle.
        let wrapped = RingKernels.multiply(Matrix(rows: 1, columns: 1, elements: [1 << 47]), byTransposeOf: single.matrix)
        #expect(Int128(wrapped[0, 0]) != exactDot([1 << 47], single.matrix.row(0)))

        // A 10×256 layer of ±1.0 at fw = 16: row L1 = 2^24, so ‖x_enc‖∞ must stay below 2^39.
        var generator = SplitMix64(seed: 5)
        let signs = (0..<(10 * 256)).map { _ in Bool.random(using: &generator) ? 1.0 : -1.0 }
        let layer = try EncodedWeights(Matrix(rows: 10, columns: 256, elements: signs), fractionBits: 16)
        let typical = try FixedPointCodec(fractionBits: 16).encode(
            randomDoubles(count: 256, minExponent: -8, maxExponent: 8, using: &generator))
        #expect(layer.productIsExact(for: typical[...]))
        #expect(layer.productIsExact(for: [Int64](repeating: 1 << 38, count: 256)[...]))
        #expect(!layer.productIsExact(for: [Int64](repeating: 1 << 39, count: 256)[...]))
        // One large element among zeros: ‖x‖₁·maxAbs is the tighter bound and proves exactness.
        var sparse = [Int64](repeating: 0, count: 256)
        sparse[17] = 1 << 46
        #expect(layer.productIsExact(for: sparse[...]))
        sparse[18] = 1 << 46
        #expect(!layer.productIsExact(for: sparse[...]))
    }

    @Test("the bound is the smaller of maxRowL1·‖x‖∞ and maxAbs·‖x‖₁")
    func productBoundIsTheSmallerOfTwoBounds() throws {
        let layer = try EncodedWeights(Matrix(rows: 2, columns: 3, elements: [1, 2, 3, -4, 0, 0.5]), fractionBits: 0)
        // At fw = 0, 0.5 rounds to the even neighbour 0: row L1s are 6 and 4, maxAbs is 4.
        #expect(layer.matrix.elements == [1, 2, 3, -4, 0, 0])
        let x: [Int64] = [10, -1, 1]
        // maxRowL1·‖x‖∞ = 6·10 = 60; maxAbs·‖x‖₁ = 4·12 = 48.
        #expect(abs(layer.productBound(for: x[...]) - 48) <= 48 * 2e-9)
        let y: [Int64] = [5, 5, 5]
        // 6·5 = 30 against 4·15 = 60.
        #expect(abs(layer.productBound(for: y[...]) - 30) <= 30 * 2e-9)
        #expect(layer.productBound(for: [0, 0, 0]) == 0)
    }

    @Test("whenever productIsExact holds, the wrapped product equals the exact one")
    func exactMeansExact() throws {
        var generator = SplitMix64(seed: 6)
        var exactCount = 0, refusedCount = 0, refusedButFits = 0
        for trial in 0..<400 {
            let (outputs, width) = (Int.random(in: 1...6, using: &generator), Int.random(in: 1...40, using: &generator))
            let fw = Int.random(in: 8...30, using: &generator)
            // Spread the weight and input magnitudes so products land on both sides of 2^63.
            let weights = Matrix(rows: outputs, columns: width,
                                 elements: randomDoubles(count: outputs * width, minExponent: -6, maxExponent: 8, using: &generator))
            let encoded = try EncodedWeights(weights, fractionBits: fw)
            let xBits = Int.random(in: 10...(62 - fw - 8), using: &generator) + fw - 8
            let input = (0..<width).map { _ in
                Int64.random(in: -(Int64(1) << (xBits - Int.random(in: 0...6, using: &generator)))...(Int64(1) << xBits), using: &generator)
            }
            let product = RingKernels.multiply(Matrix(rows: 1, columns: width, elements: input), byTransposeOf: encoded.matrix)
            let exact = (0..<outputs).map { exactDot(encoded.matrix.row($0), input[...]) }
            let fits = exact.allSatisfy { $0 >= Int128(Int64.min) && $0 <= Int128(Int64.max) }
            if encoded.productIsExact(for: input[...]) {
                exactCount += 1
                #expect(product.elements.map { Int128($0) } == exact, "trial \(trial)")
                // The bound really bounds every output.
                let bound = encoded.productBound(for: input[...])
                #expect(exact.allSatisfy { Double($0.magnitude) <= bound }, "trial \(trial)")
            } else {
                refusedCount += 1
                if fits { refusedButFits += 1 }
            }
        }
        reportMeasurement("productIsExact: \(exactCount) exact, \(refusedCount) refused (\(refusedButFits) of which would have fit)")
        // The generator must cover both sides, or this test proves nothing.
        #expect(exactCount >= 50)
        #expect(refusedCount >= 50)
    }
}
