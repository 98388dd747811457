/// Checks TOML text for what the bundled TOML parser cannot refuse gracefully.
///
/// toml++ (inside TOMLKit 0.6.0) aborts the process on an assertion when a table header holds
/// a key that starts with a character no key may start with, e.g. `[[:models]]` or
/// `[[\u{FFFD}odels]]`, instead of reporting a syntax error (found by fuzzing, Tests/Fuzz). A
/// gateway must not die on a bad file, least of all on a SIGHUP reload, so two things are
/// checked first, both of which valid TOML always satisfies:
/// - outside strings and comments, every character is ASCII (bare keys, numbers, booleans,
///   dates and punctuation are);
/// - every table header is `[key(.key)*]` or `[[key(.key)*]]`, each key bare or quoted.
enum TOMLPrecheck {
    /// The first problem found, with its line number, or nil when the text may be parsed.
    static func problem(in text: String) -> String? {
        var scanner = Scanner(scalars: Array(text.unicodeScalars))
        return scanner.run()
    }

    private struct Scanner {
        enum Mode { case code, comment, basic, literal, multilineBasic, multilineLiteral }

        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1
        var mode = Mode.code
        /// Open `[` and `{` inside values: a `[` at a line's start is a header only at depth 0.
        var depth = 0
        var atLineStart = true

        init(scalars: [Unicode.Scalar]) {
            self.scalars = scalars
        }

        func starts(with marker: String, at position: Int) -> Bool {
            let marks = Array(marker.unicodeScalars)
            guard position + marks.count <= scalars.count else { return false }
            return Array(scalars[position..<(position + marks.count)]) == marks
        }

        mutating func run() -> String? {
            while index < scalars.count {
                let scalar = scalars[index]
                if scalar == "\n" {
                    line += 1
                    if mode == .comment { mode = .code }
                    if mode == .code { atLineStart = true }
                    index += 1
                    continue
                }
                switch mode {
                case .code:
                    if scalar == " " || scalar == "\t" || scalar == "\r" { break }
                    if atLineStart && depth == 0 && scalar == "[" {
                        if let problem = header() { return problem }
                        continue
                    }
                    atLineStart = false
                    if scalar == "#" { mode = .comment }
                    else if starts(with: "\"\"\"", at: index) { mode = .multilineBasic; index += 2 }
                    else if starts(with: "'''", at: index) { mode = .multilineLiteral; index += 2 }
                    else if scalar == "\"" { mode = .basic }
                    else if scalar == "'" { mode = .literal }
                    else if scalar == "[" || scalar == "{" { depth += 1 }
                    else if scalar == "]" || scalar == "}" { depth = max(0, depth - 1) }
                    else if !scalar.isASCII {
                        return "line \(line): a character outside a string or comment that TOML does not allow (U+\(String(scalar.value, radix: 16, uppercase: true)))"
                    }
                case .comment:
                    break
                case .basic:
                    if scalar == "\\" { index += 1 } else if scalar == "\"" { mode = .code }
                case .literal:
                    if scalar == "'" { mode = .code }
                case .multilineBasic:
                    if scalar == "\\" { index += 1 } else if starts(with: "\"\"\"", at: index) { mode = .code; index += 2 }
                case .multilineLiteral:
                    if starts(with: "'''", at: index) { mode = .code; index += 2 }
                }
                index += 1
            }
            return nil
        }

        /// Reads `[a.b]` or `[[a."b"]]` at `index`, leaving `index` after it.
        mutating func header() -> String? {
            let bad = "line \(line): malformed table header (expected [key] or [[key]], keys bare or quoted)"
            index += 1
            let double = index < scalars.count && scalars[index] == "["
            if double { index += 1 }
            while true {
                skipBlanks()
                guard index < scalars.count else { return bad }
                let first = scalars[index]
                if Self.isBareKey(first) {
                    while index < scalars.count && Self.isBareKey(scalars[index]) { index += 1 }
                } else if first == "\"" || first == "'" {
                    index += 1
                    while index < scalars.count && scalars[index] != first && scalars[index] != "\n" {
                        if first == "\"" && scalars[index] == "\\" { index += 1 }
                        index += 1
                    }
                    guard index < scalars.count, scalars[index] == first else { return bad }
                    index += 1
                } else {
                    return bad
                }
                skipBlanks()
                guard index < scalars.count else { return bad }
                if scalars[index] == "." { index += 1; continue }
                guard scalars[index] == "]" else { return bad }
                index += 1
                if double {
                    guard index < scalars.count, scalars[index] == "]" else { return bad }
                    index += 1
                }
                atLineStart = false
                return nil
            }
        }

        mutating func skipBlanks() {
            while index < scalars.count && (scalars[index] == " " || scalars[index] == "\t") { index += 1 }
        }

        static func isBareKey(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
        }
    }
}
