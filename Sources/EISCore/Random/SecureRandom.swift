import COpenSSL
import Synchronization

/// A cryptographically secure random number generator backed by OpenSSL's `RAND_bytes`.
///
/// Shares are only as private as their randomness (docs/ARCHITECTURE.md, invariant 2), so production code
/// draws every mask from this generator. Words come from a buffer refilled by one `RAND_bytes`
/// call, because one call costs far more than copying 8 bytes. The buffer lives in one
/// process-wide, lock-guarded box: every `SecureRandom` and every copy of one draw from the same
/// stream and so never hand out the same word twice (a value-type buffer would, and two sharings
/// with a repeated mask leak the difference of their inputs). One box for the process, not one
/// per generator: the gateway makes a generator per round, and a buffer of its own cost a 4 KiB
/// allocation, zeroing and RAND_bytes call per round, of which a 256-wide share used half
/// (docs/OVERHEAD.md).
public struct SecureRandom: RandomNumberGenerator, Sendable {
    private let source: Source

    /// The stream every generator draws from.
    private static let shared = Source()

    /// Creates a generator on the process's stream; its first refill happens on first use.
    public init() {
        source = Self.shared
    }

    /// Returns 64 uniformly random bits.
    public mutating func next() -> UInt64 {
        source.next()
    }

    /// Fills `words` with uniformly random bits under one lock, so a share of n words costs one
    /// lock rather than n.
    public mutating func fill(_ words: UnsafeMutableBufferPointer<UInt64>) {
        source.fill(words)
    }

    /// The buffered stream; its state is guarded by the Mutex.
    private final class Source: Sendable {
        private struct Buffer {
            var words = [UInt64](repeating: 0, count: 512)
            var index = 512
        }

        private let buffer = Mutex(Buffer())

        func next() -> UInt64 {
            buffer.withLock { state in
                if state.index == state.words.count { Self.refill(&state) }
                defer { state.index += 1 }
                return state.words[state.index]
            }
        }

        func fill(_ words: UnsafeMutableBufferPointer<UInt64>) {
            buffer.withLock { state in
                var filled = 0
                while filled < words.count {
                    if state.index == state.words.count { Self.refill(&state) }
                    let take = min(words.count - filled, state.words.count - state.index)
                    for offset in 0..<take { words[filled + offset] = state.words[state.index + offset] }
                    state.index += take
                    filled += take
                }
            }
        }

        private static func refill(_ state: inout Buffer) {
            state.words.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                // RAND_bytes fails only when the OS entropy source is broken; shares made
                // of weak randomness would silently void the product's guarantee, so stop.
                guard RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(raw.count)) == 1 else {
                    fatalError("RAND_bytes failed: the system CSPRNG is unavailable")
                }
            }
            state.index = 0
        }
    }
}
