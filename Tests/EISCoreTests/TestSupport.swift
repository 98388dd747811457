import EISCore
import Foundation

// Shared helpers for the EISCore tests. Nothing here calls the code under test to compute an
// expected value: references (wrapping loops, 128-bit sums, chi-square, the float baseline) are
// written out independently.

/// `2^exponent` as a Double, built from an integer shift so it does not rely on the code under test.
func powerOfTwo(_ exponent: Int) -> Double {
    if exponent >= 0 && exponent < 64 { return Double(UInt64(1) << UInt64(exponent)) }
    if exponent < 0 && exponent > -64 { return 1 / Double(UInt64(1) << UInt64(-exponent)) }
    return Double(sign: .plus, exponent: exponent, significand: 1)
}

/// A normal sample with mean 0 and standard deviation `sigma` (Box–Muller, from 53-bit uniforms).
func gaussian(sigma: Double, using generator: inout some RandomNumberGenerator) -> Double {
    let u1 = (Double(generator.next() >> 11) + 1) * 0x1p-53   // (0, 1]: log stays finite
    let u2 = Double(generator.next() >> 11) * 0x1p-53          // [0, 1)
    return sigma * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
}

/// Random Doubles whose magnitudes spread over `2^minExponent ..< 2^maxExponent`, both signs.
func randomDoubles(
    count: Int, minExponent: Int, maxExponent: Int, using generator: inout some RandomNumberGenerator
) -> [Double] {
    (0..<count).map { _ in
        let exponent = Int.random(in: minExponent..<maxExponent, using: &generator)
        let magnitude = Double.random(in: 1..<2, using: &generator) * powerOfTwo(exponent)
        return Bool.random(using: &generator) ? magnitude : -magnitude
    }
}

/// Random full-range `Int64`s (every bit pattern equally likely).
func randomWords(count: Int, using generator: inout some RandomNumberGenerator) -> [Int64] {
    (0..<count).map { _ in Int64(bitPattern: generator.next()) }
}

/// The little-endian bytes of `words`, written with shifts rather than memory reinterpretation.
func littleEndianBytes(of words: [Int64]) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(words.count * 8)
    for word in words {
        let bits = UInt64(bitPattern: word)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
    }
    return bytes
}

/// Little-endian bytes of an unsigned integer, by shifting.
func le<T: FixedWidthInteger & UnsignedInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

/// Pearson's chi-square statistic of byte counts against the uniform distribution on 0...255
/// (255 degrees of freedom: mean 255, standard deviation ≈ 22.6).
func byteChiSquare(_ bytes: some Sequence<UInt8>) -> Double {
    var counts = [Int](repeating: 0, count: 256)
    var total = 0
    for byte in bytes {
        counts[Int(byte)] += 1
        total += 1
    }
    let expected = Double(total) / 256
    return counts.reduce(0.0) { sum, observed in
        let difference = Double(observed) - expected
        return sum + difference * difference / expected
    }
}

/// Chi-square statistic of each byte position (0 = least significant) of `words`, separately.
func bytePositionChiSquares(_ words: [Int64]) -> [Double] {
    (0..<8).map { position in
        byteChiSquare(words.lazy.map { UInt8(truncatingIfNeeded: UInt64(bitPattern: $0) >> (8 * UInt64(position))) })
    }
}

/// The exact (non-wrapping) dot product in 128-bit arithmetic; traps rather than wrap, so callers
/// keep magnitudes where 2^127 cannot be reached.
func exactDot(_ a: ArraySlice<Int64>, _ b: ArraySlice<Int64>) -> Int128 {
    precondition(a.count == b.count)
    var sum: Int128 = 0
    for (u, v) in zip(a, b) { sum += Int128(u) * Int128(v) }
    return sum
}

/// Prints measured statistics when `EIS_TEST_VERBOSE` is set, so a run can be reported on without
/// making the default output noisy.
func reportMeasurement(_ text: @autoclosure () -> String) {
    if ProcessInfo.processInfo.environment["EIS_TEST_VERBOSE"] != nil { print("[measure] \(text())") }
}

/// A two-input indistinguishability game played by threshold adversaries.
///
/// Each round a fair coin picks input 0 or 1; `observe` returns the features the adversary computes
/// from what it sees (one number per candidate rule). On the training rounds the adversary learns,
/// for every rule, the threshold midway between the two class means and which side means "1", and
/// keeps the rule that scored best. It is then scored on fresh rounds.
struct IndistinguishabilityGame {
    /// Rounds used to learn thresholds and pick the best rule.
    var trainingRounds = 1000
    /// Rounds on which the accuracy is measured.
    var scoredRounds = 2000

    /// The measured accuracy, and which rule the adversary picked.
    struct Outcome {
        var accuracy: Double
        var chosenRule: Int
    }

    /// Plays the game. `coin` decides the secret bit; `observe(bit)` must draw its own randomness.
    func play(coin: inout some RandomNumberGenerator, observe: (Bool) -> [Double]) -> Outcome {
        var training = [(bit: Bool, features: [Double])]()
        for _ in 0..<trainingRounds {
            let bit = Bool.random(using: &coin)
            training.append((bit, observe(bit)))
        }
        let ruleCount = training[0].features.count
        var thresholds = [Double](repeating: 0, count: ruleCount)
        var oneIsAbove = [Bool](repeating: true, count: ruleCount)
        var bestRule = 0, bestTrainingScore = -1
        for rule in 0..<ruleCount {
            var sums = [0.0, 0.0], counts = [0.0, 0.0]
            for round in training {
                sums[round.bit ? 1 : 0] += round.features[rule]
                counts[round.bit ? 1 : 0] += 1
            }
            let mean0 = sums[0] / max(counts[0], 1), mean1 = sums[1] / max(counts[1], 1)
            thresholds[rule] = (mean0 + mean1) / 2
            oneIsAbove[rule] = mean1 >= mean0
            let score = training.filter { guess(rule, $0.features, thresholds, oneIsAbove) == $0.bit }.count
            if score > bestTrainingScore { (bestRule, bestTrainingScore) = (rule, score) }
        }
        var correct = 0
        for _ in 0..<scoredRounds {
            let bit = Bool.random(using: &coin)
            if guess(bestRule, observe(bit), thresholds, oneIsAbove) == bit { correct += 1 }
        }
        return Outcome(accuracy: Double(correct) / Double(scoredRounds), chosenRule: bestRule)
    }

    /// Applies `rule` with its learned threshold and direction.
    private func guess(_ rule: Int, _ features: [Double], _ thresholds: [Double], _ oneIsAbove: [Bool]) -> Bool {
        (features[rule] > thresholds[rule]) == oneIsAbove[rule]
    }
}
