// swift-tools-version:6.1
// Benchmarks live in a package of their own so that `make test` and CI do not build the benchmark toolchain.
// Run: make bench (swift package --package-path Benchmarks benchmark)
import PackageDescription

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
                .product(name: "SteeringModel", package: "referral-router"),
                .product(name: "ReferralRouterLibrary", package: "referral-router"),
            ],
            path: "Benchmarks/SteeringBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
