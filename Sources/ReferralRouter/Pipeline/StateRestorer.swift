import Foundation
import KafkaIO
import Logging

/// Reads partitions of the router's state topic from the beginning to their current end.
///
/// The state topic is compacted on a real cluster (the last record of each referral is kept), so a restore reads
/// one record per referral plus the not-yet-compacted tail.
struct StateRestorer {
    let settings: RouterSettings
    let logger: Logger
    var timeout: TimeInterval = 120

    func restore(partitions: [Int32]) throws -> [Int32: [KafkaRecord]] {
        guard !partitions.isEmpty else { return [:] }
        let topic = self.settings.topics.state
        var properties = RouterService.commonProperties(self.settings)
        properties["group.id"] = "\(self.settings.kafka.groupId).restore"
        properties["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumerClient(properties: properties, logger: self.logger)
        defer { consumer.close() }
        var remaining: [Int32: Int64] = [:]
        for partition in partitions {
            let marks = try consumer.watermarks(KafkaPartition(topic: topic, partition: partition), timeoutMilliseconds: 5000)
            if marks.high > marks.low {
                remaining[partition] = marks.high
            }
        }
        var records: [Int32: [KafkaRecord]] = [:]
        guard !remaining.isEmpty else { return records }
        let started = Date()
        let targets = remaining.keys.sorted().map { KafkaPartition(topic: topic, partition: $0) }
        try consumer.assign(targets, offsets: Array(repeating: KafkaConsumerClient.beginning, count: targets.count))
        while !remaining.isEmpty {
            guard Date().timeIntervalSince(started) < self.timeout else {
                throw KafkaIOError(.timeout, "restoring \(topic) partitions \(remaining.keys.sorted()) timed out")
            }
            guard let record = try consumer.poll(timeoutMilliseconds: 200) else { continue }
            records[record.partition, default: []].append(record)
            if let high = remaining[record.partition], record.offset >= high - 1 {
                remaining.removeValue(forKey: record.partition)
            }
        }
        let count = records.values.reduce(0) { $0 + $1.count }
        self.logger.info("State restored", metadata: ["partitions": "\(partitions)", "records": "\(count)", "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))"])
        return records
    }
}
