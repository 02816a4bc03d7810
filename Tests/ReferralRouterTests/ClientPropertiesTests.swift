import Foundation
import Testing

@testable import ReferralRouter

@Suite("Kafka client properties")
struct ClientPropertiesTests {
    @Test func producerAndConsumerDisableNagleUnlessConfigured() {
        let settings = RouterSettings()
        #expect(RouterService.producerProperties(settings)["socket.nagle.disable"] == "true")
        #expect(RouterService.consumerProperties(settings)["socket.nagle.disable"] == "true")

        var configured = RouterSettings()
        configured.kafka.properties["socket.nagle.disable"] = "false"
        #expect(RouterService.producerProperties(configured)["socket.nagle.disable"] == "false")
        #expect(RouterService.consumerProperties(configured)["socket.nagle.disable"] == "false")
    }

    @Test func theProducerKeepsItsDeliveryGuarantees() {
        var settings = RouterSettings()
        // Explicit properties cannot weaken idempotence or acknowledgement.
        settings.kafka.properties["acks"] = "1"
        settings.kafka.properties["enable.idempotence"] = "false"
        let properties = RouterService.producerProperties(settings)
        #expect(properties["acks"] == "all")
        #expect(properties["enable.idempotence"] == "true")
        #expect(properties["linger.ms"] == "5")
    }

    /// A rebalance's callbacks (a revocation's wait for outputs, an assignment's restore) must fit in the poll
    /// interval, and an exactly-once transaction held open through a restore must outlast it.
    @Test func timeoutsOutlastARebalanceAndItsRestore() {
        var settings = RouterSettings()
        settings.processing.stateRestoreTimeoutSeconds = 120
        #expect(RouterService.consumerProperties(settings)["max.poll.interval.ms"] == "420000")
        settings.processing.guarantee = "exactly_once"
        settings.processing.transactionalId = "t-1"
        let producer = RouterService.producerProperties(settings)
        #expect(producer["transaction.timeout.ms"] == "180000")
        #expect(producer["message.timeout.ms"] == "180000")
        settings.kafka.properties["transaction.timeout.ms"] = "90000"
        settings.kafka.consumerProperties["max.poll.interval.ms"] = "600000"
        #expect(RouterService.producerProperties(settings)["transaction.timeout.ms"] == "90000", "an explicit value stays")
        #expect(RouterService.consumerProperties(settings)["max.poll.interval.ms"] == "600000", "an explicit value stays")
    }

    /// A topic that accepts smaller records than the producer sends refuses them on delivery, and the router stops
    /// on the same input after every restart: the producer is held under the smallest output topic's limit.
    @Test func theProducerSendsNoRecordLargerThanTheOutputTopicsAccept() {
        let described = [
            "referrals.assignments": ["max.message.bytes": "1048588"],
            "referrals.deadletter": ["max.message.bytes": "100000"],
            "referrals.sla": [:],
            "referral-router.state": ["max.message.bytes": "not a number"],
        ]
        let topics = ["referrals.assignments", "referrals.deadletter", "referrals.sla", "referral-router.state", "missing"]
        let smallest = RouterService.smallestRecordLimit(described, topics: topics)
        #expect(smallest?.topic == "referrals.deadletter")
        #expect(smallest?.maxMessageBytes == 100_000)
        #expect(RouterService.smallestRecordLimit(described, topics: ["referrals.sla", "missing"]) == nil)

        var settings = RouterSettings()
        #expect(RouterService.producerProperties(settings)["message.max.bytes"] == nil, "librdkafka's default when the topics are not known")
        #expect(RouterService.producerProperties(settings, outputRecordLimit: 99_488)["message.max.bytes"] == "99488")
        #expect(RouterService.producerProperties(settings, outputRecordLimit: 2_000_000)["message.max.bytes"] == "1000000", "never raised")
        #expect(RouterService.producerProperties(settings, outputRecordLimit: 10)["message.max.bytes"] == "1000", "librdkafka's least")
        settings.kafka.properties["message.max.bytes"] = "50000"
        #expect(RouterService.producerProperties(settings, outputRecordLimit: 99_488)["message.max.bytes"] == "50000", "a smaller explicit value stays")
    }
}

@Suite("Latency timeline")
struct LatencyTimelineTests {
    @Test func machineSharesArePercentOfAllTimeBetweenReadings() {
        let shares = LatencyTimeline.shares(from: (idle: 100, steal: 10, total: 1000), to: (idle: 150, steal: 30, total: 1200))
        #expect(shares.idle == 25)
        #expect(shares.steal == 10)
        // No time passed (or no /proc/stat): no shares rather than a division by zero.
        let none = LatencyTimeline.shares(from: (0, 0, 0), to: (0, 0, 0))
        #expect(none.idle == 0 && none.steal == 0)
    }

    @Test func assignmentsAndFeederLatenessLandInTheirWindow() throws {
        let start = Date()
        let timeline = LatencyTimeline(start: start, seconds: 1)
        timeline.assignment(latencyMicroseconds: 12_000, at: start.addingTimeInterval(0.05))
        timeline.assignment(latencyMicroseconds: 48_000, at: start.addingTimeInterval(0.07))
        timeline.assignment(latencyMicroseconds: 9_000, at: start.addingTimeInterval(0.25))
        timeline.fed(due: start.addingTimeInterval(0.21), at: start.addingTimeInterval(0.24))
        // Before the start: outside every window, not counted.
        timeline.assignment(latencyMicroseconds: 1_000_000, at: start.addingTimeInterval(-1))
        timeline.startSampling()
        defer { timeline.stop() }
        let deadline = Date().addingTimeInterval(5)
        var windows: [LatencyTimeline.Window] = []
        while windows.count < 3, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            windows = timeline.result(from: 0)
        }
        try #require(windows.count >= 3)
        #expect(windows[0].assignments == 2)
        #expect(windows[0].maxLatencyMs == 48)
        #expect(windows[1].assignments == 0)
        #expect(windows[2].assignments == 1)
        #expect(windows[2].maxLatencyMs == 9)
        #expect(abs(windows[2].feederLateMs - 30) < 0.5)
    }
}
