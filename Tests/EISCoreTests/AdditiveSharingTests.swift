import EISCore
import Testing
import EISTestSupport

@Suite("AdditiveSharing")
struct AdditiveSharingTests {
    static let fx = 16

    // MARK: Exactness

    @Test("split then combine gives back the same Int64s for every share count", arguments: 2...5)
    func roundTripIsExactForEveryShareCount(shareCount: Int) throws {
        let codec = FixedPointCodec(fractionBits: Self.fx)
        var inputs = SplitMix64(seed: 0xA11CE &+ UInt64(shareCount))
        for length in [0, 1, 7, 256, 1000] {
            let x = randomDoubles(count: length, minExponent: -20, maxExponent: 40, using: &inputs)
            let secret = try codec.encode(x)
            var secure = SecureRandom()
            let shares = AdditiveSharing.split(secret, into: shareCount, using: &secure)
            #expect(shares.count == shareCount)
            #expect(shares.allSatisfy { $0.count == length })
            #expect(AdditiveSharing.combine(shares) == secret)
            // Full-range ring elements too, including the extremes.
            let words = randomWords(count: length, using: &inputs) + [Int64.min, Int64.max, 0, -1]
            #expect(AdditiveSharing.combine(AdditiveSharing.split(words, into: shareCount, using: &secure)) == words)
        }
    }

    @Test("shares recombine in any order and with a seeded generator too", arguments: 2...5)
    func combineIsOrderIndependent(shareCount: Int) {
        var generator = SplitMix64(seed: 99)
        let secret = randomWords(count: 64, using: &generator)
        let shares = AdditiveSharing.split(secret, into: shareCount, using: &generator)
        #expect(AdditiveSharing.combine(shares.reversed()) == secret)
        #expect(AdditiveSharing.combine(Array(shares.dropFirst()) + [shares[0]]) == secret)
    }

    @Test("combine is element-wise addition modulo 2^64")
    func combineWrapsModulo2To64() {
        #expect(AdditiveSharing.combine([[Int64.max, 5, -3]]) == [Int64.max, 5, -3])
        #expect(AdditiveSharing.combine([[Int64.max, Int64.min, 5], [1, -1, -7]]) == [Int64.min, Int64.max, -2])
        #expect(AdditiveSharing.combine([[Int64.min], [Int64.min], [Int64.min]]) == [Int64.min])
        #expect(AdditiveSharing.combine([[Int64](), []]) == [])
    }

    @Test("the shares come from the generator passed in")
    func sharesAreDrawnFromTheGivenGenerator() {
        let secret = [Int64](1...32)
        var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5), c = SplitMix64(seed: 6)
        let first = AdditiveSharing.split(secret, into: 3, using: &a)
        #expect(AdditiveSharing.split(secret, into: 3, using: &b) == first)
        #expect(AdditiveSharing.split(secret, into: 3, using: &c) != first)
        // No share is the secret itself or zero.
        for share in first { #expect(share != secret && share != [Int64](repeating: 0, count: 32)) }
    }

    @Test("fewer than two shares is a precondition failure")
    func oneShareTraps() async {
        await #expect(processExitsWith: .failure) {
            var generator = SystemRandomNumberGenerator()
            _ = AdditiveSharing.split([1, 2, 3], into: 1, using: &generator)
        }
    }

    /// Fraction bits (fx, fw) and the largest input exponent that keeps |W_enc·x_enc| < 2^63.
    static let fractionBitPairs = [(16, 16, 6), (Defaults.inputFractionBits, Defaults.weightFractionBits, 2)]

    @Test("shares → W_enc·share on each → combine → decode equals the exact product", arguments: 2...5)
    func linearPathIsExactForEveryShareCount(shareCount: Int) throws {
        var inputs = SplitMix64(seed: 0xBEEF &+ UInt64(shareCount))
        let (outputs, width, batch) = (10, 256, 3)
        for (fx, fw, xMaxExponent) in Self.fractionBitPairs {
            let inputCodec = FixedPointCodec(fractionBits: fx)
            let outputCodec = FixedPointCodec(fractionBits: fx + fw)

            // Case 1: values on a 2^-8 grid, so the Double reference W·x is itself exact.
            let w = (0..<(outputs * width)).map { _ in Double(Int.random(in: -256...256, using: &inputs)) / 256 }
            let x = (0..<(batch * width)).map { _ in Double(Int.random(in: -4096...4096, using: &inputs)) / 256 }
            let weights = try EncodedWeights(Matrix(rows: outputs, columns: width, elements: w), fractionBits: fw)
            let input = Matrix(rows: batch, columns: width, elements: try inputCodec.encode(x))
            let combined = sharedProduct(input, weights.matrix, shareCount: shareCount)
            var reference = Matrix<Double>(rows: batch, columns: outputs, repeating: 0)
            for r in 0..<batch {
                #expect(weights.productIsExact(for: input.row(r)))
                for o in 0..<outputs {
                    for j in 0..<width { reference[r, o] += w[o * width + j] * x[r * width + j] }
                }
            }
            #expect(combined.map(outputCodec.decode) == reference, "fx \(fx), fw \(fw)")

            // Case 2: arbitrary reals; the exact integer product is computed in 128 bits.
            let wReal = randomDoubles(count: outputs * width, minExponent: -12, maxExponent: 1, using: &inputs)
            let xReal = randomDoubles(count: batch * width, minExponent: -12, maxExponent: xMaxExponent, using: &inputs)
            let weightsReal = try EncodedWeights(Matrix(rows: outputs, columns: width, elements: wReal), fractionBits: fw)
            let inputReal = Matrix(rows: batch, columns: width, elements: try inputCodec.encode(xReal))
            let combinedReal = sharedProduct(inputReal, weightsReal.matrix, shareCount: shareCount)
            var exact = [Int128](), decodedExact = [Double](), withinEncodingError = true
            for r in 0..<batch {
                #expect(weightsReal.productIsExact(for: inputReal.row(r)))
                for o in 0..<outputs {
                    let value = exactDot(weightsReal.matrix.row(o), inputReal.row(r))
                    exact.append(value)
                    decodedExact.append(Double(value) / powerOfTwo(fx + fw))
                    // The decoded value is also the real product up to the encoding errors.
                    var real = 0.0, slack = 0.0
                    for j in 0..<width {
                        let (wj, xj) = (wReal[o * width + j], xReal[r * width + j])
                        real += wj * xj
                        slack += abs(wj) * powerOfTwo(-fx - 1) + abs(xj) * powerOfTwo(-fw - 1) + powerOfTwo(-fx - fw - 2)
                    }
                    withinEncodingError = withinEncodingError
                        && abs(outputCodec.decode(combinedReal[r, o]) - real) <= slack * 1.001 + 1e-12
                }
            }
            #expect(combinedReal.elements.map { Int128($0) } == exact, "fx \(fx), fw \(fw)")
            #expect(combinedReal.elements.map(outputCodec.decode) == decodedExact, "fx \(fx), fw \(fw)")
            #expect(withinEncodingError, "fx \(fx), fw \(fw)")
        }
    }

    /// Splits every input row into `shareCount` shares with `SecureRandom`, has each "server"
    /// multiply its share by `weights`, and recombines the partials as the gateway does.
    private func sharedProduct(_ input: Matrix<Int64>, _ weights: Matrix<Int64>, shareCount: Int) -> Matrix<Int64> {
        var secure = SecureRandom()
        let shares = AdditiveSharing.split(input.elements, into: shareCount, using: &secure)
        let partials = shares.map {
            RingKernels.multiply(Matrix(rows: input.rows, columns: input.columns, elements: $0), byTransposeOf: weights)
        }
        for share in shares { #expect(share != input.elements) }
        return Matrix(rows: input.rows, columns: weights.rows, elements: AdditiveSharing.combine(partials.map(\.elements)))
    }

    // MARK: Uniformity

    /// 32768 words = 262 144 bytes per share: 1024 expected per byte value over all positions.
    static let uniformityWords = 32_768
    /// Chi-square rejection level for 255 degrees of freedom (≈ 6.4 σ above the mean of 255).
    static let chiSquareLimit = 400.0

    @Test("bytes of SecureRandom shares are uniform (chi-square), for random inputs", arguments: 2...3)
    func randomMaskSharesAreUniform(shareCount: Int) throws {
        var inputs = SplitMix64(seed: 31)
        let secret = try FixedPointCodec(fractionBits: Self.fx).encode(
            randomDoubles(count: Self.uniformityWords, minExponent: -4, maxExponent: 4, using: &inputs))
        var secure = SecureRandom()
        let shares = AdditiveSharing.split(secret, into: shareCount, using: &secure)
        for (index, share) in shares.enumerated() {
            let statistic = byteChiSquare(littleEndianBytes(of: share))
            reportMeasurement("chi² random x, k=\(shareCount), share \(index): \(statistic)")
            #expect(statistic < Self.chiSquareLimit, "share \(index) of \(shareCount): chi² = \(statistic)")
        }
    }

    @Test("the last share (x minus the masks) is uniform for a fixed, non-random x", arguments: 2...5)
    func lastShareIsUniformForAFixedInput(shareCount: Int) throws {
        // x = 1.0 everywhere: its encoding has 48 zero bytes out of 64 per word, about as far from
        // uniform as an input gets.
        let secret = try FixedPointCodec(fractionBits: Self.fx).encode(
            [Double](repeating: 1.0, count: Self.uniformityWords))
        var secure = SecureRandom()
        let shares = AdditiveSharing.split(secret, into: shareCount, using: &secure)
        let last = try #require(shares.last)
        let statistic = byteChiSquare(littleEndianBytes(of: last))
        let perPosition = bytePositionChiSquares(last)
        reportMeasurement("chi² fixed x=1.0, k=\(shareCount), last share: \(statistic); per byte position: \(perPosition.map { Int($0) })")
        #expect(statistic < Self.chiSquareLimit, "chi² = \(statistic)")
        for (position, value) in perPosition.enumerated() {
            #expect(value < Self.chiSquareLimit, "byte position \(position): chi² = \(value)")
        }
        // The same test on the unshared input rejects loudly: it has the power to fail.
        let inputStatistic = byteChiSquare(littleEndianBytes(of: secret))
        reportMeasurement("chi² of the unshared x=1.0 encoding: \(inputStatistic)")
        #expect(inputStatistic > 100 * Self.chiSquareLimit)
    }

    @Test("the first share is uniform for a fixed input, per byte position")
    func firstShareIsUniformPerBytePosition() throws {
        let secret = [Int64](repeating: 0, count: Self.uniformityWords)
        var secure = SecureRandom()
        let first = AdditiveSharing.split(secret, into: 2, using: &secure)[0]
        let perPosition = bytePositionChiSquares(first)
        reportMeasurement("chi² fixed x=0, k=2, first share per byte position: \(perPosition.map { Int($0) })")
        for (position, value) in perPosition.enumerated() {
            #expect(value < Self.chiSquareLimit, "byte position \(position): chi² = \(value)")
        }
    }

    // MARK: One share says nothing about the input (docs/ARCHITECTURE.md, "Why a ring, not floats")

    static let dimension = 256
    static let x0 = [Double](repeating: 0, count: dimension)
    static let x1 = [Double](repeating: 1, count: dimension)

    /// The features every adversary computes from a share read as numbers: the projection onto
    /// x1 − x0 (here the mean), which is the optimal linear test against Gaussian masking.
    static func projection(_ values: [Double]) -> Double {
        var sum = 0.0
        for i in values.indices { sum += values[i] * (x1[i] - x0[i]) }
        return sum / Double(values.count)
    }

    /// Ring adversary features: the projection of the share decoded as signed fixed point, then
    /// for each of the 64 bit positions the fraction of elements with that bit set.
    static func ringFeatures(_ share: [Int64], codec: FixedPointCodec) -> [Double] {
        var bitCounts = [Int](repeating: 0, count: 64)
        for word in share {
            var bits = UInt64(bitPattern: word)
            while bits != 0 {
                bitCounts[bits.trailingZeroBitCount] += 1
                bits &= bits - 1
            }
        }
        return [projection(share.map(codec.decode))] + bitCounts.map { Double($0) / Double(share.count) }
    }

    /// Which share of a 2-sharing the curious server holds.
    enum Seen: String, CaseIterable, CustomTestStringConvertible {
        case firstShare, lastShare
        var testDescription: String { rawValue }
    }

    @Test("a server holding one ring share guesses x0 vs x1 at chance", arguments: Seen.allCases)
    func oneRingShareIsIndependentOfTheInput(seen: Seen) throws {
        let codec = FixedPointCodec(fractionBits: Self.fx)
        let encoded = [try codec.encode(Self.x0), try codec.encode(Self.x1)]
        var secure = SecureRandom()
        var coin = SplitMix64(seed: seen == .firstShare ? 2024 : 2025)
        let outcome = IndistinguishabilityGame().play(coin: &coin) { bit in
            let shares = AdditiveSharing.split(encoded[bit ? 1 : 0], into: 2, using: &secure)
            return Self.ringFeatures(seen == .firstShare ? shares[0] : shares[1], codec: codec)
        }
        reportMeasurement("ring \(seen.rawValue): accuracy \(outcome.accuracy) (rule \(outcome.chosenRule))")
        #expect(abs(outcome.accuracy - 0.5) < 0.05, "accuracy \(outcome.accuracy) with rule \(outcome.chosenRule)")
    }

    @Test("the same adversary wins against the note's float masking (σ = 1), given share₁")
    func floatMaskingBaselineLeaksTheInput() {
        var noise = SplitMix64(seed: 11)
        var coin = SplitMix64(seed: 12)
        var firstShareCoin = SplitMix64(seed: 13)
        /// The note's scheme: share₀ = r with r ~ N(0, σ²), share₁ = x − r.
        func floatShares(_ x: [Double]) -> (share0: [Double], share1: [Double]) {
            let r = x.map { _ in gaussian(sigma: 1, using: &noise) }
            return (r, x.indices.map { x[$0] - r[$0] })
        }
        let leaky = IndistinguishabilityGame().play(coin: &coin) { bit in
            [Self.projection(floatShares(bit ? Self.x1 : Self.x0).share1)]
        }
        reportMeasurement("float σ=1 share₁: accuracy \(leaky.accuracy)")
        #expect(leaky.accuracy > 0.9)
        // share₀ alone is just r: that is the share the note measured, and it does look random.
        let blind = IndistinguishabilityGame().play(coin: &firstShareCoin) { bit in
            [Self.projection(floatShares(bit ? Self.x1 : Self.x0).share0)]
        }
        reportMeasurement("float σ=1 share₀: accuracy \(blind.accuracy)")
        #expect(abs(blind.accuracy - 0.5) < 0.05)
    }
}
