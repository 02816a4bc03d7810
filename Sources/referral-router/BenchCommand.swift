import ArgumentParser
import Foundation
import Logging
import ReferralRouter

/// `referral-router bench`: the router against the raw librdkafka pipe, in one process and run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the router's throughput as a ratio to the raw librdkafka pipe on the embedded broker."
    )

    @Option(name: .long, help: "Input records.")
    var records: Int = 100_000

    @Option(name: .long, help: "Partitions per topic (the mock keeps about 5 MiB per partition).")
    var partitions: Int = 32

    @Option(name: .long, help: "Write the results as JSON to this file.")
    var output: String?

    @Option(name: .long, help: "Instead of the pipeline: resident memory of this many referrals with open timers.")
    var timers: Int?

    func run() async throws {
        var logger = Logger(label: "referral-router.bench")
        logger.logLevel = .info
        if let timers {
            let measured = try PipelineBenchmark.timerMemory(count: timers, logger: logger)
            print("\(timers) referrals, \(measured.timers) open timers: resident set grew by \(measured.bytes >> 20) MiB (\(measured.bytes / max(measured.timers, 1)) bytes per timer, including each referral's state)")
            return
        }
        let result = try await PipelineBenchmark.run(records: self.records, partitions: self.partitions, logger: logger)
        print(
            """
            records: \(result.records) over \(result.partitions) partitions, \(String(format: "%.2f", result.outputsPerRecord)) outputs per record
            raw pipe:              \(Int(result.rawPipeRecordsPerSecond)) records/s
            router (default):      \(Int(result.routerRecordsPerSecond)) records/s  = \(String(format: "%.2f", result.routerRatio)) × raw pipe
            router (exactly_once): \(Int(result.exactlyOnceRecordsPerSecond)) records/s  = \(String(format: "%.2f", result.exactlyOnceRatio)) × raw pipe
            """)
        if let output {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: output))
        }
    }
}
