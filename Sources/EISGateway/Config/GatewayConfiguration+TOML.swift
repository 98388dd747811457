import EISBackend
import EISCore
import Foundation
import TOMLKit

/// Reading gateway.conf (TOML).
///
/// | key | type | default |
/// |---|---|---|
/// | `[gateway] listen` | `"HOST:PORT"` | `"127.0.0.1:8080"` |
/// | `[gateway] max_body_bytes` | int | 1048576 |
/// | `[gateway] max_rows_per_request` | int | 1024 |
/// | `[gateway] request_timeout_ms` | int | 5000 |
/// | `[gateway] backend_timeout_ms` | int | 1000 |
/// | `[gateway] hedging` | bool | false |
/// | `[gateway] auth_token_env` | env var name | none |
/// | `[gateway] allowed_hosts` | array of strings | `[]` |
/// | `[gateway] allowed_origins` | array of strings | `[]` |
/// | `[gateway] idle_timeout_ms` | int | 30000 |
/// | `[gateway] body_timeout_ms` | int | 10000 |
/// | `[gateway] max_connections` | int | 256 |
/// | `[gateway] batching` | bool | true |
/// | `[gateway] max_batch` | int (rows) | 32 |
/// | `[gateway] max_delay_ms` | number | 1 |
/// | `[gateway] padding_buckets` | array of ints, increasing | `[1, 8, 32, 128]` |
/// | `[gateway] log_level` | string | `"info"` |
/// | `[gateway] log_format` | `"text"` or `"json"` | `"text"` |
/// | `[gateway] server_binary` | path | `eis-server` next to the gateway |
/// | `[health] interval_ms` | int | 2000 |
/// | `[health] timeout_ms` | int | 1000 |
/// | `[health] unhealthy_threshold` | int | 2 |
/// | `[health] healthy_threshold` | int | 1 |
/// | `[outlier] consecutive_failures` | int | 3 |
/// | `[outlier] base_ejection_ms` | int | 2000 |
/// | `[outlier] max_ejection_ms` | int | 60000 |
/// | `[[models]] name` | string | required |
/// | `[[models]] path` | path (relative to the config file) | required |
/// | `[[models]] kind` | `"safetensors"` or `"bert-encoder"` | `"safetensors"` |
/// | `[[models]] layer` | string | the file's only layer |
/// | `[[models]] steps` | array of strings | none (one layer) |
/// | `[[models]] shares` | int ≥ 2 | 2 (3 with replicated sharing) |
/// | `[[models]] sharing` | `"additive"`, `"replicated-2of3"` | `"additive"` |
/// | `[[models]] input_frac_bits` | int | 22 |
/// | `[[models]] weight_frac_bits` | int | 26 |
/// | `[[models]] arithmetic` | `"ring64"`, `"float32"`, `"float64"` | `"ring64"` |
/// | `[[models]] verify` | `"auto"`, `"freivalds"`, `"off"` | `"auto"` |
/// | `[[models]] allow_float_sharing` | bool | false |
/// | `[[models]] float_mask_range` | number > 0 | required for float arithmetics |
/// | `[[models]] cover_traffic_rps` | number ≥ 0 | 0 (off) |
/// | `[[models]] allow_shared_endpoints` | bool | false |
/// | `[[models]] v2_input_name` | string | `"input"` |
/// | `[[models]] v2_output_name` | string | `"output"` |
/// | `[[models.backends]] name` | string | `"<model>-<n>"` |
/// | `[[models.backends]] kind` | string | `"eis"` |
/// | `[[models.backends]] url` | string | required unless `launch` |
/// | `[[models.backends]] launch` | bool | false |
/// | `[[models.backends]] trust_domain` | string | required |
/// | `[[models.backends]] weight` | number > 0 | 1 |
/// | `[[models.backends]] remote_model` | string | the model's name |
/// | `[[models.backends]] remote_layer` | string | the model's layer |
/// | `[[models.backends]] weight_frac_bits` | int | the model's |
/// | `[[models.backends]] adds_bias` | bool | false |
/// | `[models.backends.options]` | table of plugin settings | `{}` |
/// | `[[models.backends]] ca_file` | path | system CAs |
/// | `[[models.backends]] client_cert`, `client_key` | paths | none |
/// | `[[models.backends]] pin_sha256` | `"sha256//BASE64"` | none |
/// | `[[models.backends]] auth_header` | string | `"Authorization"` |
/// | `[[models.backends]] auth_env` | env var name | none |
/// | `[[models.backends]] allow_plaintext` | bool | false |
///
/// Unknown keys are errors: a misspelt `trust_domian` must not silently fall back to a default.
extension GatewayConfiguration {
    /// Parses and validates a configuration file.
    ///
    /// Relative model paths are resolved against the file's directory.
    /// - Throws: `ConfigurationError` listing every problem found.
    public init(contentsOfFile path: String) throws(ConfigurationError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(problems: ["\(path): cannot read: \(error.localizedDescription)"])
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try self.init(toml: text, baseDirectory: directory)
    }

    /// Parses and validates TOML text.
    /// - Throws: `ConfigurationError` listing every problem found.
    public init(toml text: String, baseDirectory: String = ".") throws(ConfigurationError) {
        if let problem = TOMLPrecheck.problem(in: text) {
            throw ConfigurationError(problems: ["TOML syntax: \(problem)"])
        }
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigurationError(problems: ["TOML syntax: \(error.description) at \(error.source.begin)"])
        } catch {
            throw ConfigurationError(problems: ["TOML syntax: \(error)"])
        }
        var reader = TableReader(problems: [])
        self.init()
        reader.checkKeys(root, path: "")
        if let table = reader.table(root, "health", path: "") {
            reader.checkKeys(table, path: "health")
            if let ms = reader.int(table, "interval_ms", path: "health") { health.interval = .milliseconds(ms) }
            if let ms = reader.int(table, "timeout_ms", path: "health") { health.timeout = .milliseconds(ms) }
            health.unhealthyThreshold = reader.int(table, "unhealthy_threshold", path: "health") ?? health.unhealthyThreshold
            health.healthyThreshold = reader.int(table, "healthy_threshold", path: "health") ?? health.healthyThreshold
        }
        if let table = reader.table(root, "outlier", path: "") {
            reader.checkKeys(table, path: "outlier")
            outlier.consecutiveFailures = reader.int(table, "consecutive_failures", path: "outlier") ?? outlier.consecutiveFailures
            if let ms = reader.int(table, "base_ejection_ms", path: "outlier") { outlier.baseEjection = .milliseconds(ms) }
            if let ms = reader.int(table, "max_ejection_ms", path: "outlier") { outlier.maxEjection = .milliseconds(ms) }
        }
        if let gateway = reader.table(root, "gateway", path: "") {
            reader.checkKeys(gateway, path: "gateway")
            if let listen = reader.string(gateway, "listen", path: "gateway") {
                if let (host, port) = Self.parseHostPort(listen) {
                    listenHost = host
                    listenPort = port
                } else {
                    reader.problems.append("gateway.listen: expected \"HOST:PORT\", got \"\(listen)\"")
                }
            }
            maxBodyBytes = reader.int(gateway, "max_body_bytes", path: "gateway") ?? maxBodyBytes
            maxRowsPerRequest = reader.int(gateway, "max_rows_per_request", path: "gateway") ?? maxRowsPerRequest
            if let ms = reader.int(gateway, "request_timeout_ms", path: "gateway") { requestTimeout = .milliseconds(ms) }
            if let ms = reader.int(gateway, "backend_timeout_ms", path: "gateway") { backendTimeout = .milliseconds(ms) }
            hedging = reader.bool(gateway, "hedging", path: "gateway") ?? hedging
            batching.enabled = reader.bool(gateway, "batching", path: "gateway") ?? batching.enabled
            batching.maxBatch = reader.int(gateway, "max_batch", path: "gateway") ?? batching.maxBatch
            if let ms = reader.number(gateway, "max_delay_ms", path: "gateway") {
                // Fractional milliseconds are allowed, down to the microsecond.
                if (0...1000).contains(ms) { batching.maxDelay = .microseconds(Int((ms * 1000).rounded())) } else {
                    reader.problems.append("gateway.max_delay_ms: must be in 0...1000")
                }
            }
            batching.paddingBuckets = reader.ints(gateway, "padding_buckets", path: "gateway") ?? batching.paddingBuckets
            logLevel = reader.string(gateway, "log_level", path: "gateway") ?? logLevel
            logFormat = reader.string(gateway, "log_format", path: "gateway") ?? logFormat
            authTokenEnv = reader.string(gateway, "auth_token_env", path: "gateway")
            allowedHosts = reader.strings(gateway, "allowed_hosts", path: "gateway") ?? allowedHosts
            allowedOrigins = reader.strings(gateway, "allowed_origins", path: "gateway") ?? allowedOrigins
            if let ms = reader.int(gateway, "idle_timeout_ms", path: "gateway") { idleTimeout = .milliseconds(ms) }
            if let ms = reader.int(gateway, "body_timeout_ms", path: "gateway") { bodyTimeout = .milliseconds(ms) }
            maxConnections = reader.int(gateway, "max_connections", path: "gateway") ?? maxConnections
            serverBinary = reader.string(gateway, "server_binary", path: "gateway").map { Self.resolve($0, against: baseDirectory) }
        }
        for (index, model) in reader.tables(root, "models", path: "").enumerated() {
            let path = "models[\(index)]"
            reader.checkKeys(model, path: path)
            let name = reader.string(model, "name", path: path, required: true) ?? ""
            let file = reader.string(model, "path", path: path, required: true) ?? ""
            var entry = ModelConfiguration(name: name, path: file.isEmpty ? file : Self.resolve(file, against: baseDirectory))
            if let kind = reader.string(model, "kind", path: path) {
                if let known = ModelKind(rawValue: kind) { entry.kind = known } else {
                    reader.problems.append("\(path).kind: unknown model kind \"\(kind)\" (known: \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            entry.layer = reader.string(model, "layer", path: path)
            entry.steps = reader.strings(model, "steps", path: path)
            if let name = reader.string(model, "sharing", path: path) {
                if let scheme = SharingScheme(rawValue: name) { entry.sharing = scheme } else {
                    reader.problems.append("\(path).sharing: unknown sharing \"\(name)\" (known: \(SharingScheme.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            entry.shares = reader.int(model, "shares", path: path) ?? (entry.sharing == .replicated2of3 ? 3 : entry.shares)
            entry.inputFractionBits = reader.int(model, "input_frac_bits", path: path) ?? entry.inputFractionBits
            entry.weightFractionBits = reader.int(model, "weight_frac_bits", path: path) ?? entry.weightFractionBits
            if let name = reader.string(model, "arithmetic", path: path) {
                if let arithmetic = Arithmetic(name: name) { entry.arithmetic = arithmetic } else {
                    reader.problems.append("\(path).arithmetic: unknown arithmetic \"\(name)\" (known: \(Arithmetic.allCases.map(\.description).joined(separator: ", ")))")
                }
            }
            if let name = reader.string(model, "verify", path: path) {
                if let mode = VerificationMode(rawValue: name) { entry.verify = mode } else {
                    reader.problems.append("\(path).verify: unknown mode \"\(name)\" (known: \(VerificationMode.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            entry.allowFloatSharing = reader.bool(model, "allow_float_sharing", path: path) ?? false
            entry.floatMaskRange = reader.number(model, "float_mask_range", path: path)
            entry.coverTrafficRPS = reader.number(model, "cover_traffic_rps", path: path) ?? entry.coverTrafficRPS
            entry.allowSharedEndpoints = reader.bool(model, "allow_shared_endpoints", path: path) ?? entry.allowSharedEndpoints
            entry.v2InputName = reader.string(model, "v2_input_name", path: path) ?? entry.v2InputName
            entry.v2OutputName = reader.string(model, "v2_output_name", path: path) ?? entry.v2OutputName
            for (backendIndex, backend) in reader.tables(model, "backends", path: path).enumerated() {
                let backendPath = "\(path).backends[\(backendIndex)]"
                reader.checkKeys(backend, path: backendPath)
                var item = BackendConfiguration(
                    name: reader.string(backend, "name", path: backendPath) ?? "\(name)-\(backendIndex)",
                    trustDomain: reader.string(backend, "trust_domain", path: backendPath, required: true) ?? "",
                    url: reader.string(backend, "url", path: backendPath),
                    launch: reader.bool(backend, "launch", path: backendPath) ?? false)
                item.kind = reader.string(backend, "kind", path: backendPath) ?? item.kind
                item.weight = reader.number(backend, "weight", path: backendPath) ?? item.weight
                item.remoteModel = reader.string(backend, "remote_model", path: backendPath)
                item.remoteLayer = reader.string(backend, "remote_layer", path: backendPath)
                item.weightFractionBits = reader.int(backend, "weight_frac_bits", path: backendPath)
                item.addsBias = reader.bool(backend, "adds_bias", path: backendPath) ?? false
                item.caFile = reader.string(backend, "ca_file", path: backendPath).map { Self.resolve($0, against: baseDirectory) }
                item.clientCertificate = reader.string(backend, "client_cert", path: backendPath).map { Self.resolve($0, against: baseDirectory) }
                item.clientKey = reader.string(backend, "client_key", path: backendPath).map { Self.resolve($0, against: baseDirectory) }
                item.pinSHA256 = reader.string(backend, "pin_sha256", path: backendPath)
                item.authHeader = reader.string(backend, "auth_header", path: backendPath) ?? item.authHeader
                item.authEnv = reader.string(backend, "auth_env", path: backendPath)
                item.allowPlaintext = reader.bool(backend, "allow_plaintext", path: backendPath) ?? false
                if let options = reader.table(backend, "options", path: backendPath) {
                    item.options = reader.options(options, path: "\(backendPath).options")
                }
                entry.backends.append(item)
            }
            models.append(entry)
        }
        reader.problems += validationProblems()
        guard reader.problems.isEmpty else { throw ConfigurationError(problems: reader.problems) }
    }

    /// Splits `HOST:PORT` (IPv6 in brackets).
    static func parseHostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    private static func resolve(_ path: String, against directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).standardized.path
    }
}

/// Typed access to TOML tables that collects problems instead of stopping at the first.
private struct TableReader {
    var problems: [String]

    /// Refuses every key of `table` that `GatewayConfiguration.Keys` does not list for `path`.
    mutating func checkKeys(_ table: TOMLTable, path: String) {
        guard let allowed = GatewayConfiguration.Keys.allowed(at: path) else { return }
        for key in table.keys.sorted() where !allowed.contains(key) {
            problems.append("\(join(path, key)): unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    mutating func string(_ table: TOMLTable, _ key: String, path: String, required: Bool = false) -> String? {
        value(table, key, path: path, required: required, type: "a string") { $0.string }
    }

    mutating func int(_ table: TOMLTable, _ key: String, path: String) -> Int? {
        value(table, key, path: path, required: false, type: "an integer") { $0.int }
    }

    /// An array of integers.
    mutating func ints(_ table: TOMLTable, _ key: String, path: String) -> [Int]? {
        array(table, key, path: path, of: "integers") { $0.int }
    }

    /// An array of strings.
    mutating func strings(_ table: TOMLTable, _ key: String, path: String) -> [String]? {
        array(table, key, path: path, of: "strings") { $0.string }
    }

    /// An array whose every element `element` can read, else a problem naming `kind`.
    private mutating func array<T>(
        _ table: TOMLTable, _ key: String, path: String, of kind: String, _ element: (any TOMLValueConvertible) -> T?
    ) -> [T]? {
        guard let array = value(table, key, path: path, required: false, type: "an array of \(kind)", { $0.array }) else { return nil }
        let values = array.compactMap(element)
        guard values.count == array.count else {
            problems.append("\(join(path, key)): expected an array of \(kind)")
            return nil
        }
        return values
    }

    /// An integer or a float, as a Double.
    mutating func number(_ table: TOMLTable, _ key: String, path: String) -> Double? {
        value(table, key, path: path, required: false, type: "a number") { $0.double ?? $0.int.map(Double.init) }
    }

    mutating func bool(_ table: TOMLTable, _ key: String, path: String) -> Bool? {
        value(table, key, path: path, required: false, type: "true or false") { $0.bool }
    }

    /// A table of plugin options: scalar values only (the plugin checks keys and meanings).
    mutating func options(_ table: TOMLTable, path: String) -> [String: BackendOption] {
        var options = [String: BackendOption]()
        for key in table.keys.sorted() {
            guard let raw = table[key] else { continue }
            if let value = raw.bool { options[key] = .bool(value) }
            else if let value = raw.int { options[key] = .int(value) }
            else if let value = raw.double { options[key] = .double(value) }
            else if let value = raw.string { options[key] = .string(value) }
            else { problems.append("\(join(path, key)): expected a string, number or boolean") }
        }
        return options
    }

    mutating func table(_ table: TOMLTable, _ key: String, path: String) -> TOMLTable? {
        value(table, key, path: path, required: false, type: "a table") { $0.table }
    }

    /// An array of tables (`[[key]]`).
    mutating func tables(_ table: TOMLTable, _ key: String, path: String) -> [TOMLTable] {
        guard let array = value(table, key, path: path, required: false, type: "an array of tables", { $0.array }) else { return [] }
        var result = [TOMLTable]()
        for (index, element) in array.enumerated() {
            if let item = element.table { result.append(item) } else {
                problems.append("\(join(path, key))[\(index)]: expected a table")
            }
        }
        return result
    }

    private mutating func value<T>(
        _ table: TOMLTable, _ key: String, path: String, required: Bool, type: String,
        _ convert: (any TOMLValueConvertible) -> T?
    ) -> T? {
        // A key the loader reads must be one GatewayConfiguration.Keys lists (and so one that
        // `checkKeys` accepts and the README documents); the tests read every key.
        assert(GatewayConfiguration.Keys.allowed(at: path).map { $0.contains(key) } ?? true,
               "the loader reads \(join(path, key)), which GatewayConfiguration.Keys does not list")
        guard let raw = table[key] else {
            if required { problems.append("\(join(path, key)): required") }
            return nil
        }
        guard let converted = convert(raw) else {
            problems.append("\(join(path, key)): expected \(type)")
            return nil
        }
        return converted
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
