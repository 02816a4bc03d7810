import Foundation
import KafkaIO
import SteeringModel
import Testing

@testable import ReferralRouter

/// A replay (the very record decided before, whose state landed but some of whose outputs may not have) is decided
/// again: its assignment must name the owner its state, loads and timers already name, whatever the loads are now.
/// The shipped configuration, the default topics and a record processor over them.
func shippedProcessor() throws -> (SteeringConfiguration, RouterSettings.Topics, RecordProcessor) {
    let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
    let topics = RouterSettings.Topics()
    let processor = RecordProcessor(
        configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { Date() })
    return (configuration, topics, processor)
}

@Suite("Replayed requests")
struct ReplayTests {
    static func owner(_ outputs: [OutputRecord], topics: RouterSettings.Topics) throws -> String? {
        let assignment = try #require(outputs.first { $0.topic == topics.assignments })
        guard case .success(.object(let object)) = JSONParser.parse(assignment.value),
            case .object(let owner)? = object["owner"], case .string(let team)? = owner["teamId"]
        else { return nil }
        return team
    }

    @Test func aReplayedRequestNamesTheOwnerItsStateNames() throws {
        let (configuration, topics, processor) = try shippedProcessor()
        // Two youth teams share Lahti's centre (capacities 60 and 40): with no load the first by id is chosen, and
        // with that one case on it the other would be.
        let json = """
            {"type":"referral","id":"replay-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-replay-1","ageYears":15,"municipality":"398","postalCode":"15110"},\
            "need":{"concerns":["mental_health"],"urgency":"new_concern","severity":"mild"}}
            """
        let record = KafkaRecord(topic: topics.requests, partition: 0, offset: 7, key: Array("replay-1".utf8), value: Array(json.utf8))
        let first = try Self.owner(processor.process(record).materialize(), topics: topics)
        #expect(first == "ph-youth-lahti-a")
        #expect(processor.loads["ph-youth-lahti-a"] == 1)
        // Decided afresh with the loads of now, the request would go to B.
        guard case .success(let request) = RequestValidator().validateRequest(record.value) else {
            Issue.record("the request is valid")
            return
        }
        #expect(SteeringEngine(table: configuration.table).decide(request, loads: processor.loads).owner.teamId == "ph-youth-lahti-b")

        let replayed = processor.process(record).materialize()
        #expect(try Self.owner(replayed, topics: topics) == "ph-youth-lahti-a", "the replay keeps its first owner")
        #expect(processor.loads["ph-youth-lahti-a"] == 1, "a replay adds no load")
        let text = String(decoding: try #require(replayed.first { $0.topic == topics.assignments }).value, as: UTF8.self)
        #expect(text.contains("the referral's state names"), "the trace says why: \(text)")
    }

    /// The assignment landed, the state record did not (the process was killed between the two): the replay has no
    /// state, and decided with the loads of now it would name the other team in its state, its timers and its SLA
    /// events, while the published assignment names the first. It keeps the published owner.
    @Test func aReplayWhoseStateWasLostKeepsTheOwnerItsPublishedAssignmentNames() throws {
        let (configuration, topics, processor) = try shippedProcessor()
        func youth(_ id: String, partition: Int32) -> KafkaRecord {
            let json = """
                {"type":"referral","id":"\(id)","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
                "client":{"ref":"pseud-\(id)","ageYears":15,"municipality":"398","postalCode":"15110"},\
                "need":{"concerns":["mental_health"],"urgency":"new_concern","severity":"mild"}}
                """
            return KafkaRecord(topic: topics.requests, partition: partition, offset: 3, key: Array(id.utf8), value: Array(json.utf8))
        }
        // Another case of the same centre, decided since: team A has a case, so B would be chosen now.
        #expect(try Self.owner(processor.process(youth("other-1", partition: 1)).materialize(), topics: topics) == "ph-youth-lahti-a")

        let assignment = try #require(
            RecordProcessor(configuration: configuration, topics: topics, source: "urn:test", maxRecordBytes: 65536, clock: { Date() })
                .process(youth("lost-1", partition: 0)).materialize().first { $0.topic == topics.assignments })
        let published = try #require(StateRestorer.owner(ofAssignment: assignment.value))
        #expect(published == ("lost-1", "ph-youth-lahti-a"))
        processor.setPublished(["lost-1/assignment"], owners: [published.referralId: published.teamId], partition: 0)

        let replayed = processor.process(youth("lost-1", partition: 0)).materialize()
        #expect(!replayed.contains { $0.topic == topics.assignments }, "the assignment is not published again")
        let state = String(decoding: try #require(replayed.first { $0.topic == topics.state }).value, as: UTF8.self)
        #expect(state.contains("\"ownerTeam\":\"ph-youth-lahti-a\""), "\(state)")
        let events = replayed.filter { $0.topic == topics.sla }.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(!events.isEmpty && events.allSatisfy { $0.contains("\"teamId\":\"ph-youth-lahti-a\"") }, "\(events)")
        #expect(processor.loads["ph-youth-lahti-a"] == 2)
    }
}

/// Team ids become metric labels and `/status` keys: only the configuration's own may.
@Suite("Timer counts by configured team")
struct ConfiguredTeamTests {
    @Test func teamsTheConfigurationDoesNotKnowAreCountedAsUnconfigured() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let counts: [String: TimerCounts] = [
            "ph-youth-lahti-a": TimerCounts(open: 2, warned: 1, breached: 0),
            "Matti Meikäläinen 131052-308T": TimerCounts(open: 1, warned: 0, breached: 1),
            "a-team-removed-by-a-reload": TimerCounts(open: 3, warned: 1, breached: 1),
        ]
        let folded = RouterService.configuredTeams(counts, table: configuration.table)
        #expect(folded == [
            "ph-youth-lahti-a": TimerCounts(open: 2, warned: 1, breached: 0),
            RouterService.unconfiguredTeam: TimerCounts(open: 4, warned: 1, breached: 2),
        ])
        let known = ["ph-youth-lahti-a": TimerCounts(open: 1, warned: 0, breached: 0)]
        #expect(RouterService.configuredTeams(known, table: configuration.table) == known)
    }
}

/// A reload between a decision and its replay (the state landed, the offset was not committed): the replay must
/// not drop what the first decision started, nor reject what it accepted.
@Suite("Replays after a reload")
struct ReplayAfterReloadTests {
    /// The shipped configuration copied, with one edit.
    static func edited(_ file: String, replacing old: String, with new: String) throws -> SteeringConfiguration {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steering-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: SteeringConfiguration.defaultDirectory, toPath: directory.path)
        let path = directory.appendingPathComponent(file).path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(old), "the edit applies")
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
        return try SteeringConfiguration.load(directory: directory.path)
    }

    @Test func aReplayUnderAnotherPolicyKeepsItsRunningTimersAndStartsNoOther() throws {
        let (_, topics, processor) = try shippedProcessor()
        let json = """
            {"type":"referral","id":"reload-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-reload-1","ageYears":15,"municipality":"398","postalCode":"15110"},\
            "need":{"concerns":["mental_health"],"urgency":"new_concern","severity":"mild"}}
            """
        let record = KafkaRecord(topic: topics.requests, partition: 0, offset: 3, key: Array("reload-1".utf8), value: Array(json.utf8))
        let first = processor.process(record).materialize()
        #expect(first.contains { $0.topic == topics.sla }, "the first decision starts the policy's timers")
        let running = try #require(processor.partitions[0]?["reload-1"]?.timers)

        // The youth low-threshold rule starts another policy now.
        processor.reconfigure(
            try Self.edited(
                "rules.yaml", replacing: "unitType: youth_low_threshold\n    sla: social_welfare_assessment",
                with: "unitType: youth_low_threshold\n    sla: student_welfare"))
        let replayed = processor.process(record).materialize()
        #expect(processor.partitions[0]?["reload-1"]?.timers == running, "the running statutory timers stay")
        let events = replayed.filter { $0.topic == topics.sla }.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(events.allSatisfy { $0.contains("\"policy\":\"social_welfare_assessment\"") }, "no event of a policy no timer runs: \(events)")
    }

    /// A reload that removes or renames a team owning open cases is accepted (the cases must be reassigned), and
    /// the router counts those cases so the operator is told.
    @Test func openCasesOfARenamedTeamAreCounted() throws {
        let (configuration, topics, processor) = try shippedProcessor()
        let json = """
            {"type":"referral","id":"reload-4","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-reload-4","ageYears":3,"municipality":"111"},\
            "need":{"concerns":["parenting"],"urgency":"new_concern","severity":"mild"}}
            """
        let record = KafkaRecord(topic: topics.requests, partition: 0, offset: 1, key: Array("reload-4".utf8), value: Array(json.utf8))
        _ = processor.process(record).materialize()
        #expect(processor.partitions[0]?["reload-4"]?.ownerTeam == "ph-fc-heinola")
        #expect(processor.openCasesWithoutTeam(in: configuration.table) == 0)
        let renamed = try Self.edited("regions/paijat-hame.yaml", replacing: "id: ph-fc-heinola,", with: "id: ph-fc-heinola-centre,")
        #expect(processor.openCasesWithoutTeam(in: renamed.table) == 1)
    }

    /// A reassignment applied (its state landed, its offset not committed) and replayed after a reload renamed its
    /// team: the state already names the team, so the replay is applied again, not dead-lettered.
    @Test func aReplayedReassignmentToARenamedTeamIsNotRejected() throws {
        let (_, topics, processor) = try shippedProcessor()
        let json = """
            {"type":"referral","id":"reload-5","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"pseud-reload-5","ageYears":3,"municipality":"398"},\
            "need":{"concerns":["parenting"],"urgency":"new_concern","severity":"mild"}}
            """
        _ = processor.process(
            KafkaRecord(topic: topics.requests, partition: 0, offset: 1, key: Array("reload-5".utf8), value: Array(json.utf8))
        ).materialize()
        let status = #"{"referralId":"reload-5","status":"reassigned","team":"ph-fc-heinola","at":"2026-11-17T09:00:00+02:00"}"#
        let update = KafkaRecord(topic: topics.status, partition: 0, offset: 9, key: Array("reload-5".utf8), value: Array(status.utf8))
        #expect(processor.process(update).outcome == .statusApplied)
        #expect(processor.partitions[0]?["reload-5"]?.ownerTeam == "ph-fc-heinola")
        processor.reconfigure(try Self.edited("regions/paijat-hame.yaml", replacing: "id: ph-fc-heinola,", with: "id: ph-fc-heinola-centre,"))
        #expect(processor.process(update).outcome == .statusApplied, "the replay is applied again, not rejected")
        // A new reassignment to the old id is refused.
        let other = status.replacingOccurrences(of: "reload-5", with: "reload-6")
        _ = processor.process(
            KafkaRecord(
                topic: topics.requests, partition: 0, offset: 2, key: Array("reload-6".utf8),
                value: Array(json.replacingOccurrences(of: "reload-5", with: "reload-6").utf8))
        ).materialize()
        let refused = KafkaRecord(topic: topics.status, partition: 0, offset: 10, key: Array("reload-6".utf8), value: Array(other.utf8))
        #expect(processor.process(refused).outcome == .deadLettered(code: "unknown_team"))
    }

    @Test func aReplayedConsultationWhoseCaseOwnerTeamWasRenamedIsNotRejected() throws {
        let (_, topics, processor) = try shippedProcessor()
        let json = """
            {"type":"consultation","id":"reload-2","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ageYears":8},"need":{"concerns":["neuropsychiatric"],"urgency":"new_concern","severity":"moderate"},\
            "consultation":{"caseOwnerTeam":"ph-fc-heinola"}}
            """
        let record = KafkaRecord(topic: topics.requests, partition: 0, offset: 5, key: Array("reload-2".utf8), value: Array(json.utf8))
        #expect(processor.process(record).outcome == .routed(consultations: 1))
        processor.reconfigure(try Self.edited("regions/paijat-hame.yaml", replacing: "id: ph-fc-heinola,", with: "id: ph-fc-heinola-centre,"))
        let replayed = processor.process(record)
        #expect(replayed.outcome == .routed(consultations: 1), "the replay is decided again, not rejected")
        #expect(replayed.materialize().contains { $0.topic == topics.consultations })
        // A new request naming the removed team is still rejected.
        let fresh = KafkaRecord(
            topic: topics.requests, partition: 0, offset: 6, key: Array("reload-3".utf8),
            value: Array(json.replacingOccurrences(of: "reload-2", with: "reload-3").utf8))
        #expect(processor.process(fresh).outcome == .deadLettered(code: "unknown_team"))
    }
}

/// A check added or tightened since a record was decided (the identity-code shapes, the free-text count): the
/// record's replay after an upgrade (an uncommitted window, an operator's offset reset) must not reject a referral
/// that is assigned, which would tell its sender to send it again.
@Suite("Replays of records decided under older checks")
struct ReplayUnderNewChecksTests {
    static func request(ref: String, offset: Int64) -> KafkaRecord {
        let json = """
            {"type":"referral","id":"old-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"test"},\
            "client":{"ref":"\(ref)","ageYears":15,"municipality":"398","postalCode":"15110"},\
            "need":{"concerns":["mental_health"],"urgency":"new_concern","severity":"mild"}}
            """
        return KafkaRecord(topic: RouterSettings.Topics().requests, partition: 0, offset: offset, key: Array("old-1".utf8), value: Array(json.utf8))
    }

    @Test func theRecordAnEarlierVersionDecidedIsNotRejectedWhenReplayed() throws {
        let (_, topics, processor) = try shippedProcessor()
        // Decided at offset 4 (here with a reference any version accepts; the state is what an earlier version left).
        #expect(processor.process(Self.request(ref: "pseud-old-1", offset: 4)).outcome == .routed(consultations: 0))
        // The same offset read again, now refused by a check: an identity code written with an en dash.
        let replayed = processor.process(Self.request(ref: "131052\u{2013}308T", offset: 4))
        #expect(replayed.outcome == .duplicate)
        #expect(replayed.materialize().isEmpty, "no dead letter and no rejection")
        // Sent again under the same id at another offset, it is refused as any invalid request is.
        let resent = processor.process(Self.request(ref: "131052\u{2013}308T", offset: 9)).materialize()
        #expect(resent.map(\.topic).sorted() == [topics.deadletter, topics.rejections].sorted())
    }
}
