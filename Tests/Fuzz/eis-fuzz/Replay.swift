#if !EIS_LIBFUZZER
import EISFuzzTargets
import Foundation

/// Without libFuzzer, `eis-fuzz` replays corpus files: `eis-fuzz TARGET FILE_OR_DIR…`.
///
/// It is how a crash found by a fuzzing run is reproduced in an ordinary debug build.
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            let known = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: eis-fuzz TARGET FILE_OR_DIR…  (targets: \(known))\n".utf8))
            exit(2)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                data.withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        print("eis-fuzz: \(target.rawValue): \(count) inputs replayed, no failure")
    }

    /// The file itself, or every regular file in the directory.
    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}
#endif
