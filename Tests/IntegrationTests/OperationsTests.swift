import Foundation
import InMemoryLogging
import KafkaIO
import Logging
import ReferralRouter
import SteeringModel
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Operations: reload and systemd notification", .serialized, .timeLimit(.minutes(4)))
struct OperationsTests {
    static func copyOfSteering(_ edit: (String) -> String, file: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steering-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Harness.steeringDirectory, toPath: directory)
        let path = directory + "/" + file
        try edit(try String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
        return directory
    }

    static func versions(_ harness: Harness) throws -> [String: String] {
        var result: [String: String] = [:]
        for record in try harness.readAll(harness.settings.topics.assignments) {
            if case .success(.object(let object)) = JSONParser.parse(record.value), case .string(let version)? = object["steeringModelVersion"] {
                result[record.keyString ?? ""] = version
            }
        }
        return result
    }

    @Test func aValidReloadAppliesBetweenRecordsAndAnInvalidOneIsRejected() async throws {
        let harness = try Harness(partitions: 2)
        var traffic = SyntheticTraffic(seed: 77, prefix: "reload", invalidShare: 0.05, duplicateShare: 0.05, statusShare: 0)
        let first = (0..<300).map { _ in traffic.next() }
        var expected = Expectations()
        expected.add(first)
        try harness.produce(first)
        let running = try harness.start()
        #expect(await Harness.waitUntil(seconds: 60) { harness.outputsComplete(expected) })
        let before = running.application.configurationVersion

        let changed = try Self.copyOfSteering({ $0.replacingOccurrences(of: "Everything else is owned", with: "All else is owned") }, file: "rules.yaml")
        let after = try running.application.reload(directory: changed).get()
        #expect(after != before)
        let second = (0..<300).map { _ in traffic.next() }
        var secondExpected = Expectations()
        secondExpected.add(second)
        expected.add(second)
        try harness.produce(second)
        #expect(await Harness.waitUntil(seconds: 60) { harness.outputsComplete(expected) })

        let broken = try Self.copyOfSteering({ $0.replacingOccurrences(of: "unitType: family_centre\n    sla", with: "unitType: family_center\n    sla") }, file: "rules.yaml")
        guard case .failure(let error) = running.application.reload(directory: broken) else {
            Issue.record("an invalid configuration must be rejected")
            return
        }
        #expect(error.problems.contains { $0.location.file == "rules.yaml" && $0.location.line != nil })
        try await Task.sleep(for: .milliseconds(300))
        #expect(running.application.configurationVersion == after, "the valid configuration stays")
        let status = String(decoding: running.application.statusJSON(), as: UTF8.self)
        #expect(status.contains("lastReloadError"))

        // A valid reload, then at once an invalid one: the loop applies the valid one after the invalid one was
        // rejected, and the rejection must stay on /status.
        let again = try Self.copyOfSteering({ $0.replacingOccurrences(of: "Everything else is owned", with: "Anything else is owned") }, file: "rules.yaml")
        let latest = try running.application.reload(directory: again).get()
        _ = running.application.reload(directory: broken)
        #expect(await Harness.waitUntil(seconds: 10) { running.application.configurationVersion == latest })
        let afterBoth = String(decoding: running.application.statusJSON(), as: UTF8.self)
        #expect(afterBoth.contains("lastReloadError"), "the later rejection stays: \(afterBoth)")
        #expect(await running.stop() == nil)

        try verifyOutputs(harness, expected)
        let versions = try Self.versions(harness)
        #expect(first.filter { $0.kind == .valid }.allSatisfy { versions[$0.id!] == before })
        #expect(secondExpected.validIds.allSatisfy { versions[$0] == after }, "records after the reload are decided by the new configuration")
    }

    /// A reload that renames a team owning open cases is accepted (the cases must be reassigned); the operator is
    /// told how many, in the log and as `/status`'s last error, without a referral's id or client.
    @Test func aReloadThatOrphansOpenCasesSaysHowMany() async throws {
        let harness = try Harness(partitions: 1)
        let logs = InMemoryLogHandler()
        let json = """
            {"type":"referral","id":"orphan-1","submittedAt":"\(RFC3339.format(Date()))","source":{"system":"test"},\
            "client":{"ref":"pseud-orphan-1","ageYears":3,"municipality":"111"},\
            "need":{"concerns":["parenting"],"urgency":"new_concern","severity":"mild"}}
            """
        try harness.produce(topic: harness.settings.topics.requests, partition: 0, key: Array("orphan-1".utf8), value: Array(json.utf8))
        let running = try harness.start(logger: Logger(label: "test", factory: { _ in logs }))
        #expect(await Harness.waitUntil(seconds: 60) { ((try? harness.readAll(harness.settings.topics.assignments)) ?? []).count == 1 })
        let renamed = try Self.copyOfSteering(
            { $0.replacingOccurrences(of: "id: ph-fc-heinola,", with: "id: ph-fc-heinola-centre,") }, file: "regions/paijat-hame.yaml")
        let version = try running.application.reload(directory: renamed).get()
        #expect(await Harness.waitUntil(seconds: 10) { running.application.configurationVersion == version })
        let warning = await Harness.waitUntil(seconds: 10) {
            logs.entries.contains { $0.level == .warning && "\($0.message)".contains("teams the new configuration does not have") }
        }
        #expect(warning)
        let entry = logs.entries.first { "\($0.message)".contains("teams the new configuration does not have") }
        #expect(entry?.metadata["cases"] == "1")
        let status = String(decoding: running.application.statusJSON(), as: UTF8.self)
        #expect(status.contains("1 open cases are owned by teams the configuration no longer has"), "\(status)")
        let text = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!text.contains("pseud-orphan-1"))
        #expect(await running.stop() == nil)
    }

    /// A reload before start-up has finished must not send `READY=1`: systemd (Type=notify) would take it for the end
    /// of start-up. After start-up a reload sends `RELOADING=1`, then `READY=1`.
    @Test func aReloadDuringStartUpSendsNoReadiness() async throws {
        #if canImport(Glibc)
        let harness = try Harness(partitions: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
        let socket = try NotifySocket(path: path)
        let application = try RouterApplication(
            settings: harness.settings, configuration: harness.configuration, logger: harness.logger,
            notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": path]))
        #expect(throws: Never.self) { try application.reload().get() }
        #expect(socket.receive(for: 0.5).isEmpty, "nothing is announced before start-up has finished")

        let running = Harness.Running(application: application)
        let startUp = socket.receive(for: 60) { $0.contains { $0.hasPrefix("READY=1") } }
        #expect(startUp.contains { $0.hasPrefix("READY=1") })
        // The probe marks start-up announced just after it sends READY=1.
        #expect(await Harness.waitUntil(seconds: 5) { application.startUpAnnounced })
        #expect(throws: Never.self) { try application.reload().get() }
        let reload = socket.receive(for: 10) { $0.contains { $0.hasPrefix("READY=1") } }.filter { !$0.hasPrefix("WATCHDOG") }
        #expect(reload.first?.hasPrefix("RELOADING=1") == true)
        #expect(reload.last?.hasPrefix("READY=1") == true)
        #expect(await running.stop() == nil)
        #endif
    }

    @Test func speaksTheNotifySocketProtocol() async throws {
        #if canImport(Glibc)
        let processes = try ProcessHarness(partitions: 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8)).sock").path
        let socket = try NotifySocket(path: path)
        var messages: [String] = []
        func receive(until deadline: Date, _ done: ([String]) -> Bool) {
            socket.receive(into: &messages, for: deadline.timeIntervalSinceNow, until: done)
        }

        let daemon = try processes.startDaemon(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"])
        receive(until: Date().addingTimeInterval(60)) { list in
            guard let ready = list.firstIndex(where: { $0.hasPrefix("READY=1") }) else { return false }
            return list[ready...].contains { $0.hasPrefix("WATCHDOG=1") }
        }
        kill(daemon.processIdentifier, SIGHUP)
        receive(until: Date().addingTimeInterval(20)) { list in
            guard let reloading = list.firstIndex(where: { $0.hasPrefix("RELOADING=1") }) else { return false }
            return list[(reloading + 1)...].contains { $0.hasPrefix("READY=1") }
        }
        daemon.terminate()
        receive(until: Date().addingTimeInterval(30)) { $0.contains { $0.hasPrefix("STOPPING=1") } }
        daemon.waitUntilExit()
        let kinds = messages.map { $0.split(separator: "=").first.map(String.init) ?? $0 }
        print("notify test: \(kinds.count) messages: \(kinds.reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } })")
        let ready = try #require(kinds.firstIndex(of: "READY"))
        let watchdog = try #require(kinds[ready...].firstIndex(of: "WATCHDOG"))
        let reloading = try #require(kinds.firstIndex(of: "RELOADING"))
        let stopping = try #require(kinds.firstIndex(of: "STOPPING"))
        #expect(ready < watchdog && watchdog < reloading && reloading < stopping)
        #expect(messages.first { $0.hasPrefix("RELOADING=1") }?.contains("MONOTONIC_USEC=") == true)
        #expect(daemon.terminationStatus == 0)
        #endif
    }
}

#if canImport(Glibc)
/// A datagram socket in the role of systemd's notify socket.
final class NotifySocket {
    private let fd: Int32
    private let path: String

    init(path: String) throws {
        self.path = path
        try #require(path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path), "a socket path fits sun_path")
        self.fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(self.fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(self.fd)
        unlink(self.path)
    }

    /// The messages that arrive within `seconds`, or until `done` holds for those received so far.
    func receive(for seconds: Double, until done: ([String]) -> Bool = { _ in false }) -> [String] {
        var messages: [String] = []
        self.receive(into: &messages, for: seconds, until: done)
        return messages
    }

    /// Appends the messages that arrive within `seconds`, or until `done` holds for all of `messages`.
    func receive(into messages: inout [String], for seconds: Double, until done: ([String]) -> Bool) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !done(messages) {
            let count = recv(self.fd, &buffer, buffer.count, 0)
            if count > 0 { messages.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
        }
    }
}
#endif
