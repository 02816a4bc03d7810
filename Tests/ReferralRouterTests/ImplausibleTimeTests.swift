import Foundation
import KafkaIO
import SteeringModel
import Testing

@testable import ReferralRouter

/// Every deadline counts from a request's `submittedAt`, and a status update's `at` says when a milestone was met.
/// Neither may lie after the record was produced (beyond clock skew) or before 2000: a `submittedAt` of 2062 typed for
/// 2026 would set due times decades out, and no warning or breach would ever fire.
@Suite("Implausible times")
struct ImplausibleTimeTests {
    static let topics = RouterSettings.Topics()
    static let produced = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30

    static func processor() throws -> RecordProcessor {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        return RecordProcessor(
            configuration: configuration, topics: Self.topics, source: "urn:test", maxRecordBytes: 65536,
            clock: { Self.produced.addingTimeInterval(1) })
    }

    static func record(_ input: SyntheticTraffic.Record, offset: Int64, produced: Date = Self.produced) -> KafkaRecord {
        KafkaRecord(
            topic: input.isRequest ? Self.topics.requests : Self.topics.status, partition: 0, offset: offset, key: input.key,
            value: input.value, timestamp: Int64(produced.timeIntervalSince1970 * 1000))
    }

    static func errorCode(_ outputs: [OutputRecord]) -> (code: String?, field: String?) {
        guard let rejection = outputs.first(where: { $0.topic == Self.topics.rejections }),
            case .success(.object(let object)) = JSONParser.parse(rejection.value)
        else { return (nil, nil) }
        let deadLetter = outputs.first { $0.topic == Self.topics.deadletter }
        var field: String?
        if case .array(let problems)? = object["problems"], case .object(let first)? = problems.first, case .string(let name)? = first["field"] {
            field = name
        }
        return (deadLetter?.allHeaders.first { $0.key == "referral-router.error.code" }?.stringValue, field)
    }

    @Test func aRequestSubmittedLaterThanItsRecordWasProducedIsDeadLettered() throws {
        let processor = try Self.processor()
        var traffic = SyntheticTraffic(seed: 11, prefix: "time", invalidShare: 0, duplicateShare: 0, statusShare: 0)

        let ahead = traffic.valid(submittedAt: Self.produced.addingTimeInterval(36 * 365 * 86_400))
        let refused = processor.process(Self.record(ahead, offset: 0)).materialize()
        #expect(Self.errorCode(refused).code == "bad_timestamp")
        #expect(Self.errorCode(refused).field == "submittedAt")
        #expect(!refused.contains { $0.topic == Self.topics.assignments })
        #expect(refused.first { $0.topic == Self.topics.deadletter }?.value == ahead.value, "the dead letter keeps the bytes")

        let ancient = traffic.valid(submittedAt: Date(timeIntervalSince1970: 900_000_000))  // 1998
        #expect(Self.errorCode(processor.process(Self.record(ancient, offset: 1)).materialize()).code == "bad_timestamp")

        // Within the clock-skew tolerance (and without a record timestamp to judge by) a request is routed.
        let skewed = traffic.valid(submittedAt: Self.produced.addingTimeInterval(10 * 60))
        #expect(processor.process(Self.record(skewed, offset: 2)).materialize().contains { $0.topic == Self.topics.assignments })
        let untimed = traffic.valid(submittedAt: Self.produced.addingTimeInterval(3600))
        let record = KafkaRecord(topic: Self.topics.requests, partition: 0, offset: 3, key: untimed.key, value: untimed.value)
        #expect(processor.process(record).materialize().contains { $0.topic == Self.topics.assignments })
    }

    @Test func aStatusDatedAfterItsRecordWasProducedIsDeadLetteredAndMeetsNothing() throws {
        let processor = try Self.processor()
        var traffic = SyntheticTraffic(seed: 12, prefix: "status", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        let request = traffic.valid(submittedAt: Self.produced.addingTimeInterval(-60))
        let routed = processor.process(Self.record(request, offset: 0)).materialize()
        #expect(routed.contains { $0.topic == Self.topics.assignments })
        let id = try #require(request.id)
        func status(_ at: Date) -> SyntheticTraffic.Record {
            let json = "{\"referralId\":\"\(id)\",\"status\":\"acknowledged\",\"at\":\"\(RFC3339.format(at))\",\"team\":\"t\"}"
            return SyntheticTraffic.Record(kind: .status, isRequest: false, key: Array(id.utf8), value: Array(json.utf8), id: id)
        }
        let ahead = processor.process(Self.record(status(Self.produced.addingTimeInterval(86_400)), offset: 0, produced: Self.produced.addingTimeInterval(60)))
            .materialize()
        #expect(Self.errorCode(ahead).code == "bad_timestamp")
        #expect(Self.errorCode(ahead).field == "at")
        #expect(!ahead.contains { $0.topic == Self.topics.sla || $0.topic == Self.topics.state }, "no milestone met, no state changed")
        let onTime = processor.process(Self.record(status(Self.produced.addingTimeInterval(30)), offset: 1, produced: Self.produced.addingTimeInterval(60)))
            .materialize()
        #expect(Self.errorCode(onTime).code == nil)
        #expect(onTime.contains { $0.topic == Self.topics.state })
    }
}
