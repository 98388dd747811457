/// Text a backend sent, made safe to quote in a log line or in `/healthz`.
///
/// A backend may be hostile or may simply echo what it was sent: its error text can forge log
/// lines (newlines, escape sequences) or carry the numbers of the share it received. Every
/// plugin quotes server-supplied text only through `BackendText.quote`, so the same three rules
/// hold everywhere: control and format characters become spaces, every run of number
/// characters holding five or more digits becomes `#` (a share's values, never a status, a
/// dimension or a port), and the result is cut to `limit` characters.
public enum BackendText {
    /// Longest quote kept, in characters.
    public static let limit = 200

    /// `text` cleaned and clipped; `…` marks a cut.
    public static func quote(_ text: some StringProtocol) -> String {
        var cleaned = ""
        var run = ""
        var digits = 0
        func flush() {
            cleaned += digits >= 5 ? "#" : run
            run = ""
            digits = 0
        }
        for scalar in text.unicodeScalars {
            // Digits of any script count: a share is a share in any script.
            let isDigit = scalar.properties.numericType == .decimal
            if isDigit || (scalar.isASCII && "+-.eE".unicodeScalars.contains(scalar)) {
                run.unicodeScalars.append(scalar)
                if isDigit { digits += 1 }
                continue
            }
            flush()
            let category = scalar.properties.generalCategory
            let unsafe = [.control, .format, .lineSeparator, .paragraphSeparator].contains(category)
            cleaned.unicodeScalars.append(unsafe ? " " : scalar)
        }
        flush()
        guard cleaned.count > limit else { return cleaned }
        return String(cleaned.prefix(limit)) + "…"
    }

    /// A body's bytes as UTF-8 (invalid sequences replaced), cleaned and clipped like `quote(_:)`.
    public static func quote(bytes: some Collection<UInt8>) -> String {
        quote(String(decoding: bytes, as: UTF8.self))
    }
}
