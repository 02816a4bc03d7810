import Deadlines
import Foundation
import KafkaIO
import SteeringModel
import Testing

@testable import ReferralRouter

/// A warning's state record landed but its event did not (the process was killed, or a revocation purged the
/// queue): the restored timer must fire it again rather than believe it published.
@Suite("Timer events whose state landed without them")
struct UnconfirmedTimerEventTests {
    static let start = RFC3339.parse("2026-11-16T09:30:00+02:00")!
    static let topics = RouterSettings.Topics()

    static func processor() throws -> RecordProcessor {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        return RecordProcessor(
            configuration: configuration, topics: Self.topics, source: "urn:test", maxRecordBytes: 65536,
            clock: { Self.start.addingTimeInterval(1) })
    }

    /// The state records a router left for one emergency referral: assigned (timers running), then its 50 %
    /// warning fired at 31 minutes. Offsets 0 and 1 of partition 0.
    static func stateRecords() throws -> (records: [KafkaRecord], warningId: String) {
        let processor = try Self.processor()
        let json = """
            {"type":"referral","id":"lost-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-lost-1","ageYears":9,"municipality":"398","postalCode":"15210"},\
            "need":{"concerns":["parenting"],"urgency":"emergency","severity":"severe"}}
            """
        let request = KafkaRecord(topic: Self.topics.requests, partition: 0, offset: 0, key: Array("lost-1".utf8), value: Array(json.utf8))
        let assigned = try #require(processor.process(request).materialize().first { $0.topic == Self.topics.state })
        let fired = processor.tick(now: Self.start.addingTimeInterval(31 * 60))
        let warning = try #require(fired.first { $0.topic == Self.topics.sla })
        let warned = try #require(fired.first { $0.topic == Self.topics.state })
        let records = [assigned, warned].enumerated().map { offset, output in
            KafkaRecord(topic: Self.topics.state, partition: 0, offset: Int64(offset), key: output.key, value: output.value)
        }
        return (records, String(decoding: try #require(warning.id), as: UTF8.self))
    }

    static func restored(
        _ records: [KafkaRecord], published: Set<String>, tailStart: Int64, slaCompleteFrom: Date? = nil
    ) throws -> (RecordProcessor, Int) {
        let processor = try Self.processor()
        processor.restore(partition: 0, records: records)
        processor.setPublished(published, partition: 0)
        let rewound = processor.recoverUnconfirmedTimerEvents(
            partition: 0, records: records, stateTailStart: tailStart, slaCompleteFrom: slaCompleteFrom?.epochMilliseconds)
        return (processor, rewound)
    }

    static func events(_ outputs: [OutputRecord]) -> [String] {
        outputs.filter { $0.topic == Self.topics.sla }.compactMap { $0.id.map { String(decoding: $0, as: UTF8.self) } }
    }

    @Test func aWarningMarkedFiredInTheTailButNotOnTheSLATopicFiresAgain() throws {
        let (records, warningId) = try Self.stateRecords()
        #expect(warningId == "lost-1/acknowledged/warning/0.5")
        let (processor, rewound) = try Self.restored(records, published: [], tailStart: 1)
        #expect(rewound == 1)
        let outputs = processor.tick(now: Self.start.addingTimeInterval(33 * 60))
        #expect(Self.events(outputs) == [warningId], "the lost warning fires again, with its id")
        let text = String(decoding: try #require(outputs.first { $0.topic == Self.topics.sla }).value, as: UTF8.self)
        #expect(text.contains("\"lateBy\":180"), "and says it is three minutes late: \(text)")
        #expect(Self.events(processor.tick(now: Self.start.addingTimeInterval(40 * 60))).isEmpty, "once")
        #expect(processor.timerCounts().values.reduce(0) { $0 + $1.warned } == 1)
        #expect(processor.recount().timers == processor.timerCounts(), "the running totals follow the rewind")
    }

    @Test func aWarningFoundOnTheSLATopicsTailIsNotFiredAgain() throws {
        let (records, warningId) = try Self.stateRecords()
        let (processor, rewound) = try Self.restored(records, published: [warningId], tailStart: 1)
        #expect(rewound == 0)
        #expect(Self.events(processor.tick(now: Self.start.addingTimeInterval(33 * 60))).isEmpty)
    }

    @Test func aWarningFiredBeforeTheCheckpointWasConfirmedAndIsNotFiredAgain() throws {
        let (records, _) = try Self.stateRecords()
        let (processor, rewound) = try Self.restored(records, published: [], tailStart: 2)
        #expect(rewound == 0)
        #expect(Self.events(processor.tick(now: Self.start.addingTimeInterval(33 * 60))).isEmpty)
    }

    /// Retention deleted the start of the SLA tail: a warning due before its first record left cannot be told
    /// from one deleted, and is not fired again; one due since can.
    @Test func aTruncatedSLATailChecksOnlyWhatFellDueSinceItsFirstRecord() throws {
        let (records, warningId) = try Self.stateRecords()
        let (late, notChecked) = try Self.restored(
            records, published: [], tailStart: 1, slaCompleteFrom: Self.start.addingTimeInterval(40 * 60))
        #expect(notChecked == 0)
        #expect(Self.events(late.tick(now: Self.start.addingTimeInterval(41 * 60))).isEmpty)
        let (early, checked) = try Self.restored(
            records, published: [], tailStart: 1, slaCompleteFrom: Self.start.addingTimeInterval(20 * 60))
        #expect(checked == 1)
        #expect(Self.events(early.tick(now: Self.start.addingTimeInterval(41 * 60))) == [warningId])
    }

    @Test func aBreachMarkedFiredButNotPublishedFiresAgainAfterItsConfirmedWarnings() throws {
        let processor = try Self.processor()
        let (records, _) = try Self.stateRecords()
        processor.restore(partition: 0, records: records)
        // 75 % warning and breach at 61 minutes: their state record lands, their events do not.
        let fired = processor.tick(now: Self.start.addingTimeInterval(61 * 60))
        #expect(Self.events(fired) == ["lost-1/acknowledged/warning/0.75", "lost-1/acknowledged/breached"])
        let state = try #require(fired.first { $0.topic == Self.topics.state })
        let all = records + [KafkaRecord(topic: Self.topics.state, partition: 0, offset: 2, key: state.key, value: state.value)]
        // The 50 % warning is on the SLA tail; the checkpoint is after the first record.
        let (restored, rewound) = try Self.restored(all, published: ["lost-1/acknowledged/warning/0.5"], tailStart: 1)
        #expect(rewound == 1)
        #expect(Self.events(restored.tick(now: Self.start.addingTimeInterval(62 * 60))) == ["lost-1/acknowledged/warning/0.75", "lost-1/acknowledged/breached"])
        #expect(restored.timerCounts().values.reduce(0) { $0 + $1.breached } == 1)
    }
}

/// A status update's state record landed but its `met` event did not: the update is replayed (its offset was not
/// committed) and must meet the milestone again, with its event.
@Suite("Status events whose state landed without them")
struct UnconfirmedStatusEventTests {
    typealias Base = UnconfirmedTimerEventTests

    static func scenario() throws -> (records: [KafkaRecord], status: KafkaRecord, metId: String) {
        let processor = try Base.processor()
        let (records, _) = try Base.stateRecords()
        processor.restore(partition: 0, records: records)
        let at = RFC3339.format(Base.start.addingTimeInterval(35 * 60))
        let json = "{\"referralId\":\"lost-1\",\"status\":\"acknowledged\",\"at\":\"\(at)\",\"team\":\"ph-sosiaalipaivystys\"}"
        let status = KafkaRecord(topic: Base.topics.status, partition: 0, offset: 0, key: Array("lost-1".utf8), value: Array(json.utf8))
        let outputs = processor.process(status).materialize()
        let met = try #require(outputs.first { $0.topic == Base.topics.sla })
        let state = try #require(outputs.first { $0.topic == Base.topics.state })
        let all = records + [KafkaRecord(topic: Base.topics.state, partition: 0, offset: 2, key: state.key, value: state.value)]
        return (all, status, String(decoding: try #require(met.id), as: UTF8.self))
    }

    @Test func aMetEventThatNeverLandedIsPublishedWhenItsStatusIsReplayed() throws {
        let (records, status, metId) = try Self.scenario()
        #expect(metId == "lost-1/acknowledged/met")
        // The checkpoint is after the warning's record: the warning is confirmed, the met is not on the tail.
        let (processor, rewound) = try Base.restored(records, published: [], tailStart: 2)
        #expect(rewound == 1)
        #expect(processor.timerCounts().values.reduce(0) { $0 + $1.open } == 1, "the milestone is open again")
        let replayed = processor.process(status).materialize()
        #expect(Base.events(replayed) == [metId])
        #expect(Base.events(processor.tick(now: Base.start.addingTimeInterval(61 * 60))).isEmpty, "met: no breach")
        #expect(processor.recount().timers == processor.timerCounts())
    }

    @Test func aTruncatedSLATailLeavesStatusEventsAlone() throws {
        let (records, _, _) = try Self.scenario()
        let (_, rewound) = try Base.restored(records, published: [], tailStart: 2, slaCompleteFrom: Base.start)
        #expect(rewound == 0, "a met deleted by retention and a met never published look alike: the timer stays met")
    }

    @Test func aMetEventOnTheTailIsNotPublishedAgain() throws {
        let (records, status, metId) = try Self.scenario()
        let (processor, rewound) = try Base.restored(records, published: [metId], tailStart: 2)
        #expect(rewound == 0)
        #expect(Base.events(processor.process(status).materialize()).isEmpty)
    }
}
