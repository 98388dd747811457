import EISCore
import EISServer
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// How a scripted backend answers `POST /v1/share`. Its health and model metadata are honest
/// (the metadata is the real server's, from `ServedModel`), so it passes verification and only
/// then misbehaves.
enum ShareBehaviour: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Computes the right partials, as `eis-server` does.
    case honest
    /// A well-formed answer with one row more than asked.
    case extraRow
    /// A well-formed answer with one column fewer than the layer has.
    case missingColumn
    /// The right size, but the arithmetic byte says float64.
    case wrongArithmetic
    /// A complete HTTP message whose share answer lacks its last element.
    case truncatedBody
    /// Bytes that are not a share answer at all.
    case garbage
    /// A 1 MiB body announced by Content-Length.
    case oversized
    /// A 1 MiB body in chunks, with no length announced.
    case oversizedChunked
    /// The right answer, one byte every 40 ms by the clock (about 4 s in all).
    case trickle
    /// Accepts the request and answers nothing for 5 s.
    case hang
    /// A 500 with an HTML page, as a misconfigured proxy answers.
    case htmlError
    /// A JSON error whose code and message carry newlines, escape sequences and 2 000 characters (under the test client's 4 KiB limit).
    case hostileErrorText
    /// Announces the right length, sends half, and closes the connection.
    case closesMidBody
    /// A JSON error that echoes the first values of the share it was sent, as a careless server does.
    case echoesShare

    var description: String { rawValue }

    /// Every way of misbehaving.
    static var misbehaviours: [ShareBehaviour] { allCases.filter { $0 != .honest } }

    /// The `outcome` label the gateway counts for this misbehaviour, and the failover reason.
    var expectedOutcome: String {
        switch self {
        case .honest: "ok"
        case .extraRow, .missingColumn, .wrongArithmetic, .truncatedBody, .garbage, .oversized, .oversizedChunked: "bad_response"
        case .trickle, .hang: "timeout"
        case .htmlError, .hostileErrorText, .echoesShare: "rejected"
        case .closesMidBody: "unreachable"
        }
    }
}

/// How a lying backend makes a well-formed share answer wrong (issue 16): each is a partial of the
/// right shape and arithmetic, from a backend whose metadata and digest are right.
enum PartialLie: String, Sendable, CaseIterable, CustomStringConvertible {
    /// One random bit of one random element flipped.
    case flipsOneBit
    /// Every element one more than right.
    case offByOne
    /// The product with other weights (the layer's rows rotated by one), as a stale model gives.
    case otherWeights
    /// The same constant for every element.
    case constant
    /// 2^63 added to two elements: invisible to any single odd check vector.
    case addsTwoToThe63InTwoElements

    var description: String { rawValue }

    /// Makes `partials`, the right answer to `shares` for `weights`, wrong.
    func apply(to partials: inout Matrix<Int64>, shares: Matrix<Int64>, weights: Matrix<Int64>) {
        switch self {
        case .flipsOneBit:
            partials.elements[Int.random(in: partials.elements.indices)] ^= Int64(bitPattern: 1 << UInt64.random(in: 0..<64))
        case .offByOne:
            for index in partials.elements.indices { partials.elements[index] &+= 1 }
        case .otherWeights:
            let rotated = Matrix(rows: weights.rows, columns: weights.columns,
                                 elements: Array(weights.elements[weights.columns...] + weights.elements[..<weights.columns]))
            partials = RingKernels.multiply(shares, byTransposeOf: rotated)
        case .constant:
            partials = Matrix(rows: partials.rows, columns: partials.columns, repeating: 7)
        case .addsTwoToThe63InTwoElements:
            partials.elements[0] &+= Int64.min
            partials.elements[partials.elements.count - 1] &+= Int64.min
        }
    }
}

/// An in-process backend that speaks the native protocol's routes and answers shares as scripted.
///
/// It records what reached it: how many share requests, and the values of one header field
/// (to show an API key arrives on the wire).
final class ScriptedBackend: Sendable {
    /// The share answer's behaviour.
    let behaviour: ShareBehaviour
    /// The protocol version its metadata claims.
    let protocolVersion: Int
    /// How its otherwise right partials are made wrong; nil: they are not.
    let lie: PartialLie?
    /// The layers whose partials `lie` makes wrong; nil: every layer.
    let lyingLayers: Set<String>?
    private let lies = Atomic<Int>(0)
    /// A header every request must carry (name, value), else 401; nil: none needed.
    let requiredHeader: (name: HTTPField.Name, value: String)?
    private let model: ServedModel
    private let shareCalls = Atomic<Int>(0)
    private let released = Atomic<Bool>(false)
    // Guarded by the Mutex: the `requiredHeader` values seen, one per request.
    private let headerValues = Mutex<[String?]>([])
    // Guarded by the Mutex: the share values `echoesShare` put in its error answers.
    private let echoedValues = Mutex<[String]>([])

    /// Loads the demo model as the real server does.
    init(behaviour: ShareBehaviour, lie: PartialLie? = nil, lyingOn lyingLayers: Set<String>? = nil, protocolVersion: Int = Int(ShareProtocol.version),
         requiredHeader: (name: HTTPField.Name, value: String)? = nil,
         modelPath: String = Fixtures.demoModelPath, modelName: String = "demo") throws {
        self.behaviour = behaviour
        self.lie = lie
        self.lyingLayers = lyingLayers
        self.protocolVersion = protocolVersion
        self.requiredHeader = requiredHeader
        self.model = try ServedModel(name: modelName, path: modelPath, weightFractionBits: Defaults.weightFractionBits)
    }

    /// Share requests received so far.
    var shareRequests: Int { shareCalls.load(ordering: .relaxed) }

    /// Wrong partials sent so far.
    var liesTold: Int { lies.load(ordering: .relaxed) }

    /// The `requiredHeader` values received so far (nil where the field was missing).
    var receivedHeaderValues: [String?] { headerValues.withLock { $0 } }

    /// The share values echoed in error answers so far (decimal text).
    var echoed: [String] { echoedValues.withLock { $0 } }

    /// Ends hanging and trickling answers early, so the server can shut down at once.
    func release() { released.store(true, ordering: .relaxed) }

    /// The routes: `/healthz`, `/v1/models/{name}` and `/v1/share`.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { request, _ in
            try self.checkHeader(request)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("/v1/models/:name") { request, context in
            try self.checkHeader(request)
            guard try context.parameters.require("name") == self.model.name else { throw HTTPError(.notFound) }
            var description = self.model.description
            description.protocolVersion = self.protocolVersion
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(description))))
        }
        router.post(RouterPath(stringLiteral: ShareProtocol.path)) { request, _ in
            self.shareCalls.add(1, ordering: .relaxed)
            try self.checkHeader(request)
            let body = try await request.body.collect(upTo: 16 << 20)
            let decoded = body.withUnsafeReadableBytes { raw in
                Result { () throws(ProtocolError) in try ShareRequest(decoding: raw) }
            }
            guard case .success(let shares) = decoded, let layer = self.model.layers[shares.layer] else {
                throw HTTPError(.badRequest)
            }
            var partials = RingKernels.multiply(shares.shares, byTransposeOf: layer.weights.matrix)
            if let lie = self.lie, partials.rows > 0, self.lyingLayers?.contains(shares.layer) ?? true {
                lie.apply(to: &partials, shares: shares.shares, weights: layer.weights.matrix)
                self.lies.add(1, ordering: .relaxed)
            }
            return await self.answer(ShareResponse(partials: partials), rows: shares.shares.rows, shares: shares.shares.elements)
        }
        return router
    }

    /// Records the header and refuses a request without the required value.
    private func checkHeader(_ request: Request) throws {
        guard let required = requiredHeader else { return }
        let presented = request.headers[required.name]
        headerValues.withLock { $0.append(presented) }
        guard presented == required.value else { throw HTTPError(.unauthorized) }
    }

    /// The scripted answer to a share request whose right answer is `valid`.
    private func answer(_ valid: ShareResponse, rows: Int, shares: [Int64]) async -> Response {
        let bytes = valid.encoded()
        let outputs = valid.partials.columns
        let share = { (body: [UInt8]) in
            Response(status: .ok, headers: [.contentType: ShareProtocol.contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        switch behaviour {
        case .honest:
            return share(bytes)
        case .extraRow:
            return share(ShareResponse(partials: Matrix(rows: rows + 1, columns: outputs, elements: [Int64](repeating: 0, count: (rows + 1) * outputs))).encoded())
        case .missingColumn:
            return share(ShareResponse(partials: Matrix(rows: rows, columns: outputs - 1, elements: [Int64](repeating: 0, count: rows * (outputs - 1)))).encoded())
        case .wrongArithmetic:
            var wrong = bytes
            wrong[6] = Arithmetic.float64.rawValue  // offset 6: the arithmetic byte (docs/PROTOCOL.md)
            return share(wrong)
        case .truncatedBody:
            return share(Array(bytes.dropLast(8)))
        case .garbage:
            return share((0..<bytes.count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) })
        case .oversized:
            return share(bytes + [UInt8](repeating: 0, count: 1 << 20))
        case .oversizedChunked:
            return Response(status: .ok, headers: [.contentType: ShareProtocol.contentType], body: ResponseBody { writer in
                for _ in 0..<256 { try await writer.write(ByteBuffer(repeating: 0, count: 4096)) }
                try await writer.finish(nil)
            })
        case .trickle:
            // Paced by the clock, not by the sum of the sleeps: on a loaded test machine each
            // sleep can end late, and 100 late sleeps would stretch "about 4 s" past the
            // generous backend timeouts of the tests that need this answer to arrive. Bytes
            // that fell due while the task waited go out together.
            let start = ContinuousClock.now
            let interval = Duration.milliseconds(40)
            return Response(status: .ok, headers: [.contentType: ShareProtocol.contentType], body: ResponseBody(contentLength: bytes.count) { writer in
                var sent = 0
                while sent < bytes.count {
                    let due = self.released.load(ordering: .relaxed)
                        ? bytes.count
                        : min(bytes.count, max(sent + 1, Int((ContinuousClock.now - start) / interval) + 1))
                    try await writer.write(ByteBuffer(bytes: bytes[sent..<due]))
                    sent = due
                    if sent < bytes.count { try await Task.sleep(until: start + interval * sent, clock: .continuous) }
                }
                try await writer.finish(nil)
            })
        case .hang:
            // Bounded, and cut short by `release()`, so a stopping server never waits long for it.
            let end = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < end && !released.load(ordering: .relaxed) {
                try? await Task.sleep(for: .milliseconds(20))
            }
            return share(bytes)
        case .htmlError:
            return Response(status: .internalServerError, headers: [.contentType: "text/html"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: "<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1></body></html>")))
        case .hostileErrorText:
            let body = ErrorBody(code: "forged\nERROR gateway: \u{1B}[31mfake line", message: String(repeating: "A", count: 2_000) + "\r\nINJECTED")
            return Response(status: .badRequest, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(body)) ?? Data())))
        case .echoesShare:
            let values = shares.prefix(16).map(String.init)
            echoedValues.withLock { $0 += values }
            let body = ErrorBody(code: "bad_share", message: "cannot multiply the share [\(values.joined(separator: ", "))]")
            return Response(status: .badRequest, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: (try? JSONEncoder().encode(body)) ?? Data())))
        case .closesMidBody:
            return Response(status: .ok, headers: [.contentType: ShareProtocol.contentType], body: ResponseBody(contentLength: bytes.count) { writer in
                try await writer.write(ByteBuffer(bytes: bytes.prefix(bytes.count / 2)))
                // Failing the body makes the server close the connection with the answer half sent.
                throw CancellationError()
            })
        }
    }
}

/// Runs `body` with one scripted backend per entry on 127.0.0.1 (plain HTTP), all stopped after,
/// also when `body` throws.
func withScriptedBackends<T: Sendable>(
    _ backends: [ScriptedBackend], _ body: @Sendable @escaping ([String]) async throws -> T
) async throws -> T {
    try await startScripted(backends[...], urls: [], body)
}

/// Starts the first backend of `remaining`, then the rest inside it, then runs `body`.
private func startScripted<T: Sendable>(
    _ remaining: ArraySlice<ScriptedBackend>, urls: [String], _ body: @Sendable @escaping ([String]) async throws -> T
) async throws -> T {
    guard let backend = remaining.first else { return try await body(urls) }
    return try await withRunningApplication({ onListening in
        Application(router: backend.makeRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: Fixtures.logger)
    }) { port in
        defer { backend.release() }
        return try await startScripted(remaining.dropFirst(), urls: urls + ["http://127.0.0.1:\(port)"], body)
    }
}
