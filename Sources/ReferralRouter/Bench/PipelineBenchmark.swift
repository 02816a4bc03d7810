import Foundation
import KafkaIO
import Logging
import ServiceLifecycle
import SteeringModel

/// Measures the router against the raw librdkafka pipe in one process and run, on the embedded mock cluster.
///
/// The raw pipe consumes the same input and, for every record, produces exactly the records the router would
/// (same topics, partitions and bytes, computed beforehand), with the same client settings and the same offset
/// handling (store after delivery, commit once a second) — but without decoding or deciding anything. It is the I/O
/// ceiling of this router on this machine and broker; the router's throughput is reported as a ratio to it.
public enum PipelineBenchmark {
    public struct Result: Codable, Sendable {
        public var records: Int
        public var partitions: Int
        public var outputsPerRecord: Double
        public var rawPipeRecordsPerSecond: Double
        public var routerRecordsPerSecond: Double
        public var routerRatio: Double
        public var exactlyOnceRecordsPerSecond: Double
        public var exactlyOnceRatio: Double
        public var machine: String
        public var date: String
    }

    /// Resident memory of the router's state holding `count` referrals with open timers (each referral's policy
    /// has one to three milestones), in bytes, as the growth of the process's resident set.
    public static func timerMemory(count: Int, logger: Logger) throws -> (timers: Int, bytes: Int) {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let processor = RecordProcessor(
            configuration: configuration, topics: RouterSettings.Topics(), source: "urn:referral-router:bench",
            maxRecordBytes: 65536, clock: { Date() })
        var traffic = SyntheticTraffic(seed: 1_000_000, prefix: "timer", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let before = Self.residentBytes()
        let submittedAt = Date()
        for index in 0..<count {
            let input = traffic.valid(submittedAt: submittedAt)
            let record = KafkaRecord(
                topic: "referrals.requests", partition: Int32(index % 32), offset: Int64(index / 32), key: input.key,
                value: input.value)
            _ = processor.process(record)
            if index % 100_000 == 99_999 {
                logger.info("Timers", metadata: ["referrals": "\(index + 1)", "residentMiB": "\(Self.residentBytes() >> 20)"])
            }
        }
        let timers = processor.timerCounts().values.reduce(0) { $0 + $1.open }
        return (timers, Self.residentBytes() - before)
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * 4096 : 0
    }

    public static func run(records: Int, partitions: Int, logger: Logger) async throws -> Result {
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let cluster = try KafkaMockCluster(brokers: 1, logger: quiet)
        var settings = RouterSettings()
        settings.kafka.bootstrapServers = cluster.bootstrapServers
        settings.kafka.sessionTimeoutMs = 6000
        settings.http.port = 0
        settings.logging.level = "error"
        settings.pipeline.maxInFlightRecords = 20_000
        let t = settings.topics
        for topic in [t.requests, t.status, t.assignments, t.consultations, t.sla, t.rejections, t.deadletter, t.state] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        let configuration = try SteeringConfiguration.load(directory: settings.steering.directory ?? SteeringConfiguration.defaultDirectory)

        // Input: the demo generator's mix, spread round-robin so that each record's partition and offset are known.
        logger.info("Producing input", metadata: ["records": "\(records)", "partitions": "\(partitions)"])
        var traffic = SyntheticTraffic(seed: 500, prefix: "bench", invalidShare: 0.05, duplicateShare: 0.03, statusShare: 0)
        let submittedAt = Date()
        let inputs = (0..<records).map { _ in traffic.next(submittedAt: submittedAt) }
        let producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "20", "log_level": "0"], logger: quiet,
            onDelivery: { _ in })
        producer.startPolling()
        for (index, input) in inputs.enumerated() {
            try producer.produce(
                topic: t.requests, partition: Int32(index % partitions), key: input.key, value: input.value, headers: [],
                token: 1)
        }
        _ = producer.flush(timeoutMilliseconds: 120_000)
        producer.stopPolling()

        // The raw pipe's outputs: exactly what the router publishes for each record, computed beforehand.
        let processor = RecordProcessor(
            configuration: configuration, topics: t, source: "urn:referral-router:bench", maxRecordBytes: 65536,
            clock: { submittedAt })
        var outputs: [[[OutputRecord]]] = Array(repeating: [], count: partitions)
        var outputCount = 0
        for (index, input) in inputs.enumerated() {
            let record = KafkaRecord(
                topic: t.requests, partition: Int32(index % partitions), offset: Int64(index / partitions), key: input.key,
                value: input.value)
            let result = processor.process(record)
            outputCount += result.outputs.count
            outputs[index % partitions].append(result.outputs)
        }

        logger.info("Raw pipe")
        let raw = try Self.rawPipe(settings: settings, outputs: outputs, records: records, logger: quiet)
        logger.info("Router (default guarantee)")
        let router = try await Self.router(settings: settings, group: "bench-router", configuration: configuration, records: records, logger: quiet)
        logger.info("Router (exactly_once)")
        var eosSettings = settings
        eosSettings.processing.guarantee = "exactly_once"
        eosSettings.processing.transactionalId = "bench-eos"
        let eos = try await Self.router(settings: eosSettings, group: "bench-eos", configuration: configuration, records: records, logger: quiet)
        withExtendedLifetime(cluster) {}
        return Result(
            records: records, partitions: partitions, outputsPerRecord: Double(outputCount) / Double(records),
            rawPipeRecordsPerSecond: raw, routerRecordsPerSecond: router, routerRatio: router / raw,
            exactlyOnceRecordsPerSecond: eos, exactlyOnceRatio: eos / raw,
            machine: "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_073_741_824) GiB",
            date: RFC3339.format(Date()))
    }

    /// Consumes the input and publishes the pre-built outputs; returns records per second from the first record to
    /// the last confirmed one.
    static func rawPipe(settings: RouterSettings, outputs: [[[OutputRecord]]], records: Int, logger: Logger) throws -> Double {
        var settings = settings
        settings.kafka.groupId = "bench-raw"
        let tracker = OffsetTracker()
        let producer = try KafkaProducerClient(
            properties: RouterService.producerProperties(settings), logger: logger,
            onDelivery: { report in
                tracker.delivered(token: report.token, partition: report.partition, offset: report.offset, error: report.error)
            })
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
        while true {
            if processed >= records, tracker.recordsInFlight == 0 { break }
            if let record = try consumer.poll(timeoutMilliseconds: 100) {
                if started == nil { started = Date() }
                let batch = outputs[Int(record.partition)][Int(record.offset)]
                let partition = KafkaPartition(topic: record.topic, partition: record.partition)
                let tokens = tracker.register(partition, offset: record.offset, outputTopics: batch.map(\.topic))
                for (output, token) in zip(batch, tokens) {
                    try producer.produce(
                        topic: output.topic, partition: output.partition, key: output.key, value: output.value,
                        headers: output.headers, token: token)
                }
                processed += 1
            }
            for checkpoint in tracker.takeCommittable() {
                try consumer.storeOffset(checkpoint.partition, nextOffset: checkpoint.offset)
            }
            if Date().timeIntervalSince(lastCommit) >= 1 {
                try? consumer.commitStored()
                lastCommit = Date()
            }
        }
        let elapsed = Date().timeIntervalSince(started ?? Date())
        return Double(records) / max(elapsed, 0.001)
    }

    /// Runs the real router until it has finished every record; returns records per second from the first record
    /// to the last one finished.
    static func router(
        settings: RouterSettings,
        group: String,
        configuration: SteeringConfiguration,
        records: Int,
        logger: Logger
    ) async throws -> Double {
        var settings = settings
        settings.kafka.groupId = group
        let application = try RouterApplication(settings: settings, configuration: configuration, logger: logger)
        let serviceGroup = application.makeServiceGroup()
        let task = Task { try await serviceGroup.run() }
        var started: Date?
        var finished: Date?
        while finished == nil {
            let processed = application.processedRecords
            if started == nil, processed > 0 { started = Date() }
            if processed >= records, application.statistics.snapshot.recordsInFlight == 0 { finished = Date() }
            try await Task.sleep(for: .milliseconds(5))
        }
        await serviceGroup.triggerGracefulShutdown()
        _ = try? await task.value
        return Double(records) / max(finished!.timeIntervalSince(started ?? finished!), 0.001)
    }
}
