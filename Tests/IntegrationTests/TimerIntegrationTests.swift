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

    /// The router on the harness's broker, reading the time from `clock`.
    static func application(_ harness: Harness, clock: TestClock) throws -> RouterApplication {
        try RouterApplication(settings: harness.settings, configuration: harness.configuration, logger: harness.logger, clock: { clock.now })
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
        let application = { try Self.application(harness, clock: clock) }
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

    /// The team acknowledges in time while the router is down, and the deadline passes before it is back: the
    /// status backlog is read before any timer fires, so the milestone is met, never warned or breached first.
    @Test func aMilestoneMetWhileTheRouterWasDownIsNotBreachedFirst() async throws {
        let harness = try Harness(partitions: 2)
        let clock = TestClock(Self.start.addingTimeInterval(1))
        let application = { try Self.application(harness, clock: clock) }
        try harness.produce([Self.request("down-a"), Self.request("down-b")])
        var running = Harness.Running(application: try application())
        #expect(try await Harness.waitUntil { try Self.events(harness).values.flatMap { $0 }.count >= 2 })
        #expect(await running.stop() == nil)

        // Down from 09:30 to 11:00; A is acknowledged at 09:50 (due 10:30), B never.
        try harness.produce([Self.status("down-a", "acknowledged", minutes: 20)])
        clock.set(Self.start.addingTimeInterval(90 * 60))
        running = Harness.Running(application: try application())
        #expect(try await Harness.waitUntil {
            let events = try Self.events(harness)
            return events["down-a"]?.contains("acknowledged:met") == true && events["down-b"]?.contains("acknowledged:breached") == true
        })
        try await Task.sleep(for: .seconds(1))
        #expect(await running.stop() == nil)
        let events = try Self.events(harness)
        #expect(events["down-a"] == ["acknowledged:started", "acknowledged:met"])
        #expect(events["down-b"] == ["acknowledged:started", "acknowledged:warning:0.5", "acknowledged:warning:0.75", "acknowledged:breached"])
    }

    /// Runs the router until the request `id` is decided and its `started` event published, then stops it cleanly.
    static func decideAndStop(_ harness: Harness, clock: TestClock, id: String) async throws {
        let running = Harness.Running(application: try Self.application(harness, clock: clock))
        #expect(await Harness.waitUntil { running.application.isReady })
        try harness.produce([Self.request(id)])
        #expect(try await Harness.waitUntil { try Self.events(harness)[id] == ["acknowledged:started"] })
        #expect(await running.stop() == nil)
    }

    /// Writes `id`'s last state record again as if its first warning had fired: the state "landed" without the event.
    static func forgeFirstWarningFired(_ harness: Harness, id: String) throws {
        let state = try #require(try harness.readAll(harness.settings.topics.state).last { $0.keyString == id })
        let text = String(decoding: state.value, as: UTF8.self)
        #expect(text.contains("\"warningsFired\":0"))
        let forged = text.replacingOccurrences(of: "\"warningsFired\":0", with: "\"warningsFired\":1")
        try harness.produce(
            topic: harness.settings.topics.state, partition: state.partition, key: state.key, value: Array(forged.utf8))
    }

    /// The process died after a warning's state record landed and before its event did (they go to different
    /// partitions): restarted, the router finds the warning marked fired in its state's tail but not on the SLA
    /// topic's, and publishes it again, once.
    @Test func aWarningWhoseStateLandedWithoutItsEventFiresAfterARestart() async throws {
        let harness = try Harness(partitions: 2)
        let clock = TestClock(Self.start.addingTimeInterval(1))
        // The request arrives while the router runs; the checkpoint the clean stop writes is past its state record,
        // so the forged record below is the state's only tail.
        try await Self.decideAndStop(harness, clock: clock, id: "lost-a")

        // The state record the tick at 31 minutes writes, after the checkpoint the clean stop wrote; no warning.
        let checkpoint = try #require(try harness.readAll(harness.settings.topics.state).last {
            $0.keyString?.hasPrefix("__checkpoint/\(harness.settings.topics.requests)/") == true
                && String(decoding: $0.value, as: UTF8.self).contains("\"inputOffset\":1")
        })
        #expect(!String(decoding: checkpoint.value, as: UTF8.self).contains("\"\(harness.settings.topics.state)\":0"))
        try Self.forgeFirstWarningFired(harness, id: "lost-a")
        // Back at 35 minutes: five minutes after the warning was due.
        clock.set(Self.start.addingTimeInterval(35 * 60))

        let running = Harness.Running(application: try Self.application(harness, clock: clock))
        #expect(try await Harness.waitUntil { try Self.events(harness)["lost-a"]?.count == 2 })
        try await Task.sleep(for: .seconds(1))
        #expect(await running.stop() == nil)
        #expect(try Self.events(harness)["lost-a"] == ["acknowledged:started", "acknowledged:warning:0.5"])
        // Published by the restore itself, fired now: the state already said fired, and still does.
        let warning = try #require(try harness.readAll(harness.settings.topics.sla).last { $0.keyString == "lost-a" })
        #expect(String(decoding: warning.value, as: UTF8.self).contains("\"lateBy\":300"))
        let last = try #require(try harness.readAll(harness.settings.topics.state).last { $0.keyString == "lost-a" })
        #expect(String(decoding: last.value, as: UTF8.self).contains("\"warningsFired\":1"))
    }

    /// The process died after a status update's state record (the milestone met) landed and before its `met`
    /// event did: the update was not committed, so the restarted router reads it again, and derives its `met` again
    /// from the timers before it, instead of finding the milestone met already.
    @Test func aMetWhoseStateLandedWithoutItsEventIsPublishedWhenTheStatusIsReplayed() async throws {
        // One partition, both of whose inputs have checkpoints past the referral's first state record: the
        // requests arrive while the router runs, and a status of another referral is committed.
        let harness = try Harness(partitions: 1)
        let clock = TestClock(Self.start.addingTimeInterval(1))
        var running = Harness.Running(application: try Self.application(harness, clock: clock))
        #expect(await Harness.waitUntil { running.application.isReady })
        try harness.produce([Self.request("lost-m"), Self.request("other-m")])
        #expect(try await Harness.waitUntil { try Self.events(harness).count == 2 })
        try harness.produce([Self.status("other-m", "acknowledged", minutes: 5)])
        #expect(try await Harness.waitUntil {
            let events = try Self.events(harness)
            return events["lost-m"] == ["acknowledged:started"] && events["other-m"]?.count == 2
        })
        #expect(await running.stop() == nil)

        // What processing the status at 10 minutes leaves when only its state record lands: the timer met, the
        // status not committed, no `met`.
        let state = try #require(try harness.readAll(harness.settings.topics.state).last { $0.keyString == "lost-m" })
        let text = String(decoding: state.value, as: UTF8.self)
        let running1 = "\"milestone\":\"acknowledged\",\"state\":1,"
        #expect(text.contains(running1))
        // The status update lands at offset 1 of the status partition (the other referral's is at 0).
        let forged = text.replacingOccurrences(of: running1, with: "\"milestone\":\"acknowledged\",\"state\":3,")
            .replacingOccurrences(of: "\"inputOffset\":0}", with: "\"inputOffset\":0,\"statusOffset\":1}")
        #expect(forged.hasSuffix(",\"statusOffset\":1}"), "\(forged)")
        try harness.produce(topic: harness.settings.topics.state, partition: state.partition, key: state.key, value: Array(forged.utf8))
        try harness.produce([Self.status("lost-m", "acknowledged", minutes: 10)])
        clock.set(Self.start.addingTimeInterval(11 * 60))

        running = Harness.Running(application: try Self.application(harness, clock: clock))
        #expect(try await Harness.waitUntil { try Self.events(harness)["lost-m"]?.count == 2 })
        // Past the due time: a met milestone never breaches.
        clock.set(Self.start.addingTimeInterval(70 * 60))
        try await Task.sleep(for: .seconds(2))
        #expect(await running.stop() == nil)
        #expect(try Self.events(harness)["lost-m"] == ["acknowledged:started", "acknowledged:met"])
    }

    /// A reassignment names the new owner by a team id of the configuration; anything else (a person's name typed
    /// into the field, say) is dead-lettered, and never becomes a metric label. A team's gauges fall to zero when
    /// its last timer closes.
    @Test func aReassignmentToATeamTheConfigurationDoesNotKnowIsDeadLettered() async throws {
        let harness = try Harness(partitions: 2)
        let clock = TestClock(Self.start.addingTimeInterval(1))
        let running = Harness.Running(application: try Self.application(harness, clock: clock))
        #expect(await Harness.waitUntil { running.application.isReady })
        try harness.produce([Self.request("re-a")])
        #expect(try await Harness.waitUntil { try Self.events(harness)["re-a"]?.count == 1 })
        func reassignment(_ team: String) -> SyntheticTraffic.Record {
            let at = RFC3339.format(Self.start.addingTimeInterval(120))
            let json = "{\"referralId\":\"re-a\",\"status\":\"reassigned\",\"at\":\"\(at)\",\"team\":\"\(team)\"}"
            return SyntheticTraffic.Record(kind: .status, isRequest: false, key: Array("re-a".utf8), value: Array(json.utf8), id: "re-a")
        }
        try harness.produce([reassignment("Matti Meikäläinen 131052-308T"), reassignment("ph-sw-heinola")])
        #expect(await Harness.waitUntil { running.application.deadLettered["unknown_team"] == 1 })
        func gauge(_ team: String) -> Substring? {
            running.application.metricsText().split(separator: "\n")
                .first { $0.hasPrefix("referral_router_open_timers{") && $0.contains("\"\(team)\"") }?
                .split(separator: " ").last
        }
        #expect(await Harness.waitUntil { gauge("ph-sw-heinola").flatMap { Double($0) } == 1 }, "the new owner's open timer")
        #expect(!running.application.metricsText().contains("Matti"))
        #expect(!String(decoding: running.application.statusJSON(), as: UTF8.self).contains("Matti"))

        try harness.produce([Self.status("re-a", "closed", minutes: 3)])
        #expect(await Harness.waitUntil { gauge("ph-sw-heinola").flatMap { Double($0) } == 0 }, "closed: no open timer left")
        #expect(await running.stop() == nil)
        let deadLetters = try harness.readAll(harness.settings.topics.deadletter)
        #expect(deadLetters.count == 1)
        #expect(deadLetters.first?.header("referral-router.error.code") == "unknown_team")
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
