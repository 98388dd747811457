/// Conversion of Swift durations to the whole milliseconds curl's *_MS options take.
extension Duration {
    /// Milliseconds rounded up, so a timeout handed to curl never ends before the Swift deadline;
    /// clamped to 0...Int32.max so it fits any `long` and never overflows.
    var wholeMillisecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(Int32.max / 1000) else { return Int(Int32.max) }
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        return Int(seconds * 1000 + max(fraction, 0))
    }
}
