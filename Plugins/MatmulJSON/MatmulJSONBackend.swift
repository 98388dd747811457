import CurlTransport
public import EISBackend
import EISCore
import Foundation

/// The `matmul-json` plugin: the technical note's proof-of-concept API,
/// `POST /matmul {"x_share":[…]}` → `{"y_partial":[…]}`, computed by the server in floats.
///
/// It is a float backend: it takes only float32/float64 sharings, which a model must allow
/// explicitly (`allow_float_sharing`). The note's API cannot describe its layer, so the plugin
/// asks `GET /info` when the server has it and otherwise probes `/matmul` with a zero row of the
/// expected width (which reveals nothing) and checks the width of the answer.
///
/// Options: `dtype` (`"float32"` default, or `"float64"`: the precision the server computes in),
/// `batch` (false: one call per row, as the note's API defines; true: the server takes a list
/// of rows), `path` (default `/matmul`), `health_path` (default `/health`).
public struct MatmulJSONBackend: Backend {
    /// The factory registered under kind `matmul-json`.
    public struct Factory: BackendFactory {
        /// Creates the factory.
        public init() {}
        public var kind: String { "matmul-json" }
        public var optionKeys: Set<String> { ["dtype", "batch", "path", "health_path"] }
        public func makeBackend(endpoint: BackendEndpoint, transport: any BackendTransport) throws(BackendError) -> any Backend {
            try MatmulJSONBackend(endpoint: endpoint, transport: transport)
        }
    }

    public let endpoint: BackendEndpoint
    public let capabilities: BackendCapabilities
    private let transport: any BackendTransport
    private let arithmetic: Arithmetic
    private let sendsBatches: Bool
    private let matmulPath: String
    private let healthPath: String

    /// Creates a backend from its endpoint's options.
    ///
    /// - Throws: `BackendError.unsupported` for an option value it cannot use.
    public init(endpoint: BackendEndpoint, transport: any BackendTransport) throws(BackendError) {
        let dtype = try endpoint.options.string("dtype") ?? "float32"
        guard let arithmetic = Arithmetic(name: dtype), arithmetic != .ring64 else {
            throw .unsupported("option dtype = \"\(dtype)\": expected \"float32\" or \"float64\"")
        }
        self.endpoint = endpoint
        self.transport = transport
        self.arithmetic = arithmetic
        self.sendsBatches = try endpoint.options.bool("batch") ?? false
        self.matmulPath = try endpoint.options.string("path") ?? "/matmul"
        self.healthPath = try endpoint.options.string("health_path") ?? "/health"
        self.capabilities = BackendCapabilities(arithmetics: [arithmetic], maxBatchRows: sendsBatches ? 1024 : 64)
    }

    public func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {
        let response = try await send(endpoint.request(.get, path: healthPath), deadline: deadline)
        guard response.status == 200 else { throw rejection(response) }
    }

    /// The note's API is one layer per endpoint: asking for more is a mismatch.
    public func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
        guard layers.count == 1 else {
            throw .mismatch("\(endpoint.name): a matmul-json endpoint is one layer; this model has \(layers.count)")
        }
        return [try await describeLayer(deadline: deadline)]
    }

    /// The one layer behind the endpoint: `/info`, or a probe with a zero row.
    private func describeLayer(deadline: ContinuousClock.Instant) async throws(BackendError) -> RemoteLayer {
        let info = try await send(endpoint.request(.get, path: "/info"), deadline: deadline)
        if info.status == 200 {
            return try layer(fromInfo: info.body)
        }
        guard info.status == 404 || info.status == 405 else { throw rejection(info) }
        // The note's API has no metadata: multiply a zero row of the expected width and see
        // whether the server accepts it and how wide its answer is.
        guard let expected = endpoint.expectedShape else {
            throw .unsupported("\(endpoint.name): the server has no /info and no expected shape was given")
        }
        let zero = Matrix<Double>(rows: 1, columns: expected.inputs, repeating: 0)
        let response = try await send(matmulRequest(zero, batched: false), deadline: deadline)
        guard response.status == 200 else {
            throw .mismatch("\(endpoint.name): rejects a \(expected.inputs)-wide input (HTTP \(response.status))")
        }
        let rows = try decodePartials(response.body)
        guard rows.count == 1 else { throw .badResponse("\(endpoint.name): answered \(rows.count) rows for one") }
        return RemoteLayer(inputs: expected.inputs, outputs: rows[0].count, arithmetics: [arithmetic], weightFractionBits: nil, digest: nil)
    }

    public func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        guard case .real(let shares) = batch.shares, batch.arithmetic == arithmetic else {
            throw .unsupported("\(endpoint.name): takes \(arithmetic) sharings only, got \(batch.arithmetic)")
        }
        let rows: [[Double]]
        if sendsBatches || shares.rows == 1 {
            rows = try await multiply(shares, batched: sendsBatches, deadline: deadline)
        } else {
            rows = try await multiplyRowByRow(shares, deadline: deadline)
        }
        guard rows.count == shares.rows, rows.allSatisfy({ $0.count == outputs }) else {
            throw .badResponse("\(endpoint.name): answered \(rows.count) rows of \(rows.first?.count ?? 0), expected \(shares.rows) of \(outputs)")
        }
        var elements = [Double]()
        elements.reserveCapacity(shares.rows * outputs)
        for row in rows { elements += row }
        return .real(Matrix(rows: shares.rows, columns: outputs, elements: elements))
    }

    /// One call for the whole matrix (a single row, or a list of rows when `batched`).
    private func multiply(_ shares: Matrix<Double>, batched: Bool, deadline: ContinuousClock.Instant) async throws(BackendError) -> [[Double]] {
        let response = try await send(matmulRequest(shares, batched: batched), deadline: deadline)
        guard response.status == 200 else { throw rejection(response) }
        return try decodePartials(response.body)
    }

    /// One concurrent call per row, for servers that take one vector at a time.
    private func multiplyRowByRow(_ shares: Matrix<Double>, deadline: ContinuousClock.Instant) async throws(BackendError) -> [[Double]] {
        let results = await withTaskGroup(of: (Int, Result<[[Double]], BackendError>).self) { group in
            for row in 0..<shares.rows {
                let single = Matrix(rows: 1, columns: shares.columns, elements: Array(shares.row(row)))
                group.addTask {
                    do throws(BackendError) {
                        return (row, .success(try await multiply(single, batched: false, deadline: deadline)))
                    } catch {
                        return (row, .failure(error))
                    }
                }
            }
            var collected = [[Double]?](repeating: nil, count: shares.rows)
            var failure: BackendError?
            for await (row, result) in group {
                switch result {
                case .success(let partial) where partial.count == 1: collected[row] = partial[0]
                case .success(let partial):
                    failure = failure ?? .badResponse("\(endpoint.name): answered \(partial.count) rows for one")
                    group.cancelAll()
                case .failure(let error):
                    failure = failure ?? error
                    group.cancelAll()
                }
            }
            if let failure { return Result<[[Double]], BackendError>.failure(failure) }
            return .success(collected.map { $0 ?? [] })
        }
        return try results.get()
    }

    /// `{"x_share": [...]}` for one row, or `{"x_share": [[...], ...]}` when batched.
    private func matmulRequest(_ shares: Matrix<Double>, batched: Bool) -> HTTPClientRequest {
        var text = "{\"x_share\":"
        text.reserveCapacity(shares.elements.count * 12 + 16)
        if batched { text += "[" }
        for row in 0..<shares.rows {
            if row > 0 { text += "," }
            text += "["
            for (index, value) in shares.row(row).enumerated() {
                if index > 0 { text += "," }
                // Shortest round-trip text; a float32 server gets the value it would round to anyway.
                text += arithmetic == .float32 ? Float(value).description : value.description
            }
            text += "]"
        }
        if batched { text += "]" }
        text += "}"
        return endpoint.request(.post, path: matmulPath, headers: [(name: "Content-Type", value: "application/json")], body: Array(text.utf8))
    }

    /// Reads `{"y_partial": [...]}` or `{"y_partial": [[...], ...]}` into rows of finite numbers.
    private func decodePartials(_ body: [UInt8]) throws(BackendError) -> [[Double]] {
        /// One row or a list of rows.
        enum Partial: Decodable {
            case rows([[Double]])
            case row([Double])
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let rows = try? container.decode([[Double]].self) { self = .rows(rows) } else { self = .row(try container.decode([Double].self)) }
            }
        }
        struct Answer: Decodable {
            var y_partial: Partial
        }
        let answer: Answer
        do { answer = try JSONDecoder().decode(Answer.self, from: Data(body)) } catch {
            throw .badResponse("\(endpoint.name): answer is not {\"y_partial\": [numbers]}")
        }
        let rows: [[Double]] = switch answer.y_partial {
        case .rows(let rows): rows
        case .row(let row): [row]
        }
        guard rows.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw .badResponse("\(endpoint.name): \"y_partial\" holds a non-finite value")
        }
        return rows
    }

    /// Reads `GET /info`: `{"inputs": n, "outputs": m, "dtype": "float32", "adds_bias": false}`.
    private func layer(fromInfo body: [UInt8]) throws(BackendError) -> RemoteLayer {
        struct Info: Decodable {
            var inputs: Int
            var outputs: Int
            var dtype: String?
            var adds_bias: Bool?
        }
        let info: Info
        do { info = try JSONDecoder().decode(Info.self, from: Data(body)) } catch {
            throw .badResponse("\(endpoint.name): /info is not {\"inputs\":…,\"outputs\":…}")
        }
        if let addsBias = info.adds_bias, addsBias != endpoint.addsBias {
            throw .mismatch("\(endpoint.name): the server says adds_bias = \(addsBias), the configuration says \(endpoint.addsBias)")
        }
        let served = info.dtype.flatMap(Arithmetic.init(name:)) ?? arithmetic
        return RemoteLayer(inputs: info.inputs, outputs: info.outputs, arithmetics: [served], weightFractionBits: nil, digest: nil)
    }

    private func send(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) async throws(BackendError) -> HTTPClientResponse {
        try await transport.send(request, deadline: deadline, backend: endpoint.name)
    }

    /// A non-200 answer as an error, with a short excerpt of the body (servers put the reason there).
    private func rejection(_ response: HTTPClientResponse) -> BackendError {
        // The server may echo the share it was sent: BackendText elides long numbers too.
        let excerpt = BackendText.quote(bytes: response.body.prefix(4096))
        return .rejected("\(endpoint.name): HTTP \(response.status)\(excerpt.isEmpty ? "" : ": \(excerpt)")")
    }
}
