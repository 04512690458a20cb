// swift-tools-version:6.2
import PackageDescription

// Versions are pinned exactly, so an image built from this file gets the same code every time
// (Package.resolved is not committed here).
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

let package = Package(
    name: "ElasticcStream",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kafka-mock", targets: ["KafkaMock"]),
        .executable(name: "ppdb", targets: ["PPDB"]),
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
        // C libraries, found through pkg-config, and two small C shims of our own.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CAvro", pkgConfig: "avro-c", providers: [.apt(["libavro-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CFitsio", pkgConfig: "cfitsio", providers: [.apt(["libcfitsio-dev"])]),
        .target(name: "CAvroShims", dependencies: ["CAvro"]),
        .target(name: "CMallocTuning"),

        // Clients: the only modules that import a C library (each C client on its own executor).
        .target(name: "BlockingWork"),
        .target(name: "Kafka", dependencies: ["CRdKafka", "BlockingWork", logging]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "BlockingWork"]),
        .target(name: "FITS", dependencies: ["CFitsio"]),
        .target(name: "HeapTuning", dependencies: ["CMallocTuning"]),

        // The codec of the design card, and small shared pieces.
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
        .target(name: "JSON"),
        // The TOM's scoring arithmetic (light-curve features), free of I/O.
        .target(name: "Scoring"),
        .target(name: "SeededRandom"),
        // Apache Avro C as a test oracle: linked by the tests only.
        .target(name: "AvroCOracle", dependencies: ["CAvro", "CAvroShims", "AvroSchemas"]),

        // One library per stage of the cycle, in the order data flows.
        .target(name: "TOMDatabase", dependencies: ["Postgres", "AvroSchemas", logging]),
        .target(name: "PPDBLoading", dependencies: ["TOMDatabase", "Postgres", "AvroSchemas", "FITS", "SeededRandom", logging]),
        .target(
            name: "AlertSending",
            dependencies: ["AvroSchemas", "BlockingWork", "HeapTuning", "Kafka", "Postgres", "TOMDatabase", logging, serviceLifecycle]),
        .target(name: "FakeBrokering", dependencies: ["AvroSchemas", "Kafka", "SeededRandom", logging, metrics, serviceLifecycle]),
        .target(
            name: "BrokerIngest",
            dependencies: ["AvroSchemas", "JSON", "Kafka", "Postgres", "TOMDatabase", "Yams", logging, metrics, serviceLifecycle]),
        .target(
            name: "WebAPI",
            dependencies: [
                "AlertSending", "AvroSchemas", "BlockingWork", "BrokerIngest", "JSON", "Postgres", "Scoring", "TOMDatabase", logging, metrics,
                serviceLifecycle,
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),

        // What every long-running tool shares: command options, monitoring, the stop signals.
        .target(
            name: "ServiceSupport",
            dependencies: [
                "BlockingWork", "JSON", "Kafka", "Postgres", argumentParser, logging, metrics, serviceLifecycle,
                .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]),

        // Executables, each named for its tool: argument parsing, wiring and running only.
        .executableTarget(name: "PPDB", dependencies: ["PPDBLoading", "TOMDatabase", "ServiceSupport", argumentParser]),
        .executableTarget(name: "AlertSender", dependencies: ["HeapTuning", "AlertSending", "ServiceSupport", argumentParser]),
        .executableTarget(name: "FakeBroker", dependencies: ["HeapTuning", "FakeBrokering", "ServiceSupport", argumentParser]),
        .executableTarget(name: "BrokerPoll", dependencies: ["HeapTuning", "BrokerIngest", "ServiceSupport", argumentParser]),
        .executableTarget(
            name: "ElasticcAPI",
            dependencies: [
                "WebAPI", "TOMDatabase", "BlockingWork", "HeapTuning", "Postgres", "ServiceSupport", argumentParser, serviceLifecycle,
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .executableTarget(name: "KafkaMock", dependencies: ["Kafka", "ServiceSupport", argumentParser, logging, serviceLifecycle]),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "AvroSchemas", "Kafka", "Postgres", "TOMDatabase", "FakeBrokering", argumentParser, logging,
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        .target(
            name: "TestSupport",
            dependencies: [
                "AvroSchemas", "BlockingWork", "Postgres", "Kafka", "SeededRandom", logging, serviceLifecycle,
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "AvroSchemasTests", dependencies: ["AvroSchemas", "AvroCOracle", "TestSupport"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "AvroSchemas", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring", "SeededRandom", "TestSupport"]),
        .testTarget(name: "TOMDatabaseTests", dependencies: ["PPDBLoading", "TOMDatabase", "Postgres", "TestSupport"]),
        .testTarget(
            name: "AlertSendingTests",
            dependencies: ["PPDBLoading", "AlertSending", "AvroSchemas", "TOMDatabase", "Postgres", "Kafka", "TestSupport"]
        ),
        .testTarget(name: "FakeBrokeringTests", dependencies: ["FakeBrokering", "AvroSchemas", "Kafka", "TestSupport"]),
        .testTarget(
            name: "BrokerIngestTests",
            dependencies: ["BrokerIngest", "TOMDatabase", "Postgres", "Kafka", "AvroSchemas", "TestSupport"]
        ),
        .testTarget(
            name: "WebAPITests",
            dependencies: [
                "PPDBLoading",
                "WebAPI", "JSON", "BrokerIngest", "TOMDatabase", "Postgres", "Kafka", "AvroSchemas", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        .testTarget(name: "EndToEndTests", dependencies: ["AvroSchemas", "TOMDatabase", "Postgres", "Kafka", "TestSupport"]),
        .testTarget(
            name: "ReliabilityTests",
            dependencies: ["PPDBLoading", "AlertSending", "BrokerIngest", "Kafka", "TOMDatabase", "Postgres", "AvroSchemas", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
