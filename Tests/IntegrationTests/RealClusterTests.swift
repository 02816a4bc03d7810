import Foundation
import KafkaIO
import Logging
import SteeringModel
import Testing

@testable import ReferralRouter

/// Broker behaviour the mock cluster lacks: it enforces no `max.message.bytes`. Runs only when `KAFKA_BOOTSTRAP`
/// names a real cluster; each run uses topics of its own.
@Suite(
    "Record size limits on a real cluster", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"] != nil, "set KAFKA_BOOTSTRAP to a real cluster")
)
struct RealClusterRecordLimitTests {
    /// The dead-letter topic accepts less than librdkafka's default `message.max.bytes`. Its 150,000-byte dead letter
    /// would be refused on delivery and stop the router after every restart; held under the topic's limit, the
    /// producer refuses it at once and the router publishes it without the original bytes.
    @Test func aDeadLetterLargerThanItsTopicAcceptsIsPublishedWithoutItsBody() async throws {
        let bootstrap = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"]!
        let harness = try Harness(external: bootstrap)
        let run = UUID().uuidString.prefix(8).lowercased()
        harness.settings.topics = RouterSettings.Topics().prefixed("rr-\(run)")
        harness.settings.kafka.groupId = "rr-\(run)"
        harness.settings.kafka.autoCreateTopics = true
        harness.settings.kafka.topicPartitions = 1
        harness.settings.http.port = 0
        let admin = try KafkaConsumerClient(properties: ["bootstrap.servers": bootstrap, "log_level": "3"], logger: harness.logger)
        try admin.createTopics([
            TopicSpecification(name: harness.settings.topics.deadletter, partitions: 1, config: ["max.message.bytes": "100000"])
        ])
        // A topic just created may not be known yet to the broker that answers.
        let described = await Harness.waitUntil(seconds: 30) {
            let limits = try? admin.topicConfigs([harness.settings.topics.deadletter], keys: ["max.message.bytes"])
            return limits?.values[harness.settings.topics.deadletter]?["max.message.bytes"] == "100000"
        }
        #expect(described)
        admin.close()

        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { running.application.isReady })
        let huge = SyntheticTraffic.Record(
            kind: .invalid, isRequest: true, key: Array("huge-1".utf8), value: Array(repeating: UInt8(ascii: "x"), count: 150_000),
            id: "huge-1")
        var traffic = SyntheticTraffic(seed: 5, prefix: "after", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let after = (0..<20).map { _ in traffic.next() }
        try harness.produce([huge] + after)
        let validIds = Set(after.compactMap(\.id))
        let done = await Harness.waitUntil(seconds: 120) {
            let assigned = Set(((try? harness.readAll(harness.settings.topics.assignments)) ?? []).compactMap(\.keyString))
            return validIds.isSubset(of: assigned)
        }
        #expect(done, "records after the oversized one are routed")
        #expect(!running.hasEnded, "the router is still running")
        #expect(await running.stop() == nil)
        let deadLetters = try harness.readAll(harness.settings.topics.deadletter)
        #expect(deadLetters.count == 1)
        #expect(deadLetters.first?.header("referral-router.original-dropped") != nil)
    }
}
