import Foundation
import Synchronization

/// One self-overwriting status line on standard error during a long run: what is being measured,
/// how far along the run is, and about how long is left.
///
/// Only for people watching a terminal: off when standard error is not a terminal (a log file,
/// CI) and with `--json`, so captured output stays clean. Written with a carriage return and an
/// erase-line escape, and cleared by `finish()` before the results are printed.
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let total: Duration
    private let start = ContinuousClock.now
    // Guarded by the Mutex: time accounted for by finished steps, and whether anything is shown.
    private let state = Mutex((done: Duration.zero, shown: false))

    /// Creates a line for a run expected to take `total`.
    ///
    /// - Parameter enabled: false turns every call into nothing (`--json`); the line is also
    ///   off when standard error is not a terminal.
    init(total: Duration, enabled: Bool) {
        self.total = total
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    /// Whether the line is being drawn.
    var isEnabled: Bool { enabled }

    /// Shows that a step of `length` (a warm-up or a measured slice) starts now.
    func begin(_ what: String, length: Duration) {
        guard enabled else { return }
        let done = state.withLock { state -> Duration in
            defer { state.done += length; state.shown = true }
            return state.done
        }
        let fraction = total > .zero ? min(1, done / total) : 0
        let left = max(Duration.zero, total - done)
        let line = Self.text(what: what, fraction: fraction, left: left, elapsed: ContinuousClock.now - start)
        write("\r\u{1B}[K" + line)
    }

    /// Erases the line, so the results start on a clean one.
    func finish() {
        guard enabled, state.withLock({ $0.shown }) else { return }
        write("\r\u{1B}[K")
    }

    /// The line's text: `[ 42%] gateway, concurrency 16, slice 3/5 · 12 s elapsed, about 17 s left`.
    static func text(what: String, fraction: Double, left: Duration, elapsed: Duration) -> String {
        let percent = Int((fraction * 100).rounded(.down))
        let padded = String(repeating: " ", count: max(0, 3 - String(percent).count)) + String(percent)
        return "[\(padded)%] \(what) · \(elapsed.components.seconds) s elapsed, about \(left.components.seconds + (left.components.attoseconds > 0 ? 1 : 0)) s left"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
