import Foundation
import KafkaIO
import Logging
import ReferralRouter
import ServiceLifecycle
import SteeringModel
import Testing

/// An in-process mock cluster with the router's topics, a router that can be started and stopped, and readers for
/// what it published. Each test makes its own cluster, so tests never share topics.
final class Harness: @unchecked Sendable {
    /// The in-process cluster, or `nil` when the broker runs elsewhere (`dev-broker`).
    let cluster: KafkaMockCluster?
    let bootstrap: String
    var settings: RouterSettings
    let configuration: SteeringConfiguration
    let logger: Logger

    static let steeringDirectory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/steering").path
    }()

    init(
        partitions: Int = 4, statusPartitions: Int? = nil, brokers: Int = 1,
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        self.logger = logger
        let cluster = try KafkaMockCluster(brokers: brokers, logger: logger)
        self.cluster = cluster
        self.bootstrap = cluster.bootstrapServers
        var settings = RouterSettings()
        settings.kafka.bootstrapServers = cluster.bootstrapServers
        settings.kafka.sessionTimeoutMs = 6000
        settings.kafka.properties = ["topic.metadata.refresh.interval.ms": "1000", "reconnect.backoff.max.ms": "1000"]
        settings.http.port = 0
        settings.shutdown.gracePeriodSeconds = 10
        settings.steering.directory = Self.steeringDirectory
        self.settings = settings
        self.configuration = try SteeringConfiguration.load(directory: Self.steeringDirectory)
        let t = settings.topics
        for topic in [t.requests, t.assignments, t.consultations, t.sla, t.rejections, t.deadletter, t.state] {
            try cluster.createTopic(topic, partitions: partitions)
        }
        try cluster.createTopic(t.status, partitions: statusPartitions ?? partitions)
    }

    /// Makes the cluster's next produce requests fail with these error codes, and limits the router's clients to one
    /// request in flight per connection (the producer and the consumer share `kafka.properties`) so that the mock
    /// reports what a real broker would. Produce errors with five requests in flight, the production setting, can
    /// therefore be tried only against a real cluster.
    ///
    /// The mock checks producer sequence numbers only for transactional producers. Where a real broker rejects the
    /// request that follows a failed one (`OUT_OF_ORDER_SEQUENCE_NUMBER`), the mock stores it; librdkafka then takes
    /// the failed request's records for persisted and reports them delivered, although the mock never stored them
    /// (`tools/mock-limits/implicit-ack.c` shows it with librdkafka alone). With one request in flight no request
    /// follows a failed one before its retry. Call before `start()`.
    func injectProduceErrors(_ errors: [Int32]) throws {
        self.settings.kafka.properties["max.in.flight.requests.per.connection"] = "1"
        try #require(self.cluster).pushRequestErrors(apiKey: 0, errors: errors)
    }

    /// A harness for a broker hosted by another process, whose topics exist already.
    init(external bootstrap: String, logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        self.logger = logger
        self.cluster = nil
        self.bootstrap = bootstrap
        var settings = RouterSettings()
        settings.kafka.bootstrapServers = bootstrap
        settings.steering.directory = Self.steeringDirectory
        self.settings = settings
        self.configuration = try SteeringConfiguration.load(directory: Self.steeringDirectory)
    }

    /// Whether the router's group has committed every record of both inputs.
    func inputsCommitted(groupId: String) -> Bool {
        let properties = ["bootstrap.servers": self.bootstrap, "group.id": groupId, "log_level": "0", "enable.auto.commit": "false"]
        guard let consumer = try? KafkaConsumerClient(properties: properties, logger: self.logger) else { return false }
        defer { consumer.close() }
        for topic in [self.settings.topics.requests, self.settings.topics.status] {
            guard let count = try? consumer.partitionCount(topic: topic) else { return false }
            let partitions = (0..<Int32(count)).map { KafkaPartition(topic: topic, partition: $0) }
            guard let committed = try? consumer.committed(partitions) else { return false }
            for partition in partitions {
                guard let high = try? consumer.watermarks(partition).high else { return false }
                if high > 0, (committed[partition] ?? -1) < high { return false }
            }
        }
        return true
    }

    /// Whether no topic lost records to the mock cluster's retention (it keeps about 5 MiB per partition).
    func lowWatermarksAreZero() throws -> Bool {
        let properties = ["bootstrap.servers": self.bootstrap, "group.id": "test-watermarks", "log_level": "0"]
        let consumer = try KafkaConsumerClient(properties: properties, logger: self.logger)
        defer { consumer.close() }
        let t = self.settings.topics
        for topic in [t.requests, t.status, t.assignments, t.consultations, t.sla, t.rejections, t.deadletter, t.state] {
            let count = try consumer.partitionCount(topic: topic) ?? 0
            for partition in 0..<Int32(count) where try consumer.watermarks(KafkaPartition(topic: topic, partition: partition)).low > 0 {
                Issue.record("\(topic)[\(partition)] lost records to retention; use more partitions")
                return false
            }
        }
        return true
    }

    /// Per output topic, how many records repeat an output id already seen.
    func duplicateOutputReport() throws -> [String: Int] {
        var report: [String: Int] = [:]
        let t = self.settings.topics
        for topic in [t.assignments, t.consultations, t.sla, t.rejections, t.deadletter] {
            var seen = Set<String>()
            var duplicates = 0
            for record in try self.readAll(topic) {
                guard let id = record.header("referral-router.output-id") else { continue }
                if !seen.insert(id).inserted { duplicates += 1 }
            }
            report[topic] = duplicates
        }
        return report
    }

    /// SLA timers started, and timers started or breached more than once.
    func slaEventCounts() throws -> (started: Int, startedTwice: Int, breachedTwice: Int) {
        var started: [String: Int] = [:]
        var breached: [String: Int] = [:]
        for record in try self.readAll(self.settings.topics.sla) {
            guard case .success(.object(let object)) = JSONParser.parse(record.value),
                case .string(let timer)? = object["timerId"], case .string(let event)? = object["event"]
            else { continue }
            if event == "started" { started[timer, default: 0] += 1 }
            if event == "breached" { breached[timer, default: 0] += 1 }
        }
        return (started.count, started.values.filter { $0 > 1 }.count, breached.values.filter { $0 > 1 }.count)
    }

    /// Produces records and waits until the broker has every one.
    func produce(_ records: [SyntheticTraffic.Record]) throws {
        let failures = Counter()
        let producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": self.bootstrap, "linger.ms": "5", "log_level": "3"],
            logger: self.logger, onDelivery: { report in if report.error != nil { failures.add() } })
        producer.startPolling()
        defer { producer.stopPolling() }
        for record in records {
            try producer.produce(
                topic: record.isRequest ? self.settings.topics.requests : self.settings.topics.status, partition: nil,
                key: record.key, value: record.value, headers: [KafkaHeader(key: "traceparent", string: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")],
                token: 1)
        }
        #expect(producer.flush(timeoutMilliseconds: 60_000))
        #expect(failures.value == 0)
    }

    /// Produces one record as it is (any topic, a given partition) and waits until the broker has it.
    func produce(topic: String, partition: Int32, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = []) throws {
        let failures = Counter()
        let producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": self.bootstrap, "log_level": "3"],
            logger: self.logger, onDelivery: { report in if report.error != nil { failures.add() } })
        producer.startPolling()
        defer { producer.stopPolling() }
        try producer.produce(topic: topic, partition: partition, key: key, value: value, headers: headers, token: 1)
        #expect(producer.flush(timeoutMilliseconds: 60_000))
        #expect(failures.value == 0)
    }

    /// Every record of a topic, from the beginning to its current end.
    func readAll(_ topic: String) throws -> [KafkaRecord] {
        var properties = ["bootstrap.servers": self.bootstrap, "group.id": "test-reader", "log_level": "3"]
        properties["enable.auto.commit"] = "false"
        let consumer = try KafkaConsumerClient(properties: properties, logger: self.logger)
        defer { consumer.close() }
        guard let count = try consumer.partitionCount(topic: topic) else { return [] }
        var remaining: [Int32: Int64] = [:]
        for partition in 0..<Int32(count) {
            let marks = try consumer.watermarks(KafkaPartition(topic: topic, partition: partition), timeoutMilliseconds: 5000)
            if marks.high > marks.low { remaining[partition] = marks.high }
        }
        var records: [KafkaRecord] = []
        guard !remaining.isEmpty else { return records }
        let partitions = remaining.keys.sorted().map { KafkaPartition(topic: topic, partition: $0) }
        try consumer.assign(partitions, offsets: Array(repeating: KafkaConsumerClient.beginning, count: partitions.count))
        let deadline = Date().addingTimeInterval(60)
        while !remaining.isEmpty, Date() < deadline {
            guard let record = try consumer.poll(timeoutMilliseconds: 200) else { continue }
            records.append(record)
            if let high = remaining[record.partition], record.offset >= high - 1 {
                remaining.removeValue(forKey: record.partition)
            }
        }
        return records
    }

    /// Whether every expected assignment and dead letter is on its topic (replays make processing counts unreliable
    /// as a progress measure, so tests wait on the outputs themselves).
    func outputsComplete(_ expected: Expectations) -> Bool {
        guard let assignments = try? self.readAll(self.settings.topics.assignments),
            let deadLetters = try? self.readAll(self.settings.topics.deadletter)
        else { return false }
        let ids = Set(assignments.compactMap(\.keyString))
        return expected.validIds.isSubset(of: ids) && deadLetters.count >= expected.invalidValues.count
    }

    /// A running router.
    final class Running: @unchecked Sendable {
        let application: RouterApplication
        let group: ServiceGroup
        let task: Task<(any Error)?, Never>
        private let ended = Counter()

        init(application: RouterApplication) {
            self.application = application
            let group = application.makeServiceGroup()
            self.group = group
            let ended = self.ended
            self.task = Task {
                defer { ended.add() }
                do {
                    try await group.run()
                    return nil
                } catch {
                    return error
                }
            }
        }

        /// Whether the service group has ended (stopped, or failed on its own).
        var hasEnded: Bool { self.ended.value > 0 }

        /// Stops gracefully and returns the error the group ended with, if any.
        func stop() async -> (any Error)? {
            await self.group.triggerGracefulShutdown()
            return await self.task.value
        }
    }

    func start(logger: Logger? = nil) throws -> Running {
        let application = try RouterApplication(settings: self.settings, configuration: self.configuration, logger: logger ?? self.logger)
        return Running(application: application)
    }

    /// Polls a condition every 100 ms until it holds or the time is up.
    static func waitUntil(seconds: Double = 60, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() {
        self.lock.lock()
        self.count += 1
        self.lock.unlock()
    }

    var value: Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.count
    }
}

/// What the router must have published for a set of inputs.
struct Expectations {
    var validIds: Set<String> = []
    var invalidValues: [[UInt8]] = []
    var duplicates = 0

    mutating func add(_ records: [SyntheticTraffic.Record]) {
        for record in records {
            switch record.kind {
            case .valid: self.validIds.insert(record.id!)
            case .invalid: self.invalidValues.append(record.value)
            case .duplicate: self.duplicates += 1
            case .status: break
            }
        }
    }

    var total: Int {
        self.validIds.count + self.invalidValues.count + self.duplicates
    }
}

extension KafkaRecord {
    var keyString: String? {
        self.key.map { String(decoding: $0, as: UTF8.self) }
    }

    func header(_ name: String) -> String? {
        self.headers.last { $0.key == name }?.stringValue
    }
}

/// Checks the published assignments, consultations, dead letters, rejections and SLA events (their output and
/// CloudEvents ids) against the expectations: exactly one
/// assignment per distinct valid id, none for anything else, the consultations the steering model gives, and one
/// dead letter per invalid record with its original bytes.
func verifyOutputs(_ harness: Harness, _ expected: Expectations) throws {
    let topics = harness.settings.topics
    let assignments = try harness.readAll(topics.assignments)
    var perId: [String: Int] = [:]
    for record in assignments {
        perId[record.keyString ?? "", default: 0] += 1
    }
    let twice = perId.filter { $0.value > 1 }
    let missing = expected.validIds.subtracting(perId.keys)
    let unexpected = Set(perId.keys).subtracting(expected.validIds)
    print("assignments: \(assignments.count) records, \(perId.count) distinct ids; expected \(expected.validIds.count); duplicates \(twice.count), missing \(missing.count), unexpected \(unexpected.count)")
    #expect(twice.isEmpty, "assigned twice: \(twice.keys.sorted().prefix(5))")
    #expect(missing.isEmpty, "never assigned: \(missing.sorted().prefix(5))")
    #expect(unexpected.isEmpty, "assigned without a valid request: \(unexpected.sorted().prefix(5))")

    // Consultations: the unit types the steering model gives for each assignment's request.
    let consultations = try harness.readAll(topics.consultations)
    var consultedTypes: [String: [String]] = [:]
    for record in consultations {
        guard case .success(.object(let object)) = JSONParser.parse(record.value), case .string(let unitType)? = object["unitType"] else {
            Issue.record("unreadable consultation record")
            continue
        }
        consultedTypes[record.keyString ?? "", default: []].append(unitType)
    }
    var assignmentConsults: [String: [String]] = [:]
    for record in assignments {
        guard case .success(.object(let object)) = JSONParser.parse(record.value), case .array(let list)? = object["consultations"] else {
            Issue.record("unreadable assignment")
            continue
        }
        assignmentConsults[record.keyString ?? ""] = list.compactMap { element in
            if case .object(let c) = element, case .string(let unitType)? = c["unitType"] { return unitType }
            return nil
        }
        #expect(record.header("ce_type") == "fi.referral.assignment.v1")
        #expect(record.header("ce_id") == "\(record.keyString ?? "")/assignment")
        #expect(record.header("traceparent") != nil)
        // The whole CloudEvents binary-mode set, each header once: the kind's shared headers and the record's own.
        #expect(
            record.headers.map(\.key).sorted()
                == [
                    "ce_dataschema", "ce_id", "ce_source", "ce_specversion", "ce_subject", "ce_time", "ce_type",
                    "content-type", "referral-router.output-id", "traceparent",
                ])
        #expect(record.header("ce_specversion") == "1.0")
        #expect(record.header("ce_dataschema") == "urn:referral-router:schema:assignment.v1")
        #expect(record.header("content-type") == "application/json")
        #expect(record.header("ce_subject") == record.keyString)
        #expect(record.header("ce_source")?.isEmpty == false)
    }
    for record in consultations {
        // Its output id (by which a restore drops what was published) once, and the same bytes as its CloudEvents id.
        #expect(record.headers.count { $0.key == "referral-router.output-id" } == 1)
        #expect(record.header("ce_id") == record.header("referral-router.output-id"))
        #expect(record.header("ce_type") == "fi.referral.consultation.v1")
        #expect(record.header("ce_dataschema") == "urn:referral-router:schema:consultation.v1")
        #expect(record.header("ce_specversion") == "1.0")
        #expect(record.header("content-type") == "application/json")
    }
    for (id, types) in assignmentConsults {
        #expect((consultedTypes[id] ?? []).sorted() == types.sorted(), "consultations of \(id)")
    }
    #expect(consultations.count == assignmentConsults.values.reduce(0) { $0 + $1.count })

    // Dead letters: one per invalid record, original bytes kept, reason in headers.
    let deadLetters = try harness.readAll(topics.deadletter)
    var originals: [[UInt8]: Int] = [:]
    for value in expected.invalidValues { originals[value, default: 0] += 1 }
    var found: [[UInt8]: Int] = [:]
    for record in deadLetters {
        found[record.value, default: 0] += 1
        #expect(record.header("referral-router.output-id")?.hasSuffix("/deadletter") == true)
        #expect(record.header("__connect.errors.topic") == topics.requests || record.header("__connect.errors.topic") == topics.status)
        #expect(record.header("referral-router.error.code") != nil)
        #expect(record.header("__connect.errors.offset") != nil)
    }
    print("dead letters: \(deadLetters.count); expected \(expected.invalidValues.count)")
    let missingDeadLetters = originals.filter { found[$0.key, default: 0] < $0.value }.count
    let extraDeadLetters = found.filter { originals[$0.key, default: 0] < $0.value }.count
    #expect(missingDeadLetters == 0, "invalid records without their dead letter (original bytes)")
    #expect(extraDeadLetters == 0, "dead letters that match no invalid record, or repeat one")
    let rejections = try harness.readAll(topics.rejections)
    #expect(rejections.count == deadLetters.count)
    for record in rejections {
        #expect(record.headers.count { $0.key == "referral-router.output-id" } == 1)
        #expect(record.header("ce_id") == record.header("referral-router.output-id"))
        #expect(record.header("ce_type") == "fi.referral.rejection.v1")
        #expect(record.header("ce_time") != nil)
    }
    for record in try harness.readAll(topics.sla) {
        #expect(record.headers.count { $0.key == "referral-router.output-id" } == 1)
        #expect(record.header("ce_id") == record.header("referral-router.output-id"))
        #expect(record.header("ce_time") != nil && record.header("ce_subject") == record.keyString)
    }
}
