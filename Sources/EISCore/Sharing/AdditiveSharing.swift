/// Additive k-of-k secret sharing over the ring Z/2^64.
///
/// A secret vector `x` becomes `k` shares with `x = x₁ + … + x_k (mod 2^64)`: the first `k − 1`
/// shares are uniform random words and the last is `x` minus their sum. Any `k − 1` shares are
/// then jointly uniform and independent of `x` — exactly, not statistically — which is why the
/// product shares in the ring and not in floats (docs/ARCHITECTURE.md, "Why a ring, not floats").
public enum AdditiveSharing {
    /// Splits `secret` into `count` shares.
    ///
    /// - Parameters:
    ///   - secret: ring elements (two's-complement `Int64`).
    ///   - count: number of shares `k`.
    ///   - generator: the randomness; production passes `SecureRandom`.
    /// - Precondition: `count ≥ 2`.
    /// - Returns: `count` arrays, each as long as `secret`.
    public static func split(
        _ secret: [Int64],
        into count: Int,
        using generator: inout some RandomNumberGenerator
    ) -> [[Int64]] {
        precondition(count >= 2, "additive sharing needs at least 2 shares, got \(count)")
        var shares = [[Int64]]()
        shares.reserveCapacity(count)
        var last = secret
        for _ in 0..<(count - 1) {
            var share = [Int64](repeating: 0, count: secret.count)
            fillUniform(&share, using: &generator)
            for index in share.indices {
                last[index] = last[index] &- share[index]
            }
            shares.append(share)
        }
        shares.append(last)
        return shares
    }

    /// Fills `words` with uniform values: in one locked copy from a `SecureRandom` (the
    /// production generator), else word by word.
    public static func fillUniform(_ words: inout [Int64], using generator: inout some RandomNumberGenerator) {
        // SecureRandom's copies share one stream, so filling through a copy advances the
        // caller's generator exactly as calling it would.
        if var secure = generator as? SecureRandom {
            words.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: UInt64.self) { secure.fill($0) }
            }
            return
        }
        for index in words.indices {
            words[index] = Int64(bitPattern: generator.next())
        }
    }

    /// Sums shares (or partial results) element-wise modulo 2^64.
    ///
    /// - Precondition: at least one part, all of equal length.
    public static func combine(_ parts: [[Int64]]) -> [Int64] {
        precondition(!parts.isEmpty, "combine needs at least one part")
        var sum = parts[0]
        for part in parts.dropFirst() {
            precondition(part.count == sum.count, "parts differ in length: \(part.count) vs \(sum.count)")
            for index in sum.indices { sum[index] = sum[index] &+ part[index] }
        }
        return sum
    }
}
