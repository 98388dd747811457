// swift-tools-version:6.2
import Foundation
import PackageDescription

/// Settings shared by every target: Swift 6 language mode plus the upcoming features the
/// Hummingbird and swift-log codebases enable, so dependencies are imported only where they show.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Release builds of the kernels must vectorise; debug builds stay debuggable.
let kernelSettings: [SwiftSetting] = strictSettings + [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))
]

/// The core and the model math are optimised in debug builds too: the test suite runs a real
/// six-layer encoder (encoding, range proofs, local float steps), which unoptimised Swift makes
/// minutes long and which would starve the timing-sensitive tests running beside it. Overflow
/// and bounds checks stay on (`-O`, not `-Ounchecked`).
let modelMathSettings: [SwiftSetting] = kernelSettings + [
    .unsafeFlags(["-O"], .when(configuration: .debug))
]

/// `EIS_LIBFUZZER=1 swift build --scratch-path .build-fuzz --product eis-fuzz` builds the fuzz
/// targets with libFuzzer and AddressSanitizer (Tests/Fuzz/README.md). Only the modules that
/// decode untrusted bytes are instrumented; an ordinary build is unaffected.
let libFuzzer = ProcessInfo.processInfo.environment["EIS_LIBFUZZER"] == "1"
let fuzzedSettings: [SwiftSetting] = libFuzzer ? [.unsafeFlags(["-sanitize=fuzzer,address"]), .define("EIS_LIBFUZZER")] : []

let package = Package(
    name: "eis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "eis-gateway", targets: ["eis-gateway"]),
        .executable(name: "eis-server", targets: ["eis-server"]),
        .executable(name: "eis-bench", targets: ["eis-bench"]),
        .library(name: "EISCore", targets: ["EISCore"]),
        .library(name: "EISBackend", targets: ["EISBackend"]),
        .library(name: "EISTokenizer", targets: ["EISTokenizer"]),
        .library(name: "EISModels", targets: ["EISModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        // MARK: C system libraries
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),

        // MARK: Libraries
        // The ring kernel in C: its AVX2 path is chosen at run time, per function, which Swift cannot
        // express (Sources/CEISKernels/RingKernel.c). Optimised in every configuration, so debug builds,
        // their tests and CI's debug smoke runs do not crawl.
        .target(name: "CEISKernels", path: "Sources/CEISKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "EISCore", dependencies: ["COpenSSL", "CEISKernels"], swiftSettings: modelMathSettings + fuzzedSettings),
        .target(
            name: "CurlTransport",
            dependencies: ["CCurl", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(name: "EISBackend", dependencies: ["EISCore", "CurlTransport"], swiftSettings: strictSettings),
        // Whole models as plans of linear rounds and local steps (MLPs, BERT encoders); pure, no
        // networking. Local float work (attention, the reference evaluators) runs on OpenBLAS.
        .target(name: "EISModels", dependencies: ["EISCore", "COpenBLAS"], swiftSettings: modelMathSettings),
        // Starting local processes that announce their port (eis-server, eis-gateway, the Python
        // peers): used by the gateway's launcher, eis-bench and the tests, none of which needs the rest.
        .target(name: "EISLaunch", swiftSettings: strictSettings),
        .target(name: "EISLogging", dependencies: [.product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings),
        // Connection-level protections both HTTP fronts use (the gateway's and the share server's).
        .target(
            name: "EISHTTPGuards",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // BERT WordPiece tokenization with the ids of Hugging Face `tokenizers`; Foundation only.
        .target(name: "EISTokenizer", swiftSettings: strictSettings),
        // The Open Inference Protocol (KServe V2) REST messages, both directions; pure, no I/O. Not
        // -Ounchecked like the kernels: it parses hostile input, so its checks must stay.
        .target(name: "OpenInference", swiftSettings: strictSettings + fuzzedSettings),
        .target(
            name: "EISNativePlugin",
            dependencies: ["EISBackend", "EISCore", "CurlTransport"],
            path: "Plugins/EISNative",
            swiftSettings: strictSettings
        ),
        .target(
            name: "MatmulJSONPlugin",
            dependencies: ["EISBackend", "EISCore", "CurlTransport"],
            path: "Plugins/MatmulJSON",
            swiftSettings: strictSettings
        ),
        .target(
            name: "KServeV2Plugin",
            dependencies: ["EISBackend", "EISCore", "CurlTransport", "OpenInference", .product(name: "Logging", package: "swift-log")],
            path: "Plugins/KServeV2",
            swiftSettings: strictSettings
        ),
        .target(
            name: "EISServer",
            dependencies: [
                "EISCore", "EISHTTPGuards", "EISModels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: kernelSettings
        ),
        .target(
            name: "EISGateway",
            dependencies: [
                "EISCore", "CurlTransport", "EISBackend", "OpenInference", "EISModels", "EISTokenizer", "EISHTTPGuards", "EISLaunch",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSettings + fuzzedSettings
        ),

        // MARK: Executables
        .executableTarget(
            name: "eis-gateway",
            dependencies: [
                "EISGateway", "EISLogging", "EISBackend",
                // The plugins this program serves with (BackendRegistry+Standard.swift); the library knows none.
                "EISNativePlugin", "MatmulJSONPlugin", "KServeV2Plugin",
                // Built with the gateway so `swift run eis-gateway` can launch local share servers.
                "eis-server",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "eis-server",
            dependencies: [
                "EISServer", "EISCore", "EISLogging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "eis-bench",
            dependencies: [
                // EISCore's safetensors writer makes --layer's generated model; EISLaunch starts the processes.
                "EISCore", "CurlTransport", "EISLaunch",
                // `eis-bench kernel`: the server's kernel runner against float32 OpenBLAS.
                "EISServer", "COpenBLAS",
                // `eis-bench encoder`: the same encoder run locally in float32.
                "EISModels", "EISTokenizer",
                // The benchmark starts these as processes, so building it builds them.
                "eis-server", "eis-gateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Fuzzing (Tests/Fuzz/README.md)
        .target(name: "EISFuzzTargets", dependencies: ["EISCore", "EISGateway", "OpenInference"], path: "Tests/Fuzz/EISFuzzTargets",
                swiftSettings: strictSettings + fuzzedSettings),
        .executableTarget(
            name: "eis-fuzz",
            dependencies: ["EISFuzzTargets"],
            path: "Tests/Fuzz/eis-fuzz",
            swiftSettings: strictSettings + fuzzedSettings,
            linkerSettings: libFuzzer ? [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])] : []
        ),

        // MARK: Test support (a library, like HummingbirdTesting, so test targets share it)
        .target(name: "EISTestSupport", dependencies: ["EISCore", "EISModels"], swiftSettings: strictSettings),

        // MARK: Tests
        .testTarget(name: "EISCoreTests", dependencies: ["EISCore", "EISTestSupport"], swiftSettings: strictSettings),
        // `eis-bench --plot` and its progress line, unit-tested and run as a process.
        .testTarget(name: "EISBenchTests", dependencies: ["eis-bench", "EISTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "EISLoggingTests", dependencies: ["EISLogging", .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings),
        .testTarget(name: "EISTokenizerTests", dependencies: ["EISTokenizer", "EISTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "EISModelsTests", dependencies: ["EISModels", "EISCore", "EISTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "OpenInferenceTests", dependencies: ["OpenInference", "EISTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "KServeV2PluginTests",
            dependencies: ["KServeV2Plugin", "OpenInference", "EISBackend", "EISCore", "CurlTransport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CurlTransportTests",
            dependencies: ["CurlTransport", "CCurl", "EISServer", "EISTestSupport", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EISServerTests",
            dependencies: [
                "EISServer", "EISCore", "EISModels", "EISTestSupport", "CurlTransport", "EISLogging",
                // `ChildProcess` is the launcher the gateway uses for eis-server, so the tests start it the same way.
                "EISLaunch", "eis-server",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EISGatewayTests",
            dependencies: ["EISGateway", "EISLaunch", "EISCore", "EISServer", "CurlTransport", "EISTestSupport", "EISFuzzTargets", "EISBackend", "KServeV2Plugin", "OpenInference", "EISModels", "EISTokenizer", "eis-server", "eis-gateway",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: strictSettings
        ),
    ]
)
