import EISCore
import EISModels
import Foundation
import Testing

@Suite("Local operations")
struct LocalKernelsTests {
    private func row(_ values: [Double]) -> Matrix<Double> {
        Matrix(rows: 1, columns: values.count, elements: values)
    }

    @Test("GELU is the exact erf form, not the tanh approximation")
    func geluMatchesTheErfForm() {
        // Values from Python's math.erf: 0.5·x·(1 + erf(x/√2)).
        let expected: [(Double, Double)] = [
            (-3, -0.00404969409489031), (-1, -0.15865525393145707), (-0.5, -0.15426876936299344), (0, 0),
            (0.5, 0.34573123063700656), (1, 0.8413447460685429), (2, 1.9544997361036416), (5, 4.999998566742141),
        ]
        let y = LocalKernels.gelu(row(expected.map(\.0)))
        for (i, (x, value)) in expected.enumerated() {
            #expect(abs(y.elements[i] - value) <= 1e-15, "gelu(\(x)) = \(y.elements[i]), expected \(value)")
        }
        // The tanh approximation gives 0.8411919906082768 at 1: far outside the tolerance above.
        #expect(abs(y.elements[5] - 0.8411919906082768) > 1e-4)
    }

    @Test("softmax subtracts the row maximum, so huge logits neither overflow nor lose the answer")
    func softmaxIsStableForLargeValues() {
        let x = Matrix(rows: 2, columns: 3, elements: [1000, 1001, 1002, -1e300, 0, 1e300])
        let y = LocalKernels.softmax(x)
        let e0 = exp(-2.0), e1 = exp(-1.0), total = e0 + e1 + 1
        let expected = [e0 / total, e1 / total, 1 / total, 0, 0, 1]
        for i in 0..<6 { #expect(abs(y.elements[i] - expected[i]) <= 1e-15, "element \(i): \(y.elements[i])") }
        #expect(y.elements.allSatisfy { $0.isFinite })
    }

    @Test("layer norm uses the population variance, then gamma and beta")
    func layerNormMatchesHandComputedValues() throws {
        // mean 2.5, variance 1.25, 1/√1.25 = 0.894427190999916.
        let parameters = try LayerNormParameters(gamma: [1, 2, 1, 1], beta: [0, 0, 1, -1], epsilon: 0)
        let y = LocalKernels.layerNorm(row([1, 2, 3, 4]), parameters)
        let s = 0.894427190999916
        let expected = [-1.5 * s, 2 * -0.5 * s, 0.5 * s + 1, 1.5 * s - 1]
        for i in 0..<4 { #expect(abs(y.elements[i] - expected[i]) <= 1e-15) }
        // Epsilon keeps a constant row finite.
        let flat = LocalKernels.layerNorm(row([3, 3, 3, 3]), try LayerNormParameters(gamma: [1, 1, 1, 1], beta: [0, 0, 0, 0], epsilon: 1e-12))
        #expect(flat.elements == [0, 0, 0, 0])
    }

    @Test("relu, tanh and sigmoid match their definitions, sigmoid without overflow at the extremes")
    func elementwiseActivations() {
        let x = row([-1000, -2, 0, 0.5, 1000])
        #expect(LocalKernels.relu(x).elements == [0, 0, 0, 0.5, 1000])
        #expect(LocalKernels.tanh(x).elements == x.elements.map { Foundation.tanh($0) })
        let s = LocalKernels.sigmoid(x).elements
        #expect(s[0] == 0 && s[4] == 1 && s[2] == 0.5)
        #expect(abs(s[1] - 1 / (1 + exp(2.0))) <= 1e-16)
        #expect(abs(s[3] - 1 / (1 + exp(-0.5))) <= 1e-16)
    }

    @Test("mean pooling averages only real tokens; L2 normalisation gives unit rows and keeps zero rows finite")
    func poolingAndNormalisation() throws {
        let batch = try TokenBatch(sequences: [[1, 2], [3]], length: 3)
        let x = Matrix<Double>(rows: 6, columns: 2, elements: [1, 2, 3, 4, 100, 100, 5, 6, -7, 7, 9, 9])
        let pooled = LocalKernels.meanPool(x, batch)
        #expect(pooled.elements == [2, 3, 5, 6])
        let unit = LocalKernels.l2Normalize(Matrix<Double>(rows: 2, columns: 2, elements: [3, 4, 0, 0]))
        for (value, expected) in zip(unit.elements, [0.6, 0.8, 0, 0]) { #expect(abs(value - expected) <= 1e-15) }
    }

    @Test("embedding lookup sums word, position and token type rows, and refuses an id outside the vocabulary")
    func embeddingLookup() throws {
        let tables = try EmbeddingTables(
            word: Matrix(rows: 3, columns: 2, elements: [0, 0, 10, 20, 30, 40]),
            position: Matrix(rows: 4, columns: 2, elements: [1, 1, 2, 2, 3, 3, 4, 4]),
            tokenType: Matrix(rows: 2, columns: 2, elements: [0, 0, 0.5, 0.5]))
        let batch = try TokenBatch(sequences: [[1, 2]], typeIds: [[0, 1]], length: 3)
        let y = try LocalKernels.embed(batch, tables)
        #expect(y.elements == [11, 21, 32.5, 42.5, 3, 3])
        let bad = try TokenBatch(sequences: [[1, 3]], length: 2)
        #expect(throws: ModelRunError.self) { try LocalKernels.embed(bad, tables) }
    }
}
