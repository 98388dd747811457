import EISBackend
import EISCore
@testable import EISGateway
import Foundation
import Testing
import eis_gateway

/// Reading and validating gateway.conf.
@Suite struct GatewayConfigurationTests {
    /// The problems a TOML text is refused with (empty when it is accepted).
    static func problems(_ toml: String) -> [String] {
        do throws(ConfigurationError) {
            _ = try GatewayConfiguration(toml: toml, baseDirectory: "/etc/eis")
            return []
        } catch {
            return error.problems
        }
    }

    /// A valid configuration with `extra…` lines added to each table.
    static func validTOML(gateway: String = "", model: String = "", backendA: String = "", backendB: String = "") -> String {
        """
        [gateway]
        listen = "127.0.0.1:8080"
        \(gateway)

        [[models]]
        name = "demo"
        path = "models/demo.safetensors"
        \(model)

          [[models.backends]]
          name = "a"
          url = "https://a.example:9101"
          trust_domain = "operator-a"
          \(backendA)

          [[models.backends]]
          name = "b"
          url = "https://b.example:9101"
          trust_domain = "operator-b"
          \(backendB)
        """
    }

    @Test(arguments: ["failover", "kserve-v2", "mixed", "matmul-json", "tls", "minilm"])
    func everyExampleConfigurationIsValidAndUsesRegisteredKinds(name: String) throws {
        let path = Fixtures.packageRoot.appendingPathComponent("examples/\(name).conf").path
        let configuration = try GatewayConfiguration(contentsOfFile: path)
        for model in configuration.models {
            #expect(FileManager.default.fileExists(atPath: model.path))
            for backend in model.backends { #expect(BackendRegistry.standard.kinds.contains(backend.kind), "\(backend.kind)") }
        }
    }

    @Test func theShippedConfigurationIsValid() throws {
        let configuration = try GatewayConfiguration(contentsOfFile: Fixtures.shippedConfigPath)
        #expect(configuration.listenHost == "127.0.0.1")
        #expect(configuration.listenPort == 8080)
        #expect(configuration.maxBodyBytes == 1_048_576)
        #expect(configuration.maxRowsPerRequest == 1024)
        #expect(configuration.requestTimeout == .milliseconds(5000))
        #expect(configuration.logLevel == "info")
        #expect(configuration.serverBinary == nil)
        #expect(configuration.models.count == 1)
        let model = try #require(configuration.models.first)
        #expect(model.name == "demo")
        #expect(model.path == Fixtures.packageRoot.appendingPathComponent("models/demo.safetensors").standardized.path)
        #expect(FileManager.default.fileExists(atPath: model.path))
        #expect(model.layer == "fc")
        #expect(model.shares == 2)
        #expect(model.inputFractionBits == 22)
        #expect(model.weightFractionBits == 26)
        #expect(model.backends.map(\.name) == ["local-a", "local-b"])
        #expect(model.backends.map(\.trustDomain) == ["local-a", "local-b"])
        #expect(model.backends.allSatisfy { $0.launch && $0.url == nil && $0.kind == "eis" })
        #expect(configuration.batching.enabled, "the demo batches and pads")
        #expect(configuration.batching.paddingBuckets == [1, 8, 32, 128])
        #expect(configuration.validationProblems().isEmpty)
    }

    @Test func omittedKeysTakeTheirDocumentedDefaults() throws {
        let configuration = try GatewayConfiguration(toml: """
            [[models]]
            name = "m"
            path = "/srv/m.safetensors"
              [[models.backends]]
              url = "https://a:1"
              trust_domain = "a"
              [[models.backends]]
              url = "https://b:2"
              trust_domain = "b"
            """)
        #expect(configuration.listenHost == "127.0.0.1")
        #expect(configuration.listenPort == 8080)
        #expect(configuration.maxBodyBytes == 1 << 20)
        #expect(configuration.maxRowsPerRequest == 1024)
        #expect(configuration.requestTimeout == .seconds(5))
        #expect(configuration.logLevel == "info")
        #expect(configuration.serverBinary == nil)
        let model = try #require(configuration.models.first)
        #expect(model.path == "/srv/m.safetensors")
        #expect(model.layer == nil)
        #expect(model.shares == 2)
        #expect(model.inputFractionBits == 22)
        #expect(model.weightFractionBits == 26)
        #expect(model.backends.map(\.name) == ["m-0", "m-1"])
        #expect(model.backends.map(\.kind) == ["eis", "eis"])
        #expect(model.backends.map(\.launch) == [false, false])
        #expect(model.backends.map(\.url) == ["https://a:1", "https://b:2"])
        #expect(model.backends.allSatisfy { $0.remoteModel == nil && $0.remoteLayer == nil })
        #expect(configuration.batching.enabled)
        #expect(configuration.batching.maxBatch == 32)
        #expect(configuration.batching.maxDelay == .milliseconds(1))
        #expect(configuration.batching.paddingBuckets == [1, 8, 32, 128])
        #expect(model.coverTrafficRPS == 0)
        #expect(model.v2InputName == "input")
        #expect(model.v2OutputName == "output")
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try GatewayConfiguration(toml: """
            [gateway]
            listen = "[::1]:9000"
            max_body_bytes = 4096
            max_rows_per_request = 7
            request_timeout_ms = 250
            log_level = "debug"
            server_binary = "/opt/eis/eis-server"
            batching = false
            max_batch = 16
            max_delay_ms = 2.5
            padding_buckets = [4, 16]

            [[models]]
            name = "m"
            path = "/srv/m.safetensors"
            layer = "fc"
            cover_traffic_rps = 12.5
            v2_input_name = "INPUT__0"
            v2_output_name = "OUTPUT__0"
            shares = 3
            input_frac_bits = 20
            weight_frac_bits = 24
              [[models.backends]]
              name = "one"
              kind = "eis"
              url = "https://a:1"
              trust_domain = "a"
              remote_model = "remote"
              remote_layer = "dense"
              [[models.backends]]
              url = "https://b:1"
              trust_domain = "b"
              [[models.backends]]
              launch = true
              trust_domain = "c"
            """)
        #expect(configuration.listenHost == "::1")
        #expect(configuration.listenPort == 9000)
        #expect(configuration.maxBodyBytes == 4096)
        #expect(configuration.maxRowsPerRequest == 7)
        #expect(configuration.requestTimeout == .milliseconds(250))
        #expect(configuration.logLevel == "debug")
        #expect(configuration.serverBinary == "/opt/eis/eis-server")
        let model = try #require(configuration.models.first)
        #expect(model.layer == "fc")
        #expect(model.shares == 3)
        #expect(model.inputFractionBits == 20)
        #expect(model.weightFractionBits == 24)
        #expect(model.backends[0].name == "one")
        #expect(model.backends[0].remoteModel == "remote")
        #expect(model.backends[0].remoteLayer == "dense")
        #expect(model.backends[2].launch)
        #expect(model.backends[2].url == nil)
        #expect(!configuration.batching.enabled)
        #expect(configuration.batching.maxBatch == 16)
        #expect(configuration.batching.maxDelay == .microseconds(2500))
        #expect(configuration.batching.paddingBuckets == [4, 16])
        #expect(model.coverTrafficRPS == 12.5)
        #expect(model.v2InputName == "INPUT__0")
        #expect(model.v2OutputName == "OUTPUT__0")
    }

    @Test func everyProblemIsListedWithItsKeyPathInOneError() {
        let problems = Self.problems("""
            [gateway]
            listen = "localhost"
            max_body_bytes = "big"
            max_rows_per_request = 0
            request_timeout_ms = -5
            log_level = "loud"
            verbose = true

            [[models]]
            name = "a"
            path = "a.safetensors"
            shares = 1
            input_frac_bits = 40
            weight_frac_bits = 30
              [[models.backends]]
              name = "x"
              url = "https://h:1"
              trust_domain = "d1"
              [[models.backends]]
              name = "x"
              url = "https://h:2"
              launch = true
              trust_domain = "d2"

            [[models]]
            name = "a"
            path = "b.safetensors"
            shares = 3
              [[models.backends]]
              trust_domian = "typo"
              url = "ftp://h:3"
              [[models.backends]]
              trust_domain = "d3"
              launch = "yes"
              [[models.backends]]
              trust_domain = "d3"
              launch = true
              kind = "kserve-v2"

            [[models]]
            shares = 2
            """)
        let expected: [(path: String, says: String)] = [
            ("gateway.verbose", "unknown key"),
            ("gateway.listen", "HOST:PORT"),
            ("gateway.max_body_bytes", "expected an integer"),
            ("gateway.max_rows_per_request", "at least 1"),
            ("gateway.request_timeout_ms", "positive"),
            ("gateway.log_level", "loud"),
            ("models[0].shares", "at least 2"),
            ("models[0]:", "= 70"),
            ("models[0].backends[1].name", "used twice"),
            ("models[0].backends[1]:", "exclude each other"),
            ("models[1].name", "used twice"),
            ("models[1].backends[0].trust_domian", "unknown key"),
            ("models[1].backends[0].trust_domain", "required"),
            ("models[1].backends[0].url", "http://"),
            ("models[1].backends[1].launch", "true or false"),
            ("models[1].backends[1]:", "needs a url"),
            ("models[1].backends[2].launch", "only kind \"eis\""),
            ("models[1].backends", "distinct trust domains"),
            ("models[2].name", "required"),
            ("models[2].path", "required"),
            ("models[2].backends", "distinct trust domains"),
        ]
        for (path, says) in expected {
            #expect(problems.contains { $0.hasPrefix(path) && $0.contains(says) }, "no problem '\(path) … \(says)' in \(problems)")
        }
        #expect(problems.count >= expected.count)
    }

    @Test func theErrorDescriptionListsEveryProblem() {
        let error = ConfigurationError(problems: ["a: one", "b: two"])
        #expect(error.description.contains("2 problems"))
        #expect(error.description.contains("a: one"))
        #expect(error.description.contains("b: two"))
        #expect(ConfigurationError(problems: ["a: one"]).description == "invalid configuration: a: one")
    }

    /// One mistake in an otherwise valid file, and the key path it must be reported under.
    struct Mistake: Sendable, CustomTestStringConvertible {
        var name: String
        var toml: String
        var path: String
        var says: String
        var testDescription: String { name }

        static let all: [Mistake] = [
            Mistake(name: "one share", toml: validTOML(model: "shares = 1"), path: "models[0].shares", says: "at least 2"),
            Mistake(name: "too few trust domains",
                    toml: validTOML(backendB: "").replacingOccurrences(of: "operator-b", with: "operator-a"),
                    path: "models[0].backends", says: "2 shares need at least 2 backends in distinct trust domains; found 2 backends in 1 trust domains"),
            Mistake(name: "too few backends", toml: validTOML(model: "shares = 3"), path: "models[0].backends", says: "found 2 backends"),
            Mistake(name: "duplicate backend names", toml: validTOML().replacingOccurrences(of: #"name = "b""#, with: #"name = "a""#),
                    path: "models[0].backends[1].name", says: "used twice"),
            Mistake(name: "url and launch", toml: validTOML(backendA: "launch = true"), path: "models[0].backends[0]", says: "exclude each other"),
            Mistake(name: "missing url", toml: validTOML().replacingOccurrences(of: #"url = "https://a.example:9101""#, with: ""),
                    path: "models[0].backends[0]", says: "needs a url"),
            Mistake(name: "bad listen", toml: validTOML().replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1"),
                    path: "gateway.listen", says: "HOST:PORT"),
            Mistake(name: "port out of range", toml: validTOML().replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:65536"),
                    path: "gateway.listen", says: "HOST:PORT"),
            Mistake(name: "misspelt trust_domain", toml: validTOML(backendB: #"trust_domian = "x""#),
                    path: "models[0].backends[1].trust_domian", says: "unknown key"),
            Mistake(name: "unknown top-level table", toml: validTOML() + "\n[gatway]\nlisten = \"x\"\n", path: "gatway", says: "unknown key"),
            Mistake(name: "string for an integer", toml: validTOML(model: #"shares = "2""#), path: "models[0].shares", says: "expected an integer"),
            Mistake(name: "float for an integer", toml: validTOML(gateway: "request_timeout_ms = 2.5"),
                    path: "gateway.request_timeout_ms", says: "expected an integer"),
            Mistake(name: "integer for a string", toml: validTOML(gateway: "log_level = 3"), path: "gateway.log_level", says: "expected a string"),
            Mistake(name: "string for a bool", toml: validTOML(backendA: #"launch = "false""#), path: "models[0].backends[0].launch", says: "true or false"),
            Mistake(name: "models as a single table",
                    toml: "[models]\nname = \"demo\"\npath = \"x\"\n", path: "models", says: "array of tables"),
            Mistake(name: "no models", toml: "[gateway]\nlisten = \"127.0.0.1:1\"\n", path: "models", says: "at least one"),
            Mistake(name: "fx + fw over 62", toml: validTOML(model: "input_frac_bits = 32\nweight_frac_bits = 31"),
                    path: "models[0]", says: "= 63 leaves no output headroom"),
            Mistake(name: "fraction bits out of range", toml: validTOML(model: "weight_frac_bits = 41"),
                    path: "models[0].weight_frac_bits", says: "0...40"),
            Mistake(name: "body limit zero", toml: validTOML(gateway: "max_body_bytes = 0"), path: "gateway.max_body_bytes", says: "must be in"),
            Mistake(name: "float sharing not allowed", toml: validTOML(model: "arithmetic = \"float32\"\nfloat_mask_range = 100"),
                    path: "models[0].arithmetic", says: "set allow_float_sharing = true"),
            Mistake(name: "float sharing without a mask range", toml: validTOML(model: "arithmetic = \"float64\"\nallow_float_sharing = true"),
                    path: "models[0].float_mask_range", says: "required for float64"),
            Mistake(name: "negative mask range",
                    toml: validTOML(model: "arithmetic = \"float32\"\nallow_float_sharing = true\nfloat_mask_range = -1"),
                    path: "models[0].float_mask_range", says: "positive"),
            Mistake(name: "unknown arithmetic", toml: validTOML(model: "arithmetic = \"float16\""),
                    path: "models[0].arithmetic", says: "unknown arithmetic \"float16\""),
            Mistake(name: "mask range on a ring model", toml: validTOML(model: "float_mask_range = 5"),
                    path: "models[0]", says: "apply only to float arithmetics"),
            Mistake(name: "adds_bias on a ring model", toml: validTOML(backendA: "adds_bias = true"),
                    path: "models[0].backends[0].adds_bias", says: "only float backends"),
            Mistake(name: "backend fw differs", toml: validTOML(backendA: "weight_frac_bits = 20"),
                    path: "models[0].backends[0].weight_frac_bits", says: "differs from the model's 26"),
            Mistake(name: "option that is not a scalar", toml: validTOML(backendA: "options = { dtype = [1] }"),
                    path: "models[0].backends[0].options.dtype", says: "expected a string, number or boolean"),
            Mistake(name: "max_batch zero", toml: validTOML(gateway: "max_batch = 0"), path: "gateway.max_batch", says: "must be in"),
            Mistake(name: "negative max_delay_ms", toml: validTOML(gateway: "max_delay_ms = -1"), path: "gateway.max_delay_ms", says: "0...1000"),
            Mistake(name: "max_delay_ms over a second", toml: validTOML(gateway: "max_delay_ms = 1001"), path: "gateway.max_delay_ms", says: "0...1000"),
            Mistake(name: "no padding buckets", toml: validTOML(gateway: "padding_buckets = []"), path: "gateway.padding_buckets", says: "at least one"),
            Mistake(name: "unordered padding buckets", toml: validTOML(gateway: "padding_buckets = [8, 1]"),
                    path: "gateway.padding_buckets", says: "strictly increasing"),
            Mistake(name: "a zero padding bucket", toml: validTOML(gateway: "padding_buckets = [0, 8]"),
                    path: "gateway.padding_buckets", says: "must be in"),
            Mistake(name: "a padding bucket that is not an integer", toml: validTOML(gateway: "padding_buckets = [1, 2.5]"),
                    path: "gateway.padding_buckets", says: "array of integers"),
            Mistake(name: "a string for batching", toml: validTOML(gateway: #"batching = "on""#), path: "gateway.batching", says: "true or false"),
            Mistake(name: "negative cover traffic", toml: validTOML(model: "cover_traffic_rps = -1"),
                    path: "models[0].cover_traffic_rps", says: "0...1000"),
            Mistake(name: "an empty V2 input name", toml: validTOML(model: #"v2_input_name = """#),
                    path: "models[0].v2_input_name", says: "1 to 128 characters"),
            Mistake(name: "a V2 output name with a newline", toml: validTOML(model: #"v2_output_name = "a\nb""#),
                    path: "models[0].v2_output_name", says: "control characters"),
        ]
    }

    @Test(arguments: Mistake.all)
    func aSingleMistakeIsReportedUnderItsKeyPath(_ mistake: Mistake) {
        let problems = Self.problems(mistake.toml)
        #expect(problems.contains { $0.hasPrefix(mistake.path) && $0.contains(mistake.says) }, "got \(problems)")
        // The key a message names is one the configuration accepts (GatewayConfiguration.Keys),
        // unless the message is about an unknown key.
        guard !problems.contains(where: { $0.hasPrefix(mistake.path) && $0.contains("unknown key") }) else { return }
        if let dot = mistake.path.lastIndex(of: "."), !mistake.path.hasSuffix("]") {
            let table = String(mistake.path[..<dot]), key = String(mistake.path[mistake.path.index(after: dot)...])
            if let allowed = GatewayConfiguration.Keys.allowed(at: table) { #expect(allowed.contains(key), "\(mistake.path)") }
        } else if !mistake.path.contains("."), !mistake.path.hasSuffix("]") {
            #expect(GatewayConfiguration.Keys.root.contains(mistake.path), "\(mistake.path)")
        }
    }

    @Test func floatSharingAndPluginKeysAreRead() throws {
        let configuration = try GatewayConfiguration(toml: Self.validTOML(
            model: "arithmetic = \"float32\"\nallow_float_sharing = true\nfloat_mask_range = 250.5",
            backendA: "adds_bias = true\nkind = \"matmul-json\"\noptions = { dtype = \"float32\", batch = true, retries = 2, scale = 0.5 }"))
        let model = try #require(configuration.models.first)
        #expect(model.arithmetic == .float32)
        #expect(model.allowFloatSharing)
        #expect(model.floatMaskRange == 250.5)
        #expect(model.backends[0].addsBias)
        #expect(model.backends[0].kind == "matmul-json")
        #expect(model.backends[0].options == ["dtype": .string("float32"), "batch": .bool(true), "retries": .int(2), "scale": .double(0.5)])
        #expect(!model.backends[1].addsBias)
        #expect(model.backends[1].options.isEmpty)
    }

    @Test func nonASCIIOutsideStringsIsASyntaxErrorNotAnAbort() {
        // toml++ aborts on `[[\u{FFFD}odels]]` (a fuzzing find); the precheck refuses it first.
        let problems = Self.problems("[[\u{FFFD}odels.backends]]\nname = \"x\"\n")
        #expect(problems.count == 1 && problems[0].contains("line 1: malformed table header"), "\(problems)")
        // Non-ASCII is fine in comments and strings of every kind.
        let text = Self.validTOML(gateway: "# café\nlog_level = \"info\" # naïve") + "\n# ünïcode '''\n"
        #expect(Self.problems(text) == [])
        #expect(TOMLPrecheck.problem(in: "a = \"é\\\"é\"\nb = 'é'\nc = \"\"\"\né\n\"\"\"\nd = '''é'''\n") == nil)
        #expect(TOMLPrecheck.problem(in: "a = 1\nb = é\n")?.hasPrefix("line 2") == true)
        // A key no key may start with in a header also aborts toml++.
        #expect(TOMLPrecheck.problem(in: "x = 1\n  [[:models.backends]]\n")?.contains("line 2: malformed table header") == true)
        #expect(TOMLPrecheck.problem(in: "[a.\"b c\".'d'] \n[[ e . f ]]\nx = [\n  [1, 2],\n]\n") == nil)
    }

    @Test func theValidTemplateHasNoProblems() {
        #expect(Self.problems(Self.validTOML()) == [])
    }

    @Test func fractionBitsSummingTo62AreAccepted() {
        #expect(Self.problems(Self.validTOML(model: "input_frac_bits = 31\nweight_frac_bits = 31")) == [])
    }

    @Test(arguments: [
        ("127.0.0.1:0", "127.0.0.1", 0),
        ("0.0.0.0:65535", "0.0.0.0", 65535),
        ("[::1]:8080", "::1", 8080),
        ("localhost:80", "localhost", 80),
    ])
    func listenAddressesAreSplitIntoHostAndPort(listen: String, host: String, port: Int) throws {
        let configuration = try GatewayConfiguration(toml: Self.validTOML().replacingOccurrences(of: "127.0.0.1:8080", with: listen))
        #expect(configuration.listenHost == host)
        #expect(configuration.listenPort == port)
    }

    @Test(arguments: ["localhost", ":8080", "host:-1", "host:http", "host:", ""])
    func badListenAddressesAreRefused(listen: String) {
        let problems = Self.problems(Self.validTOML().replacingOccurrences(of: "127.0.0.1:8080", with: listen))
        #expect(problems.contains { $0.hasPrefix("gateway.listen") }, "got \(problems)")
    }

    @Test func relativePathsAreResolvedAgainstTheConfigFilesDirectory() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let configDirectory = directory.appendingPathComponent("conf")
            try FileManager.default.createDirectory(at: configDirectory, withIntermediateDirectories: true)
            let file = configDirectory.appendingPathComponent("gateway.conf")
            let text = Self.validTOML(gateway: #"server_binary = "bin/eis-server""#)
                .replacingOccurrences(of: "models/demo.safetensors", with: "../models/demo.safetensors")
                + "\n[[models]]\nname = \"abs\"\npath = \"/srv/abs.safetensors\"\n"
                + "  [[models.backends]]\n  url = \"https://c:1\"\n  trust_domain = \"c\"\n"
                + "  [[models.backends]]\n  url = \"https://d:1\"\n  trust_domain = \"d\"\n"
            try text.write(to: file, atomically: true, encoding: .utf8)
            let configuration = try GatewayConfiguration(contentsOfFile: file.path)
            #expect(configuration.models[0].path == directory.appendingPathComponent("models/demo.safetensors").standardized.path)
            #expect(configuration.models[1].path == "/srv/abs.safetensors")
            #expect(configuration.serverBinary == configDirectory.appendingPathComponent("bin/eis-server").standardized.path)
        }
    }

    @Test func relativePathsInTextAreResolvedAgainstTheGivenBaseDirectory() throws {
        let configuration = try GatewayConfiguration(toml: Self.validTOML(), baseDirectory: "/etc/eis")
        #expect(configuration.models[0].path == "/etc/eis/models/demo.safetensors")
    }

    @Test(arguments: [
        "[gateway\nlisten = \"127.0.0.1:8080\"\n",
        "[gateway]\nlisten = \n",
        "[gateway]\nlisten = \"a:1\"\nlisten = \"b:2\"\n",
    ])
    func aTOMLSyntaxErrorIsReported(text: String) {
        let problems = Self.problems(text)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("TOML syntax") == true, "got \(problems)")
    }

    @Test func anUnreadableFileIsReportedWithItsPath() {
        let path = "/nonexistent/eis/gateway.conf"
        #expect {
            _ = try GatewayConfiguration(contentsOfFile: path)
        } throws: { error in
            (error as? ConfigurationError)?.problems.first?.contains(path) == true
        }
    }

    /// The README's configuration reference lists exactly the keys the loader accepts, so a new
    /// key cannot ship undocumented and a removed one cannot stay documented.
    @Test func theReadmeDocumentsExactlyTheAcceptedKeys() throws {
        let readme = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Configuration (").dropFirst().first?.components(separatedBy: "\n## ").first)
        var documented = [String: Set<String>]()
        for line in section.split(separator: "\n") where line.hasPrefix("| `[") {
            let firstCell = line.dropFirst(2).prefix { $0 != "|" }
            let spans = firstCell.split(separator: "`", omittingEmptySubsequences: true).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && $0 != ", " }
            guard let head = spans.first else { continue }
            let parts = head.split(separator: " ", maxSplits: 1)
            let table = String(parts[0])
            var keys = parts.count > 1 ? [String(parts[1])] : []
            keys += spans.dropFirst().map { String($0).trimmingCharacters(in: .whitespaces) }
            if table == "[models.backends.options]" {
                documented["[[models.backends]]", default: []].insert("options")
            } else {
                documented[table, default: []].formUnion(keys)
            }
        }
        typealias Keys = GatewayConfiguration.Keys
        #expect(documented["[gateway]"] == Keys.gateway)
        #expect(documented["[health]"] == Keys.health)
        #expect(documented["[outlier]"] == Keys.outlier)
        #expect(documented["[[models]]"] == Keys.model.subtracting(["backends"]))
        #expect(documented["[[models.backends]]"] == Keys.backend)
        #expect(Set(documented.keys) == ["[gateway]", "[health]", "[outlier]", "[[models]]", "[[models.backends]]"])
    }
}
