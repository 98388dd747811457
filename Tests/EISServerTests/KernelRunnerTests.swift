import EISCore
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import EISTestSupport
@testable import EISServer
import Testing

/// How the share server splits products over threads: never for small work, never more parts than
/// threads, and always the same exact result.
@Suite struct KernelRunnerTests {
    @Test("small products are never split", arguments: [1, 2, 8, 64])
    func smallProductsAreNotSplit(threads: Int) {
        // The demo layer's single row, and a 1024×1024 row: at most workPerThread multiply-adds.
        #expect(KernelRunner.partition(outputs: 10, work: 256 * 10, threads: threads) == [0..<10])
        #expect(KernelRunner.partition(outputs: 1024, work: 1024 * 1024, threads: threads) == [0..<1024])
    }

    @Test("large products get one part per thread at most, each with enough work and whole cache lines",
          arguments: [(outputs: 1024, work: 32 * 1024 * 1024), (outputs: 4096, work: 4096 * 4096), (outputs: 1000, work: 8 << 20),
                      (outputs: 24, work: 64 << 20), (outputs: 4099, work: 4099 * 4096)],
          [1, 2, 3, 4, 16])
    func largeProductsAreSplitIntoLinesOfOutputs(shape: (outputs: Int, work: Int), threads: Int) {
        let parts = KernelRunner.partition(outputs: shape.outputs, work: shape.work, threads: threads)
        #expect(parts.count == min(threads, shape.work / KernelRunner.workPerThread, shape.outputs / 8))
        #expect(parts.first?.lowerBound == 0 && parts.last?.upperBound == shape.outputs)
        for (part, next) in zip(parts, parts.dropFirst()) {
            #expect(part.upperBound == next.lowerBound)
            #expect(part.upperBound % 8 == 0)
        }
        #expect(parts.allSatisfy { $0.count >= 8 })
    }

    @Test("a product split over threads equals the reference", arguments: [1, 2, 3, 4])
    func splitProductIsExact(threads: Int) {
        var generator = SplitMix64(seed: UInt64(threads))
        // 8 × 512 × 1030 ≈ 4.2 M multiply-adds: enough for 4 parts.
        let x = randomShares(rows: 8, columns: 512, seed: 100 + UInt64(threads))
        let w = Matrix(rows: 1030, columns: 512, elements: (0..<(1030 * 512)).map { _ in Int64(Int32(truncatingIfNeeded: generator.next())) })
        #expect(KernelRunner.partition(outputs: 1030, work: 8 * 512 * 1030, threads: threads).count == threads)
        for weights in [RingWeights(w), RingWeights(keepingInt64: w)] {
            #expect(KernelRunner(threads: threads).multiplyBlocking(x, by: weights) == referenceWrappingProduct(x, byTransposeOf: w))
        }
    }

    @Test("a server limited to 2 threads answers a large batch with the exact product")
    func serverWithTwoThreadsAnswersExactly() async throws {
        var generator = SplitMix64(seed: 21)
        let weight = (0..<(96 * 512)).map { _ in Float.random(in: -0.05...0.05, using: &generator) }
        let model = try withTemporaryDirectory { directory in
            let path = try writeSafetensors([TestTensor(name: "big.weight", shape: [96, 512], values: weight)],
                                            to: directory.appendingPathComponent("big.safetensors"))
            return try ServedModel(name: "big", path: path, weightFractionBits: 26)
        }
        let server = try ShareServer(configuration: ShareServerConfiguration(modelPath: "big.safetensors", port: 0, kernelThreads: 2),
                                     model: model, logger: quietLogger)
        // 64 × 512 × 96 ≈ 3.1 M multiply-adds: off the concurrency pool, in 2 parts.
        #expect(KernelRunner.partition(outputs: 96, work: 64 * 512 * 96, threads: 2).count == 2)
        let request = ShareRequest(model: "big", layer: "big", inputFractionBits: 22, shares: randomShares(rows: 64, columns: 512, seed: 5))
        let expected = referenceWrappingProduct(request.shares, byTransposeOf: try #require(model.layers["big"]).weights.matrix)
        try await Application(router: server.makeRouter(), logger: quietLogger).test(.router) { client in
            let response = try await client.executeRequest(
                uri: ShareProtocol.path, method: .post, headers: [.contentType: ShareProtocol.contentType],
                body: ByteBuffer(bytes: request.encoded()))
            #expect(response.status == .ok)
            #expect(try ShareResponse(decoding: Array(response.body.readableBytesView)).partials == expected)
        }
    }
}
