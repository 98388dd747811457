import ArgumentParser
import COpenBLAS
import EISCore
import EISServer
import Foundation

/// `eis-bench kernel`: the share server's ring64 kernel against float32 OpenBLAS, side by side.
struct KernelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Time the share server's ring64 product against float32 OpenBLAS (sgemv for one row, sgemm for more) on the same shapes.",
        discussion: """
            For every shape, batch and thread count it times Y = X·Wᵀ: ring64 as eis-server computes it \
            (Int32-packed weights, 64-bit shares, exact modulo 2^64, split over threads like the server), \
            and float32 cblas_sgemv (batch 1) or cblas_sgemm (larger batches) with OpenBLAS on as many threads. \
            The two take turns in blocks until each has run --min-time seconds (at least 4 runs), and the \
            fastest run of each counts: on one thread the thread's CPU time (so other processes on a shared \
            machine do not inflate it), on more the wall-clock time. It prints milliseconds, billions of multiply-adds per second, the ratio \
            ring64 ÷ float32, and what one row costs in the batch against a batch of 1. \
            Run it in release mode: swift run -c release eis-bench kernel
            """
    )

    @Option(help: "Comma-separated layer shapes, OUTxIN (outputs × inputs).")
    var shapes: String = "10x256,1024x1024,4096x4096"

    @Option(help: "Comma-separated batch sizes (rows per product).")
    var batches: String = "1,8,32,128"

    @Option(help: "Comma-separated thread counts; 0 means every core.")
    var threads: String = "1,0"

    @Option(name: .customLong("min-time"), help: "Seconds each kernel runs at least per measurement.")
    var minTime: Double = 0.5

    @OptionGroup var output: BenchOutputOptions
    /// `--json`: one JSON object per shape, batch and thread count instead of the table.
    var json: Bool { output.json }

    func run() throws {
        let shapeList = try shapes.split(separator: ",").map { try Self.shape(String($0)) }
        let batchList = batches.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let threadList = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { $0 == 0 ? cores : $0 }
        guard !shapeList.isEmpty, !batchList.isEmpty, batchList.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--batches needs positive integers")
        }
        guard !threadList.isEmpty, threadList.allSatisfy({ $0 > 0 }) else { throw ValidationError("--threads needs counts ≥ 0") }
        guard minTime >= 0 else { throw ValidationError("--min-time must not be negative") }

        let environment = ProcessInfo.processInfo.environment
        let tuning = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"].compactMap { key in environment[key].map { "\(key)=\($0)" } }
        let header = "ring64 path \(RingKernels.Path.best), \(cores) cores; OpenBLAS \(String(cString: openblas_get_config())) core \(String(cString: openblas_get_corename()))"
            + (tuning.isEmpty ? "" : "; environment " + tuning.joined(separator: " "))
        // On standard error with --json, so the output stays one JSON object per line.
        if json { FileHandle.standardError.write(Data((header + "\n").utf8)) } else { print(header) }

        var results = [KernelMeasurement]()
        for (outputs, inputs) in shapeList {
            let layer = try Self.layer(outputs: outputs, inputs: inputs)
            for threadCount in threadList {
                for batch in batchList {
                    var measured = try Self.measure(layer: layer, batch: batch, threads: threadCount, minTime: minTime)
                    if let single = results.last(where: { $0.shape == measured.shape && $0.threads == threadCount && $0.batch == 1 }) {
                        measured.rowCost = measured.ring64_ms / Double(batch) / single.ring64_ms
                    } else if batch == 1 {
                        measured.rowCost = 1
                    }
                    results.append(measured)
                    if json {
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys]
                        print(String(decoding: try encoder.encode(measured), as: UTF8.self))
                    }
                }
            }
        }
        if !json { print(Self.table(results)) }
    }

    /// One layer in both forms: ring64 weights as the server encodes them, and float32.
    struct Layer {
        let outputs: Int
        let inputs: Int
        let ring: RingWeights
        let float: [Float]
    }

    /// A random `nn.Linear` weight (uniform in ±1/√in, as PyTorch initialises one), encoded at the
    /// default fractional bits by `EncodedWeights`, as the server encodes it.
    static func layer(outputs: Int, inputs: Int) throws -> Layer {
        var generator = SystemRandomNumberGenerator()
        let bound = 1 / Float(inputs).squareRoot()
        let values = (0..<(outputs * inputs)).map { _ in Float.random(in: -bound...bound, using: &generator) }
        let encoded = try EncodedWeights(Matrix(rows: outputs, columns: inputs, elements: values.map(Double.init)),
                                         fractionBits: Defaults.weightFractionBits)
        return Layer(outputs: outputs, inputs: inputs, ring: encoded.packed, float: values)
    }

    /// Times both kernels for one batch and thread count, taking turns in blocks.
    static func measure(layer: Layer, batch: Int, threads: Int, minTime: Double) throws -> KernelMeasurement {
        var generator = SystemRandomNumberGenerator()
        // Shares are uniform in Z/2^64, like the ones a server receives.
        let shares = Matrix(rows: batch, columns: layer.inputs, elements: (0..<(batch * layer.inputs)).map { _ in Int64(bitPattern: generator.next()) })
        let x = (0..<(batch * layer.inputs)).map { _ in Float.random(in: -1...1, using: &generator) }
        var y = [Float](repeating: 0, count: batch * layer.outputs)
        let runner = KernelRunner(threads: threads)

        // The split product must equal the single-thread one: a broken split must not pass for a fast one.
        let reference = RingKernels.multiply(shares, byTransposeOf: layer.ring)
        guard runner.multiplyBlocking(shares, by: layer.ring) == reference else {
            throw BenchFailure(message: "ring64 on \(threads) threads differs from one thread at \(layer.outputs)x\(layer.inputs), batch \(batch)")
        }
        openblas_set_num_threads(Int32(threads))
        // Runs shorter than a millisecond are repeated inside one timed sample, so the clock's own
        // cost (a system call for CPU time) does not count.
        let once = time(onThisThread: false) { _ = runner.multiplyBlocking(shares, by: layer.ring) }
        let repeats = max(1, min(1000, Int(1e-3 / max(once, 1e-9))))
        var ringBest = Double.infinity, floatBest = Double.infinity
        var ringTotal = 0.0, floatTotal = 0.0, ringRuns = 0, floatRuns = 0
        let blocks = 2
        for block in 1...blocks {
            let target = minTime * Double(block) / Double(blocks)
            repeat {
                let seconds = time(onThisThread: threads == 1) {
                    for _ in 0..<repeats { _ = runner.multiplyBlocking(shares, by: layer.ring) }
                } / Double(repeats)
                ringBest = min(ringBest, seconds)
                ringTotal += seconds * Double(repeats)
                ringRuns += 1
            } while ringTotal < target || ringRuns < 2 * block
            repeat {
                let seconds = time(onThisThread: threads == 1) {
                    for _ in 0..<repeats { x.withUnsafeBufferPointer { x in
                        layer.float.withUnsafeBufferPointer { w in
                            y.withUnsafeMutableBufferPointer { y in
                                if batch == 1 {
                                    cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(layer.outputs), blasint(layer.inputs), 1,
                                                w.baseAddress, blasint(layer.inputs), x.baseAddress, 1, 0, y.baseAddress, 1)
                                } else {
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(batch), blasint(layer.outputs),
                                                blasint(layer.inputs), 1, x.baseAddress, blasint(layer.inputs), w.baseAddress,
                                                blasint(layer.inputs), 0, y.baseAddress, blasint(layer.outputs))
                                }
                            }
                        }
                    } }
                } / Double(repeats)
                floatBest = min(floatBest, seconds)
                floatTotal += seconds * Double(repeats)
                floatRuns += 1
            } while floatTotal < target || floatRuns < 2 * block
        }
        let multiplyAdds = Double(batch * layer.inputs * layer.outputs)
        return KernelMeasurement(
            shape: "\(layer.outputs)x\(layer.inputs)", batch: batch, threads: threads,
            ring64_ms: ringBest * 1e3, sgemm_ms: floatBest * 1e3, ratio: ringBest / floatBest,
            ring64_gmacs: multiplyAdds / ringBest * 1e-9, sgemm_gmacs: multiplyAdds / floatBest * 1e-9)
    }

    /// Seconds of one call: the calling thread's CPU time when `onThisThread` (one thread: both
    /// kernels run on the caller, and time the machine's other processes take from it is not
    /// counted), else wall-clock time.
    static func time(onThisThread: Bool, _ body: () -> Void) -> Double {
        let clock = onThisThread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC
        var start = timespec(), end = timespec()
        clock_gettime(clock, &start)
        body()
        clock_gettime(clock, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
    }

    /// Parses `OUTxIN`.
    static func shape(_ text: String) throws -> (outputs: Int, inputs: Int) {
        let parts = text.lowercased().trimmingCharacters(in: .whitespaces).split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (1...65_536).contains(parts[0]), (1...65_536).contains(parts[1]) else {
            throw ValidationError("--shapes needs OUTxIN with both in 1...65536, e.g. 1024x1024; got '\(text)'")
        }
        return (parts[0], parts[1])
    }

    /// The human-readable table.
    static func table(_ results: [KernelMeasurement]) -> String {
        var lines = ["shape OUTxIN  batch threads   ring64 ms  G mul-add/s   float32 ms  G mul-add/s   ring64/float32  row cost vs batch 1"]
        for m in results {
            lines.append(m.shape.padding(toLength: 13, withPad: " ", startingAt: 0) + lpad("\(m.batch)", 6) + lpad("\(m.threads)", 8)
                         + lpad(fmt(m.ring64_ms, 4), 12) + lpad(fmt(m.ring64_gmacs, 2), 13)
                         + lpad(fmt(m.sgemm_ms, 4), 13) + lpad(fmt(m.sgemm_gmacs, 2), 13) + lpad(fmt(m.ratio, 2), 17)
                         + lpad(m.rowCost.map { fmt($0, 3) } ?? "-", 21))
        }
        lines.append("float32 is cblas_sgemv at batch 1 and cblas_sgemm above. Times are the fastest run: on 1 thread the thread's CPU time, on more the wall-clock time.")
        return lines.joined(separator: "\n")
    }

    private static func fmt(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
    private static func lpad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
}

/// One shape, batch and thread count of `eis-bench kernel`; the JSON keys are the field names.
struct KernelMeasurement: Encodable {
    /// `OUTxIN`.
    let shape: String
    let batch: Int
    let threads: Int
    /// The fastest ring64 run, milliseconds.
    let ring64_ms: Double
    /// The fastest float32 run (sgemv at batch 1, sgemm above), milliseconds.
    let sgemm_ms: Double
    /// `ring64_ms ÷ sgemm_ms`.
    let ratio: Double
    /// Billions of multiply-adds per second, ring64.
    let ring64_gmacs: Double
    /// Billions of multiply-adds per second, float32.
    let sgemm_gmacs: Double
    /// A row's cost in this batch ÷ a row's cost alone (same shape and threads); nil without a batch-1 run before it.
    var rowCost: Double?

    enum CodingKeys: String, CodingKey {
        case shape, batch, threads, ring64_ms, sgemm_ms, ratio, ring64_gmacs, sgemm_gmacs, rowCost = "row_cost_vs_batch1"
    }
}
