// swift-tools-version:6.2
import PackageDescription

// Versions are pinned exactly, so an image built from this file gets the same code every time
// (Package.resolved is not committed here).
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")

let package = Package(
    name: "ElasticcStream",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kafka-mock", targets: ["KafkaMockCommand"]),
        .executable(name: "ppdb", targets: ["PPDBCommand"]),
        .executable(name: "alert-sender", targets: ["AlertSender"]),
        .executable(name: "fake-broker", targets: ["FakeBroker"]),
        .executable(name: "broker-poll", targets: ["BrokerPoll"]),
        .executable(name: "elasticc-api", targets: ["ElasticcAPI"]),
        .executable(name: "bench", targets: ["Bench"]),
        .library(name: "AvroSchemas", targets: ["AvroSchemas"]),
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Postgres", targets: ["Postgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "5.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        // PBKDF2 (`_CryptoExtras`) for Django's password hashes.
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        // The HTTP server of elasticc-api, and its router-level test client.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        // Metrics: the swift-metrics API in the libraries, Prometheus's text format as its backend.
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        // The REST-push benchmark's HTTP client (Hummingbird's tests use it too).
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
    ],
    targets: [
        // C libraries, found through pkg-config.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CAvro", pkgConfig: "avro-c", providers: [.apt(["libavro-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CFitsio", pkgConfig: "cfitsio", providers: [.apt(["libcfitsio-dev"])]),
        .target(name: "CAvroShims", dependencies: ["CAvro"]),
        .target(name: "CMallocTuning"),

        // Wrappers: the only modules that import C.
        .target(name: "BlockingWork"),
        .target(name: "HeapTuning", dependencies: ["CMallocTuning"]),
        .target(name: "SeededRandom"),
        .target(name: "FITS", dependencies: ["CFitsio"]),
        .target(name: "Kafka", dependencies: ["CRdKafka", "BlockingWork", logging]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "BlockingWork"]),
        .target(
            name: "AvroSchemas",
            resources: [
                .embedInCode("Schemas/elasticc.v0_9_1.alert.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.diaSource.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.diaForcedSource.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.diaObject.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.brokerClassification.avsc"),
            ]
        ),
        // Apache Avro C as a test oracle: linked by the tests only.
        .target(name: "AvroCOracle", dependencies: ["CAvro", "CAvroShims", "AvroSchemas"]),

        // The pipeline's logic.
        .target(name: "TOMDatabase", dependencies: ["Postgres", "AvroSchemas", logging]),
        .target(name: "PPDB", dependencies: ["TOMDatabase", "Postgres", "AvroSchemas", "FITS", "SeededRandom", logging]),
        .target(name: "SourceUpdating", dependencies: ["Postgres", logging]),
        .target(name: "BrokerPush", dependencies: ["Postgres", "TOMDatabase"]),
        .target(
            name: "TOMAccounts",
            dependencies: [
                "Postgres", "TOMDatabase", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]),
        .target(name: "AlertRules", dependencies: ["AvroSchemas"]),
        .target(
            name: "AlertSending",
            dependencies: ["AlertRules", "AvroSchemas", "BlockingWork", "HeapTuning", "Kafka", "Postgres", "TOMDatabase", logging]),
        .target(name: "JSONOutput"),
        .target(name: "TOMScience", dependencies: ["AlertRules", "AvroSchemas", "JSONOutput", "Postgres", "TOMDatabase"]),
        .target(name: "ReadOnlySQL", dependencies: ["JSONOutput", "Postgres"]),
        .target(name: "StreamPages", dependencies: ["Postgres", "TOMDatabase"]),
        .target(name: "FakeBrokering", dependencies: ["AvroSchemas", "Kafka", "SeededRandom", logging, metrics]),
        .target(name: "BrokerPolling", dependencies: ["AvroSchemas", "Kafka", "Postgres", "TOMDatabase", "Yams", logging, metrics]),
        .target(
            name: "Monitoring",
            dependencies: [
                "JSONOutput", "Postgres", argumentParser, logging, metrics, .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .target(
            name: "CommandSupport",
            dependencies: [
                "Postgres", "Kafka", argumentParser, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // Executables: argument parsing and wiring only.
        .executableTarget(name: "AlertSender", dependencies: ["AlertSending", "CommandSupport", "HeapTuning", argumentParser]),
        .executableTarget(name: "FakeBroker", dependencies: ["FakeBrokering", "CommandSupport", "Monitoring", "HeapTuning", argumentParser]),
        .executableTarget(name: "BrokerPoll", dependencies: ["BrokerPolling", "CommandSupport", "Monitoring", "HeapTuning", argumentParser]),
        .executableTarget(name: "PPDBCommand", dependencies: ["PPDB", "TOMDatabase", "SourceUpdating", "CommandSupport", argumentParser]),
        .target(
            name: "TOMWebAPI",
            dependencies: [
                "TOMAccounts", "BrokerPush", "BlockingWork", "JSONOutput", "Postgres", "ReadOnlySQL", "StreamPages", "TOMScience", logging, metrics,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .executableTarget(
            name: "ElasticcAPI",
            dependencies: [
                "TOMWebAPI", "TOMAccounts", "TOMDatabase", "ReadOnlySQL", "StreamPages", "BlockingWork", "Postgres", "CommandSupport", "Monitoring",
                "HeapTuning", argumentParser,
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .executableTarget(name: "KafkaMockCommand", dependencies: ["Kafka", "CommandSupport", argumentParser, logging]),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "AvroSchemas", "Kafka", "Postgres", "TOMDatabase", "FakeBrokering", argumentParser, logging,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        .target(
            name: "TestSupport",
            dependencies: ["AvroSchemas", "BlockingWork", "Postgres", "Kafka", "SeededRandom", logging],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "AvroSchemasTests", dependencies: ["AvroSchemas", "AvroCOracle", "TestSupport"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "AvroSchemas", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "PPDBTests", dependencies: ["PPDB", "TOMDatabase", "Postgres", "TestSupport"]),
        .testTarget(name: "FakeBrokeringTests", dependencies: ["FakeBrokering", "AvroSchemas", "Kafka", "TestSupport"]),
        .testTarget(
            name: "BrokerPollingTests",
            dependencies: ["BrokerPolling", "PPDB", "TOMDatabase", "Postgres", "Kafka", "AvroSchemas", "TestSupport"]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["PPDB", "TOMDatabase", "Postgres", "Kafka", "TestSupport"]),
        .testTarget(name: "BrokerPushTests", dependencies: ["BrokerPush", "TOMDatabase", "Postgres", "TestSupport"]),
        .testTarget(
            name: "TOMWebAPITests",
            dependencies: [
                "TOMWebAPI", "TOMAccounts", "TOMDatabase", "PPDB", "ReadOnlySQL", "StreamPages", "Postgres", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .testTarget(name: "TOMAccountsTests", dependencies: ["TOMAccounts", "TOMDatabase", "Postgres", "TestSupport"]),
        .testTarget(name: "SourceUpdatingTests", dependencies: ["SourceUpdating", "PPDB", "TOMDatabase", "Postgres", "TestSupport"]),
        .testTarget(
            name: "ReliabilityTests",
            dependencies: ["AlertSending", "BrokerPolling", "Kafka", "PPDB", "TOMDatabase", "Postgres", "AvroSchemas", "TestSupport"]
        ),
        .testTarget(
            name: "AlertSendingTests",
            dependencies: ["AlertRules", "AlertSending", "AvroSchemas", "PPDB", "TOMDatabase", "Postgres", "Kafka", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
