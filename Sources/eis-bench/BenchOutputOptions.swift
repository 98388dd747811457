import ArgumentParser

/// `--json`, read by both `eis-bench` and `eis-bench kernel`.
///
/// ArgumentParser gives a flag to the parent command when parent and subcommand both declare it
/// (swift-argument-parser issue 169), so `eis-bench kernel --json` would set the parent's flag and
/// never the kernel's. Declared once as an option group in both, it reaches both.
struct BenchOutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object per line (per scenario and level; with kernel, per shape, batch and thread count) instead of the table.")
    var json = false
}
