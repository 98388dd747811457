#if EIS_LIBFUZZER
import EISFuzzTargets
import Foundation

/// The target this process fuzzes, chosen once by `EIS_FUZZ_TARGET` before the first input.
nonisolated(unsafe) private var selectedTarget = FuzzTarget.shareRequest

/// libFuzzer's set-up hook: reads `EIS_FUZZ_TARGET` (one of `FuzzTarget`'s raw values).
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let name = ProcessInfo.processInfo.environment["EIS_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("eis-fuzz: set EIS_FUZZ_TARGET to one of: \(known)\n".utf8))
        exit(2)
    }
    selectedTarget = target
    return 0
}

/// libFuzzer's per-input hook.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#endif
