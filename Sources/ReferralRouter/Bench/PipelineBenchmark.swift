import Foundation
import Histogram
import KafkaIO
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SteeringModel

/// Measures the router against the raw librdkafka pipe in one process and run, on the embedded mock cluster.
///
/// The raw pipe consumes the same input and, for every record, produces exactly the records the router would
/// (same topics, partitions and bytes, computed beforehand), with the same client settings and the same offset
/// handling (store after delivery, commit once a second) — but without decoding or deciding anything. It is the I/O
/// ceiling of this router on this machine and broker; the router's throughput is reported as a ratio to it.
public enum PipelineBenchmark {
    /// Resident memory of the router's state holding `timers` open timers: referrals are decided (each policy
    /// starts one to three milestones) until that many timers run. Measures the growth of the resident set and the
    /// process's peak resident set (VmHWM), so it means something only in a process that has done nothing else
    /// (`referral-router bench` runs it in a child process of its own).
    public static func timerMemory(timers target: Int, logger: Logger) throws -> TimerMemory {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let topics = RouterSettings.Topics()
        let processor = RecordProcessor(
            configuration: configuration, topics: topics, source: "urn:referral-router:bench",
            maxRecordBytes: 65536, clock: { Date() })
        var traffic = SyntheticTraffic(seed: 1_000_000, prefix: "timer", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let before = Self.residentBytes()
        let submittedAt = Date()
        var started = 0
        var referrals = 0
        while started < target {
            let input = traffic.valid(submittedAt: submittedAt)
            let record = KafkaRecord(
                topic: topics.requests, partition: Int32(referrals % 32), offset: Int64(referrals / 32), key: input.key,
                value: input.value)
            started += processor.process(record).materialize().count { $0.topic == topics.sla }
            referrals += 1
            if referrals % 100_000 == 0 {
                logger.info("Timers", metadata: ["referrals": "\(referrals)", "timers": "\(started)", "residentMiB": "\(Self.residentBytes() >> 20)"])
            }
        }
        let open = processor.timerCounts().values.reduce(0) { $0 + $1.open }
        let grown = Self.residentBytes() - before
        return withExtendedLifetime(processor) {
            TimerMemory(openTimers: open, referrals: referrals, residentGrowthBytes: grown, peakResidentBytes: Self.peakResidentBytes())
        }
    }

    /// The resident memory of the router's state with many open timers (``timerMemory(timers:logger:)``).
    public struct TimerMemory: Codable, Sendable, Equatable {
        public static let targetPeakResidentBytes = 512 << 20

        /// Open timers in the state when measured (at least as many as asked for).
        public var openTimers: Int
        /// Referrals decided to open them.
        public var referrals: Int
        /// Growth of the resident set while they were decided, in bytes.
        public var residentGrowthBytes: Int
        /// The whole process's peak resident set (VmHWM), in bytes.
        public var peakResidentBytes: Int
        public var targetPeakResidentBytes = Self.targetPeakResidentBytes

        public init(openTimers: Int, referrals: Int, residentGrowthBytes: Int, peakResidentBytes: Int) {
            self.openTimers = openTimers
            self.referrals = referrals
            self.residentGrowthBytes = residentGrowthBytes
            self.peakResidentBytes = peakResidentBytes
        }

        /// Growth of the resident set per open timer, each referral's state included.
        public var bytesPerOpenTimer: Int { self.residentGrowthBytes / max(self.openTimers, 1) }
    }

    static func peakResidentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0) * 1024
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * 4096 : 0
    }

    /// What to run.
    public struct Options: Sendable {
        public var records = 500_000
        /// The least number of partitions per topic; raised so that no input partition holds more than about
        /// 3 MiB (the mock cluster keeps only about 5 MiB per partition and silently drops older data).
        public var partitions = 32
        /// Offered load of the latency runs, requests per second.
        public var latencyRate = 2000
        /// Length of each latency run, seconds (the first `latencyWarmup` seconds are not measured). Short by
        /// default: the mock cluster finds a fetch's offset by walking the partition's list of record batches, so
        /// its cost grows with every batch produced, and after about 20 s at 2,000 requests/s the broker thread, not
        /// the router, dominates the latency (see docs/performance.md).
        public var latencySeconds = 10
        public var latencyWarmup = 3
        /// The guarantees of the latency runs, in order.
        public var latencyGuarantees = ["at_least_once", "exactly_once"]
        public var transactionIntervalMs = 100
        /// Write each latency run's timeline (100 ms windows: assignments, worst latency, the feeder's lateness,
        /// each thread's CPU and runnable-wait time, the machine's idle and stolen time) into the results.
        public var timeline = false
        /// librdkafka properties for the router's clients and the raw pipe's (experiments: `linger.ms` …).
        public var kafkaProperties: [String: String] = [:]
        public var skipThroughput = false
        public var skipLatency = false
        /// The throughput phases to run (`raw`, `router`, `eos`); fewer for profiling one of them. Without `raw`
        /// no ratio is computed (it is reported as 0).
        public var phases: Set<String> = ["raw", "router", "eos"]
        /// Rounds of the throughput phases; the median round is reported (see `Result.rounds` for all of them).
        public var rounds = 1
        /// An unmeasured raw pipe pass before the first round.
        public var warmup = true

        public init() {}
    }

    public struct Throughput: Codable, Sendable {
        public var recordsPerSecond: Double
        public var seconds: Double
        /// CPU time of the whole process (router or pipe, librdkafka threads and the in-process broker) per input
        /// record, in microseconds, over the same interval.
        public var cpuMicrosecondsPerRecord: Double
        /// Throughput as a ratio to the raw pipe of the same run.
        public var ratio: Double
    }

    public struct Latency: Codable, Sendable {
        public var guarantee: String
        public var offeredPerSecond: Int
        public var achievedPerSecond: Double
        /// Assignments measured (after the warm-up).
        public var measured: Int
        public var p50Ms: Double
        public var p90Ms: Double
        public var p99Ms: Double
        public var p999Ms: Double
        public var maxMs: Double
        public var targetP99Ms: Double
        public var transactionIntervalMs: Int?
        /// The machine's time during the measured part of the feed (all of it, not only this process's): idle, and
        /// stolen by the hypervisor for other guests. On this shared machine runs with steal show stalls of
        /// 50-200 ms that runs without it do not (docs/performance.md).
        public var machineIdlePercent: Double?
        public var machineStolenPercent: Double?
        /// With `Options.timeline`: the measured part of the run in 100 ms windows.
        public var timeline: [LatencyTimeline.Window]?
    }

    /// One round of the throughput phases, run one after the other; ratios are within the round.
    public struct Round: Codable, Sendable {
        public var round: Int
        public var rawPipe: Throughput?
        public var router: Throughput?
        public var exactlyOnce: Throughput?
    }

    public struct Result: Codable, Sendable {
        public var records: Int
        public var partitions: Int
        public var inputBytes: Int
        public var outputsPerRecord: Double
        public var rawPipe: Throughput?
        public var router: Throughput?
        public var exactlyOnce: Throughput?
        public var latency: [Latency] = []
        public var rounds: [Round] = []
        /// Measured in a child process of its own before the throughput and latency runs (`bench --memory-timers`).
        public var timerMemory: TimerMemory?
        public var machine: String
        public var date: String
    }

    /// A fresh mock cluster for one phase (no phase pays for the data another left in the broker), with the
    /// phase's topics created and `settings` pointed at it.
    static func phaseCluster(_ settings: inout RouterSettings, partitions: Int, logger: Logger) throws -> KafkaMockCluster {
        let cluster = try KafkaMockCluster(brokers: 1, logger: logger)
        settings.useEmbeddedBroker(
            cluster.bootstrapServers,
            fetchWaitMilliseconds: settings.kafka.properties["fetch.wait.max.ms"] ?? KafkaMockCluster.fetchWaitMilliseconds)
        try Self.createTopics(settings.topics, partitions: partitions, cluster: cluster)
        return cluster
    }

    static func createTopics(_ topics: RouterSettings.Topics, partitions: Int, cluster: KafkaMockCluster) throws {
        let t = topics
        for topic in [t.requests, t.status, t.assignments, t.consultations, t.sla, t.rejections, t.deadletter, t.state] {
            try cluster.createTopic(topic, partitions: partitions)
        }
    }

    public static func run(_ options: Options, logger: Logger) async throws -> Result {
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        var settings = RouterSettings()
        settings.kafka.sessionTimeoutMs = 6000
        settings.http.port = 0
        settings.logging.level = "error"
        settings.pipeline.maxInFlightRecords = 20_000
        settings.processing.transactionIntervalMs = options.transactionIntervalMs
        settings.kafka.properties.merge(options.kafkaProperties) { $1 }
        let configuration = try SteeringConfiguration.load(directory: settings.steering.directory ?? SteeringConfiguration.defaultDirectory)

        // Input: the demo generator's mix (5 % invalid, 3 % repeated ids), spread round-robin so that each
        // record's partition and offset are known.
        let records = options.records
        var traffic = SyntheticTraffic(seed: 500, prefix: "bench", invalidShare: 0.05, duplicateShare: 0.03, statusShare: 0)
        let submittedAt = Date()
        let inputs = options.skipThroughput ? [] : (0..<records).map { _ in traffic.next(submittedAt: submittedAt) }
        let inputBytes = inputs.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) }
        let perPartitionLimit = 3 << 20
        var partitions = max(options.partitions, (inputBytes + perPartitionLimit - 1) / perPartitionLimit)
        partitions = (partitions + 7) / 8 * 8
        var result = Result(
            records: records, partitions: partitions, inputBytes: inputBytes, outputsPerRecord: 0,
            machine: "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB",
            date: RFC3339.format(Date()))

        // Latency first, in a process no throughput run has loaded yet.
        if !options.skipLatency {
            for guarantee in options.latencyGuarantees {
                var latency = settings
                latency.topics = RouterSettings.Topics().prefixed("latency-\(guarantee)")
                latency.kafka.groupId = "bench-latency-\(guarantee)"
                if guarantee == "exactly_once" {
                    latency.processing.guarantee = "exactly_once"
                    latency.processing.transactionalId = "bench-latency-eos"
                }
                let latencyCluster = try Self.phaseCluster(&latency, partitions: options.partitions, logger: quiet)
                logger.info(
                    "Latency",
                    metadata: ["guarantee": "\(guarantee)", "offered": "\(options.latencyRate)/s", "threads": "\(Self.threadCount())"])
                result.latency.append(
                    try await Self.latency(settings: latency, configuration: configuration, options: options, logger: quiet))
                withExtendedLifetime(latencyCluster) {}
            }
        }

        if !options.skipThroughput {
            let runRaw = options.phases.contains("raw")
            logger.info(
                "Input", metadata: ["records": "\(records)", "partitions": "\(partitions)", "bytes": "\(inputBytes)"])
            // The raw pipe's outputs: exactly what the router publishes for each record, computed beforehand.
            let rawTopics = RouterSettings.Topics().prefixed("raw")
            let processor = RecordProcessor(
                configuration: configuration, topics: rawTopics, source: "urn:referral-router:bench", maxRecordBytes: 65536,
                clock: { submittedAt })
            var outputs: [[[OutputRecord]]] = Array(repeating: [], count: partitions)
            var outputCount = 0
            for (index, input) in inputs.enumerated() where runRaw || index < 20_000 {
                let record = KafkaRecord(
                    topic: rawTopics.requests, partition: Int32(index % partitions), offset: Int64(index / partitions),
                    key: input.key, value: input.value)
                let processed = processor.process(record).materialize()
                outputCount += processed.count
                outputs[index % partitions].append(processed)
            }
            result.outputsPerRecord = Double(outputCount) / Double(runRaw ? records : min(records, 20_000))

            var raw = settings
            raw.topics = rawTopics
            raw.kafka.groupId = "bench-raw"
            var eos = settings
            eos.processing.guarantee = "exactly_once"
            eos.processing.transactionalId = "bench-eos"
            let perRecord = { (cpu: Double) in cpu / Double(records) * 1_000_000 }
            // Rounds of raw pipe, router and exactly_once one after the other: this shared machine's speed drifts by
            // ±15 % between minutes, so each ratio is taken within its round and the median round is reported.
            /// One pass of the raw pipe on a fresh cluster: seconds and CPU seconds.
            func rawPass(_ label: String) throws -> (seconds: Double, cpu: Double) {
                try withExtendedLifetime(try Self.phaseCluster(&raw, partitions: partitions, logger: quiet)) { cluster in
                    try Self.produceInput(inputs, topic: rawTopics.requests, partitions: partitions, cluster: cluster, logger: quiet)
                    logger.info("\(label)")
                    return try Self.rawPipe(settings: raw, outputs: outputs, records: records, logger: quiet)
                }
            }
            // A warm-up pass of the raw pipe, not measured: the first phase of the process paid for growing the heap
            // (the mock's and the clients' buffers), 10-25 % of its throughput, and it was always the raw pipe.
            if runRaw, options.warmup {
                _ = try rawPass("Warm-up (raw pipe, not measured)")
            }
            for round in 1...max(1, options.rounds) {
                var entry = Round(round: round)
                if runRaw {
                    let (seconds, cpu) = try rawPass("Raw pipe, round \(round)")
                    entry.rawPipe = Throughput(
                        recordsPerSecond: Double(records) / seconds, seconds: seconds, cpuMicrosecondsPerRecord: perRecord(cpu),
                        ratio: 1)
                }
                for (phase, phaseSettings) in [("router", settings), ("eos", eos)] where options.phases.contains(phase) {
                    logger.info(
                        "Router (\(phaseSettings.processing.guarantee))",
                        metadata: ["round": "\(round)", "threads": "\(Self.threadCount())"])
                    let (seconds, cpu) = try await Self.routerPhase(
                        "\(phase)-\(round)", settings: phaseSettings, inputs: inputs, partitions: partitions,
                        configuration: configuration, logger: quiet)
                    let throughput = Throughput(
                        recordsPerSecond: Double(records) / seconds, seconds: seconds, cpuMicrosecondsPerRecord: perRecord(cpu),
                        ratio: entry.rawPipe.map { $0.seconds / seconds } ?? 0)
                    if phaseSettings.processing.isExactlyOnce { entry.exactlyOnce = throughput } else { entry.router = throughput }
                }
                result.rounds.append(entry)
            }
            outputs = []
            // The median round of each phase, by its ratio (by throughput for the raw pipe).
            func median(_ values: [Throughput]) -> Throughput? {
                values.isEmpty ? nil : values.sorted { ($0.ratio, $0.recordsPerSecond) < ($1.ratio, $1.recordsPerSecond) }[values.count / 2]
            }
            result.rawPipe = median(result.rounds.compactMap(\.rawPipe))
            result.router = median(result.rounds.compactMap(\.router))
            result.exactlyOnce = median(result.rounds.compactMap(\.exactlyOnce))
        }

        return result
    }

    /// One router phase on its own cluster (gone when the phase returns), topics prefixed with `phase`.
    static func routerPhase(
        _ phase: String, settings: RouterSettings, inputs: [SyntheticTraffic.Record], partitions: Int,
        configuration: SteeringConfiguration, logger: Logger
    ) async throws -> (seconds: Double, cpu: Double) {
        var settings = settings
        settings.topics = RouterSettings.Topics().prefixed(phase)
        settings.kafka.groupId = "bench-\(phase)"
        let cluster = try Self.phaseCluster(&settings, partitions: partitions, logger: logger)
        defer { withExtendedLifetime(cluster) {} }
        try Self.produceInput(inputs, topic: settings.topics.requests, partitions: partitions, cluster: cluster, logger: logger)
        return try await Self.router(settings: settings, configuration: configuration, records: inputs.count, logger: logger)
    }

    /// Produces the input to a phase's request topic, record `i` to partition `i mod partitions`.
    static func produceInput(
        _ inputs: [SyntheticTraffic.Record], topic: String, partitions: Int, cluster: KafkaMockCluster, logger: Logger
    ) throws {
        let producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "20", "log_level": "0"], logger: logger,
            onDelivery: { _ in })
        producer.startPolling()
        defer { producer.stopPolling() }
        for (index, input) in inputs.enumerated() {
            try producer.produce(
                topic: topic, partition: Int32(index % partitions), key: input.key, value: input.value, headers: [], token: 1)
        }
        _ = producer.flush(timeoutMilliseconds: 300_000)
    }

    /// The router under a fixed offered load: a feeder thread sends requests at `latencyRate` per second, each
    /// stamped with the instant it was due to be sent (so a feeder that falls behind does not hide queueing), and
    /// the router reports each assignment's latency from that stamp to its delivery.
    static func latency(
        settings: RouterSettings, configuration: SteeringConfiguration, options: Options, logger: Logger
    ) async throws -> Latency {
        let histogram = NIOLockedValueBox(Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three))
        // When measuring starts, and the timeline (with `Options.timeline`) once the feed's start is known.
        let measuring = NIOLockedValueBox<(from: Date, timeline: LatencyTimeline?)>((.distantFuture, nil))
        var owners: [Int: String] = [:]
        if options.timeline { LatencyTimeline.labelNewThreads(&owners, as: "mock") }
        let application = try RouterApplication(
            settings: settings, configuration: configuration, logger: logger,
            assignmentLatencyObserver: { microseconds in
                let (from, timeline) = measuring.withLockedValue { $0 }
                guard Date() >= from else { return }
                histogram.withLockedValue { _ = $0.record(UInt64(microseconds)) }
                timeline?.assignment(latencyMicroseconds: microseconds)
            })
        let serviceGroup = application.makeServiceGroup()
        let task = Task { try await serviceGroup.run() }
        let readyBy = Date().addingTimeInterval(60)
        while !application.isReady, Date() < readyBy {
            try await Task.sleep(for: .milliseconds(50))
        }
        if options.timeline { LatencyTimeline.labelNewThreads(&owners, as: "router") }

        let total = options.latencyRate * options.latencySeconds
        var traffic = SyntheticTraffic(seed: 900, prefix: "latency", invalidShare: 0.05, duplicateShare: 0.03, statusShare: 0)
        let inputs = (0..<total).map { _ in traffic.next(submittedAt: Date()) }
        let producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": settings.kafka.bootstrapServers, "linger.ms": "1", "log_level": "0"],
            logger: logger, onDelivery: { _ in })
        producer.startPolling()
        let start = Date().addingTimeInterval(0.05)
        let measuredFrom = start.addingTimeInterval(Double(options.latencyWarmup))
        if options.timeline { LatencyTimeline.labelNewThreads(&owners, as: "feeder") }
        let timeline = options.timeline
            ? LatencyTimeline(start: start, seconds: Double(options.latencySeconds) + 2, owners: owners) : nil
        measuring.withLockedValue { $0 = (measuredFrom, timeline) }
        timeline?.startSampling()
        let topic = settings.topics.requests
        let rate = Double(options.latencyRate)
        typealias Machine = (idle: UInt64, steal: UInt64, total: UInt64)
        // The feeder has its own thread: it sleeps between requests, which must not hold one of the cooperative
        // pool's threads (two on this machine) for the whole run. It returns the feed's end and the machine's times
        // when measuring started and when the feed ended.
        let (fed, machineBefore, machineAfter): (Date, Machine?, Machine) = try await withCheckedThrowingContinuation { continuation in
            let feeder = Thread {
                nameCurrentThread("bench-feeder")
                do {
                    var machineBefore: Machine?
                    for (index, input) in inputs.enumerated() {
                        let due = start.addingTimeInterval(Double(index) / rate)
                        if machineBefore == nil, due >= measuredFrom {
                            machineBefore = LatencyTimeline.machine()
                        }
                        let wait = due.timeIntervalSinceNow
                        if wait > 0 {
                            usleep(useconds_t(wait * 1_000_000))
                        }
                        try producer.produce(
                            topic: topic, partition: nil, key: input.key, value: input.value, headers: [],
                            timestamp: due.epochMilliseconds, token: 1)
                        timeline?.fed(due: due)
                    }
                    continuation.resume(returning: (Date(), machineBefore, LatencyTimeline.machine()))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            feeder.start()
        }
        let achieved = Double(total) / fed.timeIntervalSince(start)
        _ = producer.flush(timeoutMilliseconds: 30_000)
        producer.stopPolling()
        let doneBy = Date().addingTimeInterval(120)
        while application.processedRecords < total || application.statistics.snapshot.recordsInFlight > 0, Date() < doneBy {
            try await Task.sleep(for: .milliseconds(20))
        }
        // The last transaction commits on its interval, not in the shutdown: wait until no assignment is measured
        // any more (in exactly-once mode they are measured when their transaction commits).
        var lastCount = histogram.withLockedValue { $0.totalCount }
        while Date() < doneBy {
            try await Task.sleep(for: .milliseconds(Int64(settings.processing.transactionIntervalMs) * 2 + 50))
            let count = histogram.withLockedValue { $0.totalCount }
            if count == lastCount { break }
            lastCount = count
        }
        timeline?.stop()
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await task.value
        let measured = histogram.withLockedValue { $0 }
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        let isExactlyOnce = settings.processing.isExactlyOnce
        let machine = machineBefore.map { LatencyTimeline.shares(from: $0, to: machineAfter) }
        return Latency(
            guarantee: settings.processing.guarantee, offeredPerSecond: options.latencyRate, achievedPerSecond: achieved,
            measured: Int(measured.totalCount), p50Ms: ms(measured.valueAtPercentile(50)), p90Ms: ms(measured.valueAtPercentile(90)),
            p99Ms: ms(measured.valueAtPercentile(99)), p999Ms: ms(measured.valueAtPercentile(99.9)), maxMs: ms(measured.max),
            targetP99Ms: isExactlyOnce ? Double(settings.processing.transactionIntervalMs) + 25 : 25,
            transactionIntervalMs: isExactlyOnce ? settings.processing.transactionIntervalMs : nil,
            machineIdlePercent: machine.map { ($0.idle * 10).rounded() / 10 },
            machineStolenPercent: machine.map { ($0.steal * 10).rounded() / 10 },
            timeline: timeline?.result(from: Double(options.latencyWarmup)))
    }

    /// Consumes the input and publishes the pre-built outputs; returns the seconds from the first record to the
    /// last confirmed one.
    static func rawPipe(settings: RouterSettings, outputs: [[[OutputRecord]]], records: Int, logger: Logger) throws -> (seconds: Double, cpu: Double) {
        let tracker = OffsetTracker()
        let producer = try KafkaProducerClient(
            properties: RouterService.producerProperties(settings), logger: logger,
            onDeliveries: { reports in tracker.delivered(reports) })
        let consumer = try KafkaConsumerClient(properties: RouterService.consumerProperties(settings), logger: logger)
        final class Listener: KafkaRebalanceListener, @unchecked Sendable {
            func partitionsRevoked(_ partitions: [KafkaPartition]) {}
            func partitionsAssigned(_ partitions: [KafkaPartition]) {}
        }
        let listener = Listener()
        producer.startPolling()
        defer { producer.stopPolling() }
        try consumer.subscribe([settings.topics.requests], listener: listener)
        defer { consumer.close() }
        var processed = 0
        var started: Date?
        var lastCommit = Date()
        var lastStore = ContinuousClock.now
        var cpuStart = 0.0
        var round: [KafkaRecord] = []
        round.reserveCapacity(RouterService.recordsPerIteration)
        while true {
            if processed >= records, tracker.recordsInFlight == 0 { break }
            // The router's loop shape: up to 64 records per round, offsets stored every 20 ms, committed each second.
            // Like the router's output worker, a round's records are registered with the tracker in one call.
            round.removeAll(keepingCapacity: true)
            while round.count < RouterService.recordsPerIteration,
                let record = try consumer.poll(timeoutMilliseconds: round.isEmpty ? 100 : 0)
            {
                if started == nil {
                    started = Date()
                    cpuStart = Self.processCPUSeconds()
                }
                round.append(record)
            }
            let batches = round.map { outputs[Int($0.partition)][Int($0.offset)] }
            let tokens = tracker.register(round.indices.map { index in
                (KafkaPartition(topic: round[index].topic, partition: round[index].partition), round[index].offset, batches[index].map(\.topic))
            })
            for index in round.indices {
                for at in batches[index].indices {
                    try producer.produce(batches[index], at: at, token: tokens[index][at])
                }
            }
            processed += round.count
            if ContinuousClock.now - lastStore >= .milliseconds(20) {
                lastStore = ContinuousClock.now
                for checkpoint in tracker.takeCommittable() {
                    try consumer.storeOffset(checkpoint.partition, nextOffset: checkpoint.offset)
                }
            }
            if Date().timeIntervalSince(lastCommit) >= 1 {
                try? consumer.commitStored()
                lastCommit = Date()
            }
        }
        return (max(Date().timeIntervalSince(started ?? Date()), 0.001), Self.processCPUSeconds() - cpuStart)
    }

    /// Threads of the process (each phase must leave none of its clients behind).
    static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    /// User and system CPU time of the process so far, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Runs the real router until it has finished every record; returns the seconds from the first record to the
    /// last one finished.
    static func router(
        settings: RouterSettings,
        configuration: SteeringConfiguration,
        records: Int,
        logger: Logger
    ) async throws -> (seconds: Double, cpu: Double) {
        let application = try RouterApplication(settings: settings, configuration: configuration, logger: logger)
        let serviceGroup = application.makeServiceGroup()
        let task = Task { try await serviceGroup.run() }
        var started: Date?
        var finished: Date?
        var cpuStart = 0.0
        var cpuEnd = 0.0
        while finished == nil {
            let processed = application.processedRecords
            if started == nil, processed > 0 {
                started = Date()
                cpuStart = Self.processCPUSeconds()
            }
            if processed >= records, application.statistics.snapshot.recordsInFlight == 0 {
                finished = Date()
                cpuEnd = Self.processCPUSeconds()
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await task.value
        return (max(finished!.timeIntervalSince(started ?? finished!), 0.001), cpuEnd - cpuStart)
    }
}
