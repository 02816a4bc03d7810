import ArgumentParser
import Foundation
import Logging
import ReferralRouter

/// `referral-router bench`: the router against the raw librdkafka pipe, in one process and run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the router's throughput as a ratio to the raw librdkafka pipe, and its latency, on the embedded broker."
    )

    @Option(name: .long, help: "Input records of the throughput runs.")
    var records: Int = 500_000

    @Option(name: .long, help: "Least partitions per topic (raised so that no input partition holds more than 3 MiB).")
    var partitions: Int = 32

    @Option(name: .long, help: "Offered load of the latency runs, requests per second.")
    var latencyRate: Int = 2000

    @Option(name: .long, help: "Length of each latency run in seconds (the first 3 are warm-up).")
    var latencySeconds: Int = 10

    @Option(name: .long, help: "Guarantees of the latency runs, comma-separated: at_least_once, exactly_once (both by default).")
    var latencyGuarantees: String = "at_least_once,exactly_once"

    @Option(name: .long, help: "A librdkafka property for the router and the raw pipe, as key=value (repeatable).")
    var property: [String] = []

    @Flag(name: .long, help: "Skip the throughput runs.")
    var noThroughput = false

    @Option(name: .long, help: "Throughput phases to run, comma-separated: raw, router, eos (all by default; without raw no ratio).")
    var phases: String = "raw,router,eos"

    @Option(name: .long, help: "Rounds of the throughput phases (raw pipe, router, exactly_once one after the other); the median round is reported.")
    var rounds: Int = 1

    @Flag(name: .long, help: "Skip the unmeasured warm-up pass of the raw pipe before the first round.")
    var noWarmup = false

    @Flag(name: .long, help: "Write each latency run's timeline (100 ms windows: assignments, worst latency, the feeder's lateness, CPU and runnable-wait time per thread, the machine's idle and stolen time) into the JSON, and print its worst windows.")
    var timeline = false

    @Flag(name: .long, help: "Skip the latency runs.")
    var noLatency = false

    @Option(name: .long, help: "Write the results as JSON to this file.")
    var output: String?

    @Option(name: .long, help: "Instead of the pipeline: resident memory of the router's state with this many open timers.")
    var timers: Int?

    @Option(name: .long, help: "Open timers of the memory measure, run before the others in a child process of its own so that its peak resident set is the state's alone (0 skips it).")
    var memoryTimers: Int = 1_000_000

    static func commaSeparated(_ list: String) -> [String] {
        list.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) }
    }

    func run() async throws {
        var logger = Logger(label: "referral-router.bench")
        logger.logLevel = .info
        if let timers {
            let measured = try PipelineBenchmark.timerMemory(timers: timers, logger: logger)
            print(
                "\(measured.referrals) referrals, \(measured.openTimers) open timers: resident set grew by \(measured.residentGrowthBytes >> 20) MiB (\(measured.bytesPerOpenTimer) bytes per open timer, including each referral's state); peak resident \(measured.peakResidentBytes >> 20) MiB"
            )
            if let output { try Self.write(measured, to: output) }
            return
        }
        guard self.memoryTimers >= 0 else { throw ValidationError("--memory-timers takes a count, 0 to skip") }
        // First, so that the figure does not depend on what the other runs leave in the machine's page cache.
        let timerMemory = self.memoryTimers > 0 ? try Self.timerMemoryInChildProcess(timers: self.memoryTimers, logger: logger) : nil
        var options = PipelineBenchmark.Options()
        options.records = self.records
        options.partitions = self.partitions
        options.latencyRate = self.latencyRate
        options.latencySeconds = self.latencySeconds
        options.skipThroughput = self.noThroughput
        for assignment in self.property {
            let parts = assignment.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--property takes key=value, got \(assignment)") }
            options.kafkaProperties[String(parts[0])] = String(parts[1])
        }
        options.skipLatency = self.noLatency
        options.timeline = self.timeline
        options.latencyGuarantees = Self.commaSeparated(self.latencyGuarantees)
        let unknownGuarantees = Set(options.latencyGuarantees).subtracting(["at_least_once", "exactly_once"])
        guard unknownGuarantees.isEmpty else {
            throw ValidationError("--latency-guarantees takes at_least_once and exactly_once; not \(unknownGuarantees.sorted().joined(separator: ", "))")
        }
        options.rounds = self.rounds
        options.warmup = !self.noWarmup
        options.phases = Set(Self.commaSeparated(self.phases))
        let unknown = options.phases.subtracting(["raw", "router", "eos"])
        guard unknown.isEmpty else { throw ValidationError("--phases takes raw, router and eos; not \(unknown.sorted().joined(separator: ", "))") }
        var result = try await PipelineBenchmark.run(options, logger: logger)
        result.timerMemory = timerMemory
        func rate(_ value: Double) -> String { String(Int(value.rounded())) }
        func ratio(_ value: Double) -> String { String(format: "%.2f", value) }
        print("records: \(result.records) over \(result.partitions) partitions (\(result.inputBytes >> 20) MiB input), \(String(format: "%.2f", result.outputsPerRecord)) outputs per record")
        if result.rounds.count > 1 {
            for round in result.rounds {
                let parts = [round.rawPipe.map { "raw \(rate($0.recordsPerSecond))/s" }, round.router.map { "router \(ratio($0.ratio)) ×" }, round.exactlyOnce.map { "exactly_once \(ratio($0.ratio)) ×" }]
                print("round \(round.round): " + parts.compactMap { $0 }.joined(separator: ", "))
            }
            print("median round of each phase:")
        }
        if let raw = result.rawPipe {
            print("raw pipe:              \(rate(raw.recordsPerSecond)) records/s  (CPU \(rate(raw.cpuMicrosecondsPerRecord)) µs per record)")
        }
        if let router = result.router {
            print("router (default):      \(rate(router.recordsPerSecond)) records/s  = \(ratio(router.ratio)) × raw pipe  (CPU \(rate(router.cpuMicrosecondsPerRecord)) µs per record)")
        }
        if let eos = result.exactlyOnce {
            print("router (exactly_once): \(rate(eos.recordsPerSecond)) records/s  = \(ratio(eos.ratio)) × raw pipe  (CPU \(rate(eos.cpuMicrosecondsPerRecord)) µs per record)")
        }
        for latency in result.latency {
            func ms(_ value: Double) -> String { String(format: "%.1f", value) }
            print(
                "latency (\(latency.guarantee), \(latency.offeredPerSecond)/s offered, \(latency.measured) assignments): p50 \(ms(latency.p50Ms)) ms, p99 \(ms(latency.p99Ms)) ms, p99.9 \(ms(latency.p999Ms)) ms, max \(ms(latency.maxMs)) ms (target p99 ≤ \(ms(latency.targetP99Ms)) ms)\(latency.machineStolenPercent.map { "; machine \(ms(latency.machineIdlePercent ?? 0)) % idle, \(ms($0)) % stolen" } ?? "")"
            )
            for window in (latency.timeline ?? []).sorted(by: { $0.maxLatencyMs > $1.maxLatencyMs }).prefix(8).sorted(by: { $0.atSeconds < $1.atSeconds }) {
                func top(_ times: [String: Double]) -> String {
                    times.sorted { $0.value > $1.value }.prefix(5).map { "\($0.key) \(ms($0.value))" }.joined(separator: ", ")
                }
                print(
                    "  \(String(format: "%5.1f", window.atSeconds)) s: \(window.assignments) assignments, worst \(ms(window.maxLatencyMs)) ms, feeder late \(ms(window.feederLateMs)) ms, idle \(ms(window.idleMs)) ms, steal \(ms(window.stealMs)) ms; run [\(top(window.threadRunMs))]; waited [\(top(window.threadWaitMs))]"
                )
            }
        }
        if let memory = result.timerMemory {
            print(
                "memory (\(memory.openTimers) open timers, \(memory.referrals) referrals, own process): peak resident \(memory.peakResidentBytes >> 20) MiB (target ≤ \(memory.targetPeakResidentBytes >> 20) MiB); the state grew by \(memory.residentGrowthBytes >> 20) MiB, \(memory.bytesPerOpenTimer) bytes per open timer"
            )
        }
        if let output { try Self.write(result, to: output) }
    }

    static func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    }

    /// Runs `bench --timers` in a child process (this executable again), whose peak resident set is then the
    /// state's and the runtime's alone, not what a throughput run's broker and buffers left behind.
    static func timerMemoryInChildProcess(timers: Int, logger: Logger) throws -> PipelineBenchmark.TimerMemory {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("referral-router-timers-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["bench", "--timers", String(timers), "--output", output.path]
        child.standardOutput = FileHandle.nullDevice
        logger.info("Memory: deciding referrals in a child process until timers are open", metadata: ["timers": "\(timers)"])
        try child.run()
        child.waitUntilExit()
        guard child.terminationReason == .exit, child.terminationStatus == 0 else {
            FileHandle.standardError.write(Data("referral-router: the memory measure's child process (bench --timers \(timers)) failed with status \(child.terminationStatus)\n".utf8))
            throw ExitCode(1)
        }
        return try JSONDecoder().decode(PipelineBenchmark.TimerMemory.self, from: Data(contentsOf: output))
    }
}
