import Foundation

/// CPU time (user + system) a process has used so far, read from `/proc/<pid>/stat`, so the
/// benchmark can say what each process spends per request, not only how fast the whole runs.
enum ProcessCPU {
    /// Seconds of CPU used by `pid` (0 for this process), or nil where `/proc` cannot say.
    static func seconds(_ pid: Int32) -> Double? {
        let path = pid == 0 ? "/proc/self/stat" : "/proc/\(pid)/stat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of each labelled process.
    static func snapshot(_ processes: [(label: String, pid: Int32)]) -> [String: Double] {
        var result = [String: Double]()
        for (label, pid) in processes {
            if let seconds = seconds(pid) { result[label, default: 0] += seconds }
        }
        return result
    }
}
