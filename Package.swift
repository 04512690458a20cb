// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ElasticcStream",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kafka-mock", targets: ["KafkaMockCommand"]),
        .executable(name: "ppdb", targets: ["PPDBCommand"]),
        .executable(name: "alert-sender", targets: ["AlertSenderCommand"]),
        .executable(name: "fake-broker", targets: ["FakeBrokerCommand"]),
        .executable(name: "broker-poll", targets: ["BrokerPollCommand"]),
        .executable(name: "bench", targets: ["Bench"]),
        .library(name: "AvroSchemas", targets: ["AvroSchemas"]),
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Postgres", targets: ["Postgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CAvro", pkgConfig: "avro-c", providers: [.apt(["libavro-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CFitsio", pkgConfig: "cfitsio", providers: [.apt(["libcfitsio-dev"])]),
        .target(name: "FITS", dependencies: ["CFitsio"]),
        .target(name: "CAvroShims", dependencies: ["CAvro"]),

        .target(
            name: "AvroSchemas",
            dependencies: ["CAvro", "CAvroShims"],
            resources: [
                .embedInCode("Schemas/elasticc.v0_9_1.alert.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.diaSource.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.diaForcedSource.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.diaObject.avsc"),
                .embedInCode("Schemas/elasticc.v0_9_1.brokerClassification.avsc"),
            ]
        ),
        .target(
            name: "Kafka",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(
            name: "PPDB",
            dependencies: ["Postgres", "AvroSchemas", "FITS", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "AlertSending",
            dependencies: ["AvroSchemas", "Kafka", "Postgres", "PPDB", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "FakeBrokering",
            dependencies: ["AvroSchemas", "Kafka", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "BrokerPolling",
            dependencies: ["AvroSchemas", "Kafka", "Postgres", "PPDB", "Yams", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "CommandSupport",
            dependencies: [
                "Postgres",
                "Kafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        .executableTarget(
            name: "AlertSenderCommand",
            dependencies: ["AlertSending", "CommandSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "FakeBrokerCommand",
            dependencies: ["FakeBrokering", "CommandSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "BrokerPollCommand",
            dependencies: ["BrokerPolling", "CommandSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "PPDBCommand",
            dependencies: ["PPDB", "CommandSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "KafkaMockCommand",
            dependencies: [
                "Kafka",
                "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "AvroSchemas", "Kafka", "Postgres", "PPDB", "FakeBrokering", "BrokerPolling",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .target(
            name: "TestSupport",
            dependencies: ["AvroSchemas", "Postgres", "Kafka", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "AvroSchemasTests", dependencies: ["AvroSchemas", "TestSupport"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "AvroSchemas", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "PPDBTests", dependencies: ["PPDB", "Postgres", "TestSupport"]),
        .testTarget(name: "FakeBrokeringTests", dependencies: ["FakeBrokering", "AvroSchemas", "Kafka", "TestSupport"]),
        .testTarget(name: "BrokerPollingTests", dependencies: ["BrokerPolling", "PPDB", "Postgres", "Kafka", "AvroSchemas", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["PPDB", "Postgres", "Kafka", "TestSupport"]),
        .testTarget(
            name: "ReliabilityTests",
            dependencies: ["AlertSending", "BrokerPolling", "Kafka", "PPDB", "Postgres", "AvroSchemas", "TestSupport"]
        ),
        .testTarget(name: "AlertSendingTests", dependencies: ["AlertSending", "PPDB", "Postgres", "Kafka", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
