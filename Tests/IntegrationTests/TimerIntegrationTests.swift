import Foundation
import KafkaIO
import ReferralRouter
import SteeringModel
import Testing

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date) {
        self.current = start
    }

    var now: Date {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.current
    }

    func set(_ date: Date) {
        self.lock.lock()
        self.current = date
        self.lock.unlock()
    }
}

@Suite("SLA timers through Kafka with an injected clock", .serialized, .timeLimit(.minutes(3)))
struct TimerIntegrationTests {
    static let start = RFC3339.parse("2026-11-16T09:30:00+02:00")!

    static func request(_ id: String) -> SyntheticTraffic.Record {
        let json = """
            {"type":"referral","id":"\(id)","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-\(id)","ageYears":9,"municipality":"398","postalCode":"15210"},\
            "need":{"concerns":["parenting"],"urgency":"emergency","severity":"severe"}}
            """
        return SyntheticTraffic.Record(kind: .valid, isRequest: true, key: Array(id.utf8), value: Array(json.utf8), id: id)
    }

    static func status(_ id: String, _ status: String, minutes: Int) -> SyntheticTraffic.Record {
        let at = RFC3339.format(Self.start.addingTimeInterval(Double(minutes) * 60))
        let json = "{\"referralId\":\"\(id)\",\"status\":\"\(status)\",\"at\":\"\(at)\",\"team\":\"ph-sosiaalipaivystys\"}"
        return SyntheticTraffic.Record(kind: .status, isRequest: false, key: Array(id.utf8), value: Array(json.utf8), id: id)
    }

    /// SLA events per referral as "milestone:event[:threshold]".
    static func events(_ harness: Harness) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for record in try harness.readAll(harness.settings.topics.sla) {
            guard case .success(.object(let object)) = JSONParser.parse(record.value),
                case .string(let milestone)? = object["milestone"], case .string(let event)? = object["event"]
            else {
                Issue.record("unreadable SLA event")
                continue
            }
            var text = "\(milestone):\(event)"
            if case .number(let threshold)? = object["threshold"] { text += ":\(threshold.text)" }
            result[record.keyString ?? "", default: []].append(text)
        }
        return result
    }

    @Test func warningsBreachesAndMetFireExactlyOnceAcrossARestart() async throws {
        let harness = try Harness(partitions: 2)
        let clock = TestClock(Self.start.addingTimeInterval(1))
        let application = { try RouterApplication(settings: harness.settings, configuration: harness.configuration, logger: harness.logger, clock: { clock.now }) }
        try harness.produce([Self.request("sla-a"), Self.request("sla-b")])

        var running = Harness.Running(application: try application())
        #expect(try await Harness.waitUntil { try Self.events(harness).values.flatMap { $0 }.count >= 2 })
        #expect(try Self.events(harness) == ["sla-a": ["acknowledged:started"], "sla-b": ["acknowledged:started"]])

        // B is acknowledged after 10 minutes: met, and never a warning or breach.
        try harness.produce([Self.status("sla-b", "acknowledged", minutes: 10)])
        #expect(try await Harness.waitUntil { try Self.events(harness)["sla-b"]?.count == 2 })

        // 31 minutes: the 50 % warning of A.
        clock.set(Self.start.addingTimeInterval(31 * 60))
        #expect(try await Harness.waitUntil { try Self.events(harness)["sla-a"]?.count == 2 })

        // Restart mid-way: the timers come back from the state topic; nothing fires twice.
        #expect(await running.stop() == nil)
        running = Harness.Running(application: try application())
        #expect(await Harness.waitUntil { running.application.isReady })

        clock.set(Self.start.addingTimeInterval(46 * 60))
        #expect(try await Harness.waitUntil { try Self.events(harness)["sla-a"]?.count == 3 })

        // The router is down when the deadline falls due: the breach fires once when it is back, marked late.
        #expect(await running.stop() == nil)
        clock.set(Self.start.addingTimeInterval(70 * 60))
        running = Harness.Running(application: try application())
        #expect(try await Harness.waitUntil { try Self.events(harness)["sla-a"]?.count == 4 })
        // Time passes; nothing more may fire.
        clock.set(Self.start.addingTimeInterval(5 * 3600))
        try await Task.sleep(for: .seconds(2))
        #expect(await running.stop() == nil)
        let breach = try harness.readAll(harness.settings.topics.sla).first { String(decoding: $0.value, as: UTF8.self).contains("\"breached\"") }
        let breachText = String(decoding: try #require(breach).value, as: UTF8.self)
        #expect(breachText.contains("\"lateBy\":600"), "the breach says it fired 10 minutes late: \(breachText)")

        let events = try Self.events(harness)
        print("SLA events: \(events)")
        #expect(events["sla-a"] == ["acknowledged:started", "acknowledged:warning:0.5", "acknowledged:warning:0.75", "acknowledged:breached"])
        #expect(events["sla-b"] == ["acknowledged:started", "acknowledged:met"])
    }

    @Test func statusForAnUnknownReferralIsDeadLettered() async throws {
        let harness = try Harness(partitions: 2)
        let running = try harness.start()
        #expect(await Harness.waitUntil { running.application.isReady })
        try harness.produce([Self.status("never-sent", "first_contact", minutes: 1)])
        #expect(await Harness.waitUntil { running.application.deadLettered["unknown_referral"] == 1 })
        #expect(await running.stop() == nil)
        let deadLetters = try harness.readAll(harness.settings.topics.deadletter)
        #expect(deadLetters.count == 1)
        #expect(deadLetters.first?.header("__connect.errors.topic") == harness.settings.topics.status)
    }
}
