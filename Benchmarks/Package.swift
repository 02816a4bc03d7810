// swift-tools-version:6.1
// Benchmarks live in a package of their own so that `make test` and CI do not build the benchmark toolchain.
// Run: make bench (swift package --package-path Benchmarks benchmark)
import PackageDescription

import class Foundation.ProcessInfo
import struct Foundation.URL

// A path dependency's identity is its directory name, which differs between checkouts.
let routerPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "referral-router-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SteeringBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SteeringModel", package: routerPackage),
                .product(name: "ReferralRouterLibrary", package: routerPackage),
            ],
            path: "Benchmarks/SteeringBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
