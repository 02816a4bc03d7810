// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // Release builds let the optimiser inline and specialise across this package's modules: the hot path crosses the
    // decision core, the calendar and the pipeline (measured in docs/performance.md, "The seventh round"). SwiftPM
    // refuses unsafe flags only in dependencies; this package is built as the root.
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "referral-router",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "referral-router", targets: ["referral-router"]),
        .library(name: "SteeringModel", targets: ["SteeringModel"]),
        .library(name: "Deadlines", targets: ["Deadlines"]),
        .library(name: "ReferralRouterLibrary", targets: ["ReferralRouter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // librdkafka from Debian's librdkafka-dev (rdkafka.h and rdkafka_mock.h).
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // Pure: requests, validation, configuration model, decision table, team resolution.
        .target(
            name: "SteeringModel",
            swiftSettings: swiftSettings
        ),
        // Pure: Finnish working-day calendar, counting rules, SLA policies, timer state machine.
        .target(
            name: "Deadlines",
            swiftSettings: swiftSettings
        ),
        // The only target that imports CRdKafka.
        .target(
            name: "KafkaIO",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Composition: pipeline, state store, HTTP, metrics, configuration loading.
        .target(
            name: "ReferralRouter",
            dependencies: [
                "SteeringModel",
                "Deadlines",
                "KafkaIO",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings,
            // mimalloc (Debian's libmimalloc-dev) replaces glibc's malloc in every process that links the router
            // (the daemon, its benchmark and its tests), librdkafka included: records are allocated on one
            // thread and freed on another, which glibc's arenas serve slowly (docs/performance.md).
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "referral-router",
            dependencies: [
                "ReferralRouter",
                "SteeringModel",
                "Deadlines",
                "KafkaIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SteeringModelTests",
            dependencies: ["SteeringModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeadlinesTests",
            dependencies: ["Deadlines"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReferralRouterTests",
            dependencies: [
                "ReferralRouter",
                "SteeringModel",
                "Deadlines",
                "KafkaIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ReferralRouter",
                "SteeringModel",
                "KafkaIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
