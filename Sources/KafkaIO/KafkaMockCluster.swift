import CRdKafka
import Foundation
import Logging
import NIOConcurrencyHelpers

/// librdkafka's in-process mock cluster: a Kafka-protocol broker on loopback for tests, the demo and the
/// `dev-broker` command.
///
/// - Important: the mock ignores `read_committed`, fencing and transactional offset commits, keeps only about
///   5 MiB per partition and never compacts. Tests must not rely on those semantics.
public final class KafkaMockCluster: @unchecked Sendable {
    /// `fetch.wait.max.ms` for consumers of the mock cluster. The mock answers a fetch that finds no data only
    /// after the full wait (500 ms by default), even when data arrives meanwhile, where a real broker answers as
    /// soon as data arrives; a short wait keeps the mock from adding up to half a second to every record's latency.
    public static let fetchWaitMilliseconds = "2"

    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    public let bootstrapServers: String
    public let brokerCount: Int
    private let nagle: MockNagleDisabler

    public init(brokers: Int = 1, logger: Logger) throws(KafkaIOError) {
        // The mock cluster needs a handle to live in; a producer with no bootstrap is the lightest.
        self.client = try RDKafkaClient(
            kind: .producer, properties: ["log_level": "3"], context: RDKafkaCallbackContext(logger: logger))
        guard let cluster = rd_kafka_mock_cluster_new(self.client.pointer, Int32(brokers)) else {
            throw KafkaIOError(.client, "cannot start the mock cluster")
        }
        self.cluster = cluster
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        self.brokerCount = brokers
        let ports = Set(self.bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { UInt16($0) } })
        self.nagle = MockNagleDisabler(ports: ports)
        self.nagle.start()
    }

    deinit {
        self.nagle.stop()
        // The cluster must go before the handle it lives in.
        rd_kafka_mock_cluster_destroy(self.cluster)
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaIOError) {
        let error = rd_kafka_mock_topic_create(self.cluster, name, Int32(partitions), Int32(replicationFactor))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(error, .admin, "mock topic \(name)")
        }
    }

    /// Takes a broker down (connections are closed and refused) until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int32) {
        rd_kafka_mock_broker_set_down(self.cluster, id)
    }

    /// Moves a partition's leadership to another broker (with ``setRoundTripTime(_:milliseconds:)``, one slow
    /// partition).
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) throws(KafkaIOError) {
        let error = rd_kafka_mock_partition_set_leader(self.cluster, topic, partition, broker)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(error, .admin, "mock leader of \(topic) [\(partition)]")
        }
    }

    /// Makes a broker the coordinator of a consumer group (`type` "group", `key` its id) or of a transactional
    /// producer ("transaction", its transactional id), so that a slow broker elsewhere does not slow it.
    public func setCoordinator(type: String, key: String, broker: Int32) throws(KafkaIOError) {
        let error = rd_kafka_mock_coordinator_set(self.cluster, type, key, broker)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(error, .admin, "mock \(type) coordinator")
        }
    }

    /// Delays every response of a broker by `milliseconds` (a slow or distant broker).
    public func setRoundTripTime(_ id: Int32, milliseconds: Int32) {
        rd_kafka_mock_broker_set_rtt(self.cluster, id, milliseconds)
    }

    public func setBrokerUp(_ id: Int32) {
        rd_kafka_mock_broker_set_up(self.cluster, id)
    }

    public func setAllBrokers(up: Bool) {
        for id in 1...Int32(self.brokerCount) {
            if up { self.setBrokerUp(id) } else { self.setBrokerDown(id) }
        }
    }

    /// Makes the next `count` requests of an API (e.g. 0 = Produce, 8 = OffsetCommit) fail with an error code.
    /// Drops the errors still queued for requests of `apiKey`.
    public func clearRequestErrors(apiKey: Int16) {
        rd_kafka_mock_clear_request_errors(self.cluster, apiKey)
    }

    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(self.cluster, apiKey, buffer.count, buffer.baseAddress)
        }
    }
}

/// Disables Nagle's algorithm on the mock brokers' side of every connection.
///
/// A real Kafka broker sets `TCP_NODELAY` on the connections it accepts; librdkafka's mock does not. Without it a
/// small response written while an earlier one is still unacknowledged waits for the client's delayed ACK — 40 ms
/// on Linux — which showed up as one 40 ms produce round trip in almost every transaction (and so in every
/// transaction commit). The mock gives no hook into its sockets, so a background thread looks for them among the
/// process's descriptors (TCP sockets whose local port is a mock broker's) a few times a second and sets the option.
final class MockNagleDisabler: Sendable {
    private let ports: Set<UInt16>
    private let running = NIOLockedValueBox(false)
    private let stopped = DispatchSemaphore(value: 0)

    init(ports: Set<UInt16>) {
        self.ports = ports
    }

    func start() {
        self.running.withLockedValue { $0 = true }
        let thread = Thread { [self] in
            nameCurrentThread("mock-nodelay")
            while self.running.withLockedValue({ $0 }) {
                self.sweep()
                usleep(50_000)
            }
            self.stopped.signal()
        }
        thread.start()
    }

    func stop() {
        let wasRunning = self.running.withLockedValue { running in
            defer { running = false }
            return running
        }
        if wasRunning { self.stopped.wait() }
    }

    /// One pass over the open descriptors.
    func sweep() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0, address.sin_family == sa_family_t(AF_INET),
                self.ports.contains(UInt16(bigEndian: address.sin_port))
            else { continue }
            // The listening socket has the broker's port too; only accepted connections carry traffic.
            var listening: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0, listening == 0 else { continue }
            var noDelay: Int32 = 0
            size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, &size) == 0, noDelay == 0 else { continue }
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
