import CRdKafka
import Logging

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
    }

    deinit {
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

    public func setBrokerUp(_ id: Int32) {
        rd_kafka_mock_broker_set_up(self.cluster, id)
    }

    public func setAllBrokers(up: Bool) {
        for id in 1...Int32(self.brokerCount) {
            if up { self.setBrokerUp(id) } else { self.setBrokerDown(id) }
        }
    }

    /// Makes the next `count` requests of an API (e.g. 0 = Produce, 8 = OffsetCommit) fail with an error code.
    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(self.cluster, apiKey, buffer.count, buffer.baseAddress)
        }
    }
}
