import Benchmark
import Foundation
import ReferralRouter
import SteeringModel

/// The shipped configuration and a realistic mix of requests (the demo generator's), built once.
enum Fixture {
    static let configuration: SteeringConfiguration = {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/steering").path
        return try! SteeringConfiguration.load(directory: directory)
    }()

    /// 4,096 valid request documents.
    static let documents: [[UInt8]] = {
        var traffic = SyntheticTraffic(seed: 2026, prefix: "bench", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        return (0..<4096).map { _ in traffic.next(submittedAt: Date(timeIntervalSince1970: 1_794_814_200)).value }
    }()

    static let requests: [ReferralRequest] = documents.map { try! RequestValidator().validateRequest($0).get() }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(5))

    Benchmark("Decide (steering core only)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let engine = SteeringEngine(table: Fixture.configuration.table)
        let requests = Fixture.requests
        var index = 0
        for _ in benchmark.scaledIterations {
            blackHole(engine.decide(requests[index & 4095]))
            index &+= 1
        }
    }

    Benchmark("Parse and validate a request", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let validator = RequestValidator()
        let documents = Fixture.documents
        var index = 0
        for _ in benchmark.scaledIterations {
            blackHole(validator.validateRequest(documents[index & 4095]))
            index &+= 1
        }
    }

    Benchmark("Route: validate, decide, SLA due times, encode the assignment", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let router = OfflineRouter(configuration: Fixture.configuration)
        let documents = Fixture.documents
        let now = Date(timeIntervalSince1970: 1_794_814_200)
        var index = 0
        for _ in benchmark.scaledIterations {
            blackHole(router.route(documents[index & 4095], now: now))
            index &+= 1
        }
    }
}
