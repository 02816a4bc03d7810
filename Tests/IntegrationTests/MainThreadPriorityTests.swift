import Foundation
import InMemoryLogging
import Logging
import Testing

@testable import KafkaIO

/// librdkafka before 2.4.0 busy-waits in its main thread before each timer; a transactional producer's timers fire
/// hundreds of times a second, so its main thread runs at a lower priority (`RDKafkaClient.transactionalMainThreadNice`).
@Suite("librdkafka's main thread priority")
struct MainThreadPriorityTests {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func onlyATransactionalProducerIsLowered() {
        let expected: Int32? = RDKafkaClient.libraryVersion < 0x0204_0000 ? 10 : nil
        #expect(RDKafkaClient.mainThreadNice(kind: .producer, properties: ["transactional.id": "t-1"]) == expected)
        #expect(RDKafkaClient.mainThreadNice(kind: .producer, properties: ["enable.idempotence": "true"]) == nil)
        #expect(RDKafkaClient.mainThreadNice(kind: .consumer, properties: ["transactional.id": "t-1"]) == nil)
    }

    @Test(.enabled(if: RDKafkaClient.transactionalMainThreadNice != nil))
    func aTransactionalProducersMainThreadRunsAtThatNiceValue() throws {
        let nice = try #require(RDKafkaClient.transactionalMainThreadNice)
        let cluster = try KafkaMockCluster(brokers: 1, logger: self.logger)
        let logs = InMemoryLogHandler()
        let before = Self.mainThreads()
        let producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": cluster.bootstrapServers, "transactional.id": "nice-test"],
            logger: Logger(label: "test", factory: { _ in logs }), onDeliveries: { _ in })
        // rd_kafka_new has started the main thread before it returns; its interceptor ran first thing on it.
        let started = Self.mainThreads().filter { before[$0.key] == nil }
        #expect(started.values.contains(nice), "main threads started: \(started)")
        // The client reports what the thread did: here, that the nice value took.
        let reported = logs.entries.filter { $0.message.description.contains("main thread") }
        #expect(reported.count == 1)
        #expect(reported.first?.level == .info)
        #expect(reported.first?.metadata["nice"] == "\(nice)")
        withExtendedLifetime((producer, cluster)) {}
    }

    /// librdkafka's main threads of this process ("rdk:main") by thread id, with their nice values (Linux /proc).
    static func mainThreads() -> [Int: Int32] {
        let task = "/proc/self/task"
        var threads: [Int: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: task)) ?? [] {
            guard let id = Int(entry), let stat = try? String(contentsOfFile: "\(task)/\(entry)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: open)..<close] == "rdk:main"
            else { continue }
            // After the name: state is field 3 of stat(5), nice field 19.
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if fields.count > 16, let nice = Int32(fields[16]) { threads[id] = nice }
        }
        return threads
    }
}
