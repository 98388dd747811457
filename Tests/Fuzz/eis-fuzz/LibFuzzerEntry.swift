#if EIS_LIBFUZZER
import EISFuzzTargets
import Foundation

/// libFuzzer's entry for programs that keep their own `main` (SwiftPM gives every executable
/// one), declared here because libFuzzer ships no header for it.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target this process fuzzes; set once in `main` before libFuzzer starts calling back.
nonisolated(unsafe) private var selectedTarget = FuzzTarget.shareRequest

/// With libFuzzer, `eis-fuzz` fuzzes the target named by `EIS_FUZZ_TARGET`, passing its
/// arguments (corpus folders, `-max_total_time=…`) to libFuzzer.
@main
enum FuzzMain {
    static func main() {
        let name = ProcessInfo.processInfo.environment["EIS_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("eis-fuzz: set EIS_FUZZ_TARGET to one of: \(known)\n".utf8))
            exit(2)
        }
        selectedTarget = target
        let argc = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        argc.initialize(to: CommandLine.argc)
        let argv = UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>.allocate(capacity: 1)
        argv.initialize(to: CommandLine.unsafeArgv)
        let status = runFuzzerDriver(argc, argv, fuzzerTestOneInput)
        exit(status)
    }

    /// Runs one input through the selected target.
    static func run(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
#endif

#if EIS_LIBFUZZER
/// libFuzzer's per-input hook, for its own `main` when the linker picks that one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzMain.run(data, size)
}
#endif
