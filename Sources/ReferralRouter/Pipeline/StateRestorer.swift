import Foundation
import KafkaIO
import Logging
import SteeringModel

/// Reads what a partition's previous owner left: its state-topic records (from the beginning) and the tails of its
/// output partitions (from the last checkpoint), before any of its input records is processed.
///
/// The state topic is compacted on a real cluster (the last record of each referral and each checkpoint is kept),
/// so a restore reads one record per referral plus the not-yet-compacted tail.
struct StateRestorer {
    let settings: RouterSettings
    let logger: Logger
    /// The bound of the whole restore (the state and the output tails together), from when the restorer is made.
    let deadline: Date
    /// Called about every 200 ms while reading (the loop's heartbeat and watchdog).
    var progress: () -> Void = {}

    init(settings: RouterSettings, logger: Logger, timeout: TimeInterval = 120, progress: @escaping () -> Void = {}) {
        self.settings = settings
        self.logger = logger
        self.deadline = Date().addingTimeInterval(timeout)
        self.progress = progress
    }

    /// State records per partition number.
    func restore(partitions: [Int32]) throws -> [Int32: [KafkaRecord]] {
        let topic = self.settings.topics.state
        let starts = Dictionary(uniqueKeysWithValues: partitions.map { (KafkaPartition(topic: topic, partition: $0), KafkaConsumerClient.beginning) })
        let records = try self.read(starts).records
        var result: [Int32: [KafkaRecord]] = [:]
        for (partition, list) in records {
            result[partition.partition] = list
        }
        let count = records.values.reduce(0) { $0 + $1.count }
        self.logger.info("State restored", metadata: ["partitions": "\(partitions)", "records": "\(count)"])
        return result
    }

    /// What the output tails hold: per partition number, the output ids published from the given offsets to the
    /// end; per output partition whose retention deleted part of that range, the time (ms since 1970) from which
    /// what it holds is complete: the first record left's timestamp (`Int64.max` when none is left).
    struct Tails {
        var published: [Int32: Set<String>] = [:]
        /// Per partition number, the owner team each assignment on the tail names, by referral id.
        var owners: [Int32: [String: String]] = [:]
        var completeFrom: [KafkaPartition: Int64] = [:]
    }

    /// The output ids published on each output partition from the given offsets to the end.
    func publishedOutputs(from starts: [KafkaPartition: Int64]) throws -> Tails {
        let (records, truncated) = try self.read(starts)
        var tails = Tails()
        for partition in truncated {
            tails.completeFrom[partition] = records[partition]?.first.map { max(0, $0.timestamp) } ?? Int64.max
        }
        var result: [Int32: Set<String>] = [:]
        var count = 0
        for (partition, list) in records {
            for record in list {
                // The first: the router writes its own before any header it copies (a dead letter keeps its input's,
                // which may carry an output id of their own).
                if let id = record.headers.first(where: { $0.key == "referral-router.output-id" })?.stringValue {
                    result[partition.partition, default: []].insert(id)
                    count += 1
                    if partition.topic == self.settings.topics.assignments, let (referralId, owner) = Self.owner(ofAssignment: record.value) {
                        tails.owners[partition.partition, default: [:]][referralId] = owner
                    }
                }
            }
        }
        self.logger.info("Output tails read", metadata: ["partitions": "\(starts.count)", "outputs": "\(count)"])
        tails.published = result
        return tails
    }

    /// The referral and the owner team an assignment record names (`referralId`, `owner.teamId`); `nil` for
    /// anything else.
    static func owner(ofAssignment value: [UInt8]) -> (referralId: String, teamId: String)? {
        guard case .success(.object(let object)) = JSONParser.parse(value),
            case .string(let referralId)? = object["referralId"],
            case .object(let owner)? = object["owner"], case .string(let teamId)? = owner["teamId"]
        else { return nil }
        return (referralId, teamId)
    }

    /// Reads partitions from the given offsets to their current end; also says which started below their low
    /// watermark (retention deleted part of the range asked for).
    private func read(_ starts: [KafkaPartition: Int64]) throws -> (records: [KafkaPartition: [KafkaRecord]], truncated: Set<KafkaPartition>) {
        guard !starts.isEmpty else { return ([:], []) }
        var properties = RouterService.commonProperties(self.settings)
        properties["group.id"] = "\(self.settings.kafka.groupId).restore"
        properties["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumerClient(properties: properties, logger: self.logger)
        defer { consumer.close() }
        var remaining: [KafkaPartition: Int64] = [:]
        var assignments: [(KafkaPartition, Int64)] = []
        var truncated: Set<KafkaPartition> = []
        for (partition, start) in starts {
            // One query per partition, each a round trip: a restore of many partitions on a slow broker beats here too.
            self.progress()
            let marks = try consumer.watermarks(partition, timeoutMilliseconds: 5000)
            if start != KafkaConsumerClient.beginning, start < marks.low { truncated.insert(partition) }
            let from = start == KafkaConsumerClient.beginning ? marks.low : max(start, marks.low)
            if marks.high > from {
                remaining[partition] = marks.high
                assignments.append((partition, start == KafkaConsumerClient.beginning ? start : from))
            }
        }
        var records: [KafkaPartition: [KafkaRecord]] = [:]
        guard !remaining.isEmpty else { return (records, truncated) }
        let started = Date()
        var lastProgress = started
        try consumer.assign(assignments.map(\.0), offsets: assignments.map(\.1))
        while !remaining.isEmpty {
            guard Date() < self.deadline else {
                throw KafkaIOError(.timeout, "reading \(remaining.keys.sorted()) timed out")
            }
            if Date().timeIntervalSince(lastProgress) >= 0.2 {
                self.progress()
                lastProgress = Date()
            }
            guard let record = try consumer.poll(timeoutMilliseconds: 200) else {
                // The last offsets of a transactional partition are commit markers, which are never returned:
                // a partition is read when the consumer's position reaches the high watermark.
                for (partition, position) in consumer.positions(Array(remaining.keys)) where position >= remaining[partition]! {
                    remaining.removeValue(forKey: partition)
                }
                continue
            }
            let partition = KafkaPartition(topic: record.topic, partition: record.partition)
            records[partition, default: []].append(record)
            if let high = remaining[partition], record.offset >= high - 1 {
                remaining.removeValue(forKey: partition)
            }
        }
        return (records, truncated)
    }
}
