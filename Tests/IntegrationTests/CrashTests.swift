import Foundation
import KafkaIO
import Logging
import ReferralRouter
import SteeringModel
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the real binary as separate processes: a broker that outlives the daemons, and daemons killed with
/// SIGKILL at random moments.
final class ProcessHarness: @unchecked Sendable {
    static let binary: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/referral-router").path
    }()

    let broker: Process
    let bootstrap: String
    let logFile: String

    init(partitions: Int) throws {
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: Self.binary)
        broker.arguments = ["dev-broker", "--partitions", String(partitions)]
        let pipe = Pipe()
        broker.standardOutput = pipe
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        self.broker = broker
        self.bootstrap = String(decoding: line, as: UTF8.self)
        self.logFile = FileManager.default.temporaryDirectory.appendingPathComponent("crash-test-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: self.logFile, contents: nil)
    }

    deinit {
        self.broker.terminate()
        self.broker.waitUntilExit()
    }

    func startDaemon(environment extra: [String: String] = [:]) throws -> Process {
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: Self.binary)
        daemon.arguments = ["run", "--bootstrap", self.bootstrap, "--steering", Harness.steeringDirectory, "--port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["REFERRAL_ROUTER_KAFKA_SESSIONTIMEOUTMS"] = "6000"
        environment["REFERRAL_ROUTER_LOGGING_LEVEL"] = "warning"
        environment.merge(extra) { $1 }
        daemon.environment = environment
        let log = FileHandle(forWritingAtPath: self.logFile)!
        log.seekToEndOfFile()
        daemon.standardOutput = log
        daemon.standardError = log
        try daemon.run()
        return daemon
    }

    func kill(_ daemon: Process) {
        Glibc.kill(daemon.processIdentifier, SIGKILL)
        daemon.waitUntilExit()
    }
}

@Suite("Fault tests: the daemon as a separate process", .serialized, .timeLimit(.minutes(10)))
struct CrashTests {
    @Test func sigkillAtRandomMomentsLosesAndDuplicatesNothing() async throws {
        let partitions = 16
        let processes = try ProcessHarness(partitions: partitions)
        let harness = try Harness(external: processes.bootstrap)
        var rng = SyntheticTraffic.Generator(seed: 20_261_122)
        var traffic = SyntheticTraffic(seed: 5, prefix: "crash", invalidShare: 0.1, duplicateShare: 0.1, statusShare: 0)
        let requests = (0..<20_000).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(requests)
        try harness.produce(requests)

        var kills = 0
        var daemon = try processes.startDaemon()
        // Three kills while requests are processed.
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 7000...11000, using: &rng)))
            processes.kill(daemon)
            kills += 1
            daemon = try processes.startDaemon()
        }
        #expect(await Harness.waitUntil(seconds: 240) { harness.outputsComplete(expected) }, "every request decided")

        // Status updates for decided referrals, with two more kills while they are processed.
        let decided = Array(expected.validIds).sorted()
        var statuses: [SyntheticTraffic.Record] = []
        for index in 0..<3000 {
            let id = decided[Int(rng.next() % UInt64(decided.count))]
            let status = ["acknowledged", "first_contact", "assessment_started", "closed"][index % 4]
            let json = "{\"referralId\":\"\(id)\",\"status\":\"\(status)\",\"at\":\"\(RFC3339.format(Date()))\",\"team\":\"t\"}"
            statuses.append(SyntheticTraffic.Record(kind: .status, isRequest: false, key: Array(id.utf8), value: Array(json.utf8), id: id))
        }
        try harness.produce(statuses)
        for _ in 0..<2 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 3000...6000, using: &rng)))
            processes.kill(daemon)
            kills += 1
            daemon = try processes.startDaemon()
        }
        #expect(await Harness.waitUntil(seconds: 240) { harness.inputsCommitted(groupId: "referral-router") }, "every input committed")
        try await Task.sleep(for: .seconds(2))
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0, "graceful stop exits 0")

        // Nothing was deleted by the mock's retention, so the counts below are complete.
        #expect(try harness.lowWatermarksAreZero())
        try verifyOutputs(harness, expected)
        let report = try harness.duplicateOutputReport()
        let sla = try harness.slaEventCounts()
        print("crash test: \(requests.count) requests + \(statuses.count) status updates, \(kills) SIGKILLs; valid ids \(expected.validIds.count), invalid \(expected.invalidValues.count), repeated ids \(expected.duplicates); timers started \(sla.started) (timers with two starts: \(sla.startedTwice)), breached twice: \(sla.breachedTwice); duplicate outputs by id: \(report)")
        #expect(report.values.allSatisfy { $0 == 0 })
        #expect(sla.startedTwice == 0)
        #expect(sla.breachedTwice == 0)
        #expect(sla.started >= expected.validIds.count)
    }
}


@Suite("Fault tests: rebalances and injected errors", .serialized, .timeLimit(.minutes(6)))
struct RebalanceAndErrorTests {
    /// Emergency referrals submitted 59 min 35 s ago: warnings are overdue at once and the breach falls due in
    /// about 25 s, so timers fire during the test without touching any clock.
    static func overdueEmergencies(_ count: Int, prefix: String) -> [SyntheticTraffic.Record] {
        let submitted = RFC3339.format(Date().addingTimeInterval(-(59 * 60 + 35)))
        return (0..<count).map { index in
            let id = "\(prefix)-\(index)"
            let json = """
                {"type":"referral","id":"\(id)","submittedAt":"\(submitted)","source":{"system":"test"},\
                "client":{"ref":"pseud-\(index)","ageYears":\(index % 18),"municipality":"111"},\
                "need":{"concerns":["parenting"],"urgency":"emergency","severity":"severe"}}
                """
            return SyntheticTraffic.Record(kind: .valid, isRequest: true, key: Array(id.utf8), value: Array(json.utf8), id: id)
        }
    }

    static func slaEvents(_ harness: Harness) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for record in try harness.readAll(harness.settings.topics.sla) {
            guard case .success(.object(let object)) = JSONParser.parse(record.value),
                case .string(let timer)? = object["timerId"], case .string(let event)? = object["event"]
            else { continue }
            var text = event
            if case .number(let threshold)? = object["threshold"] { text += ":\(threshold.text)" }
            result[timer, default: []].append(text)
        }
        return result
    }

    @Test func aKilledInstancesPartitionsAndTimersMoveToTheSurvivors() async throws {
        let processes = try ProcessHarness(partitions: 6)
        let harness = try Harness(external: processes.bootstrap)
        var daemons = try (0..<3).map { _ in try processes.startDaemon() }
        // Let the three members join one generation before traffic arrives.
        try await Task.sleep(for: .seconds(8))
        let requests = Self.overdueEmergencies(120, prefix: "rebalance")
        try harness.produce(requests)
        #expect(try await Harness.waitUntil(seconds: 60) { try Self.slaEvents(harness).values.filter { $0.contains("started") }.count == 120 })

        processes.kill(daemons.removeFirst())
        let breached = try await Harness.waitUntil(seconds: 120) {
            try Self.slaEvents(harness).values.filter { $0.contains("breached") }.count == 120
        }
        #expect(breached, "every timer, including the killed instance's, breaches")
        try await Task.sleep(for: .seconds(3))
        for daemon in daemons {
            daemon.terminate()
            daemon.waitUntilExit()
            #expect(daemon.terminationStatus == 0)
        }
        let events = try Self.slaEvents(harness)
        let expected = ["started", "warning:0.5", "warning:0.75", "breached"]
        let wrong = events.filter { $0.value.sorted() != expected.sorted() }
        print("rebalance test: 3 instances, 1 SIGKILL; \(events.count) timers; timers with missing or repeated events: \(wrong.count)")
        #expect(events.count == 120)
        #expect(wrong.isEmpty, "\(wrong.prefix(3))")
        let assignments = try harness.readAll(harness.settings.topics.assignments)
        #expect(Set(assignments.compactMap(\.keyString)).count == 120)
        #expect(assignments.count == 120)
    }

    @Test func injectedProduceAndCommitErrorsEndInRecovery() async throws {
        let harness = try Harness(partitions: 4)
        var traffic = SyntheticTraffic(seed: 99, prefix: "inject", invalidShare: 0.1, duplicateShare: 0.1, statusShare: 0)
        let records = (0..<1000).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        let cluster = try #require(harness.cluster)
        // Retriable produce errors (NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, NOT_LEADER_FOR_PARTITION) and commit
        // errors (COORDINATOR_NOT_AVAILABLE, REQUEST_TIMED_OUT).
        try harness.injectProduceErrors(Array(repeating: 19, count: 10) + Array(repeating: 7, count: 5) + Array(repeating: 6, count: 5))
        cluster.pushRequestErrors(apiKey: 8, errors: Array(repeating: 15, count: 5) + Array(repeating: 7, count: 3))
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        #expect(await Harness.waitUntil(seconds: 30) { harness.inputsCommitted(groupId: "referral-router") }, "commits recover")
        #expect(await running.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }

    @Test func aFatalProducerErrorStopsTheInstanceAndARestartLosesNothing() async throws {
        let harness = try Harness(partitions: 2)
        var traffic = SyntheticTraffic(seed: 123, prefix: "fatal", invalidShare: 0.05, duplicateShare: 0.05, statusShare: 0)
        let records = (0..<600).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(records)
        try harness.produce(records)
        // OUT_OF_ORDER_SEQUENCE_NUMBER is fatal for an idempotent producer (one, so the restart meets none).
        try harness.injectProduceErrors([45])
        let first = try harness.start()
        _ = await Harness.waitUntil(seconds: 30) { harness.outputsComplete(expected) }
        let error = await first.stop()
        print("fatal-error test: first instance ended with \(error.map { "\($0)" } ?? "no error (the client recovered)")")
        // The first instance must have stopped on the error (a delivery failure or the producer's fatal state), or
        // this test would not show what a restart after one recovers.
        #expect(error != nil, "the injected OUT_OF_ORDER_SEQUENCE_NUMBER did not stop the first instance")
        let second = try harness.start()
        #expect(await Harness.waitUntil(seconds: 90) { harness.outputsComplete(expected) })
        #expect(await second.stop() == nil)
        try verifyOutputs(harness, expected)
        #expect(try harness.duplicateOutputReport().values.allSatisfy { $0 == 0 })
    }
}
