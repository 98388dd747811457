import COpenSSL

/// A cryptographically secure random number generator backed by OpenSSL's `RAND_bytes`.
///
/// Shares are only as private as their randomness (DESIGN.md, invariant 2), so production code
/// draws every mask from this generator. It refills a small buffer in one `RAND_bytes` call
/// instead of calling OpenSSL per word: one call costs far more than copying 8 bytes.
/// It is a value type; give each task its own instance rather than sharing one.
public struct SecureRandom: RandomNumberGenerator, Sendable {
    private var buffer: [UInt64]
    private var next_: Int

    /// Creates a generator; the first refill happens on first use.
    public init() {
        buffer = [UInt64](repeating: 0, count: 512)
        next_ = buffer.count
    }

    /// Returns 64 uniformly random bits.
    public mutating func next() -> UInt64 {
        if next_ == buffer.count { refill() }
        defer { next_ += 1 }
        return buffer[next_]
    }

    private mutating func refill() {
        buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            // RAND_bytes only fails when the OS entropy source is broken; sending shares made of
            // weak randomness would silently void the product's guarantee, so stop instead.
            guard RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(raw.count)) == 1 else {
                fatalError("RAND_bytes failed: the system CSPRNG is unavailable")
            }
        }
        next_ = 0
    }
}
