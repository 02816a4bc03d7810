import CRdKafka
import Foundation
import Logging
import NIOConcurrencyHelpers

/// What librdkafka callbacks need from Swift, reached through the handle's opaque pointer.
///
/// Lifetime: the ``RDKafkaClient`` that owns the `rd_kafka_t` holds this object strongly and destroys the handle
/// in `deinit` before releasing it, so the unretained pointer given to librdkafka is valid for every callback.
final class RDKafkaCallbackContext: @unchecked Sendable {
    let logger: Logger
    /// Set once before the handle is created and never changed afterwards: a producer's delivery reports are
    /// collected (see ``KafkaProducerClient``).
    var collectsDeliveries = false
    /// Delivery reports collected by the callback, not yet handed over.
    private let deliveries = NIOLockedValueBox<[Delivery]>([])

    struct Delivery {
        var token: UInt64
        var error: rd_kafka_resp_err_t
        var partition: Int32
        var offset: Int64
    }

    func collect(_ delivery: Delivery) {
        self.deliveries.withLockedValue { $0.append(delivery) }
    }

    /// The reports collected so far, oldest first; the next ones go into a fresh list.
    func takeDeliveries() -> [Delivery] {
        self.deliveries.withLockedValue { collected in
            guard !collected.isEmpty else { return [] }
            var taken: [Delivery] = []
            taken.reserveCapacity(Swift.max(64, collected.count))
            swap(&taken, &collected)
            return taken
        }
    }
    /// The rebalance, its partitions, and for a revocation whether the assignment was lost (the group went on
    /// without this member: the partitions may already be another's).
    var onRebalance: ((rd_kafka_resp_err_t, [KafkaPartition], Bool) -> Void)?
    let lastError = NIOLockedValueBox<String?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }
}

/// Owns one `rd_kafka_t` and the configuration it was made from.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    let pointer: OpaquePointer
    let context: RDKafkaCallbackContext
    let kind: Kind
    /// The main thread's nice value and its outcome (`crdkafka_set_main_thread_nice`), or nil.
    private let niceRequest: UnsafeMutablePointer<crdkafka_thread_nice>?

    /// The nice value for the main thread of a client of `kind` with `properties`: a transactional producer's
    /// (see `transactionalMainThreadNice`), nil for any other client.
    static func mainThreadNice(kind: Kind, properties: [String: String]) -> Int32? {
        guard kind == .producer, properties["transactional.id"] != nil else { return nil }
        return Self.transactionalMainThreadNice
    }

    /// The nice value of a transactional producer's main thread, or nil to leave it as the process's.
    ///
    /// Before 2.4.0 (confluentinc/librdkafka#4671, "Fix to main loop timeout calculation") librdkafka's main thread
    /// serves its queue with a zero timeout, in a tight loop, for the last millisecond before each of its timers.
    /// A transactional producer sets a one-millisecond timer each time a partition joins the transaction and after
    /// each AddPartitionsToTxn response, hundreds of times a second: on Debian 12's 2.0.2 its main thread spun 24-39 %
    /// of a core at 2,000 requests/s, and took a tenth of the process's CPU at full load, on a 2-core machine whose
    /// cores the router's own threads need (docs/performance.md). At nice 10 the spinning thread yields the core to
    /// the others whenever they can run, and still runs the transaction's steps promptly when the machine has idle
    /// time. `REFERRAL_ROUTER_KAFKA_MAIN_THREAD_NICE` overrides it (0 to 19; `off` leaves the thread alone).
    static let transactionalMainThreadNice: Int32? = {
        if let text = ProcessInfo.processInfo.environment["REFERRAL_ROUTER_KAFKA_MAIN_THREAD_NICE"] {
            guard let value = Int32(text), (0...19).contains(value) else { return nil }
            return value
        }
        return RDKafkaClient.libraryVersion < 0x0204_0000 ? 10 : nil
    }()

    /// librdkafka's version as a number (0xMMmmrrpp): 0x020002ff for 2.0.2.
    static let libraryVersion = rd_kafka_version()

    /// Creates a client.
    ///
    /// - Important: `rd_kafka_new` takes ownership of the configuration only on success; on failure it is
    ///   destroyed here.
    init(kind: Kind, properties: [String: String], context: RDKafkaCallbackContext) throws(KafkaIOError) {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaIOError(.configuration, "rd_kafka_conf_new failed")
        }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errorBuffer, errorBuffer.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                throw KafkaIOError(.configuration, "librdkafka property '\(key)': \(message)")
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { handle, level, facility, message in
            guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = message.map { String(cString: $0) } ?? ""
            let facilityText = facility.map { String(cString: $0) } ?? ""
            let logLevel: Logger.Level =
                switch level {
                case 0...2: .critical
                case 3: .error
                case 4: .warning
                case 5, 6: .info
                default: .debug
                }
            context.logger.log(level: logLevel, "librdkafka: \(text)", metadata: [LoggingKeys.kafkaFacility: "\(facilityText)"])
        }
        rd_kafka_conf_set_error_cb(conf) { _, error, reason, opaque in
            guard let opaque else { return }
            let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = "\(String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(error)))): \(reason.map { String(cString: $0) } ?? "")"
            context.lastError.withLockedValue { $0 = text }
            context.logger.warning("Kafka client error", metadata: [LoggingKeys.error: "\(text)"])
        }
        if kind == .producer {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let opaque, let message else { return }
                let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
                guard context.collectsDeliveries else { return }
                context.collect(.init(
                    token: UInt64(UInt(bitPattern: message.pointee._private)), error: message.pointee.err,
                    partition: message.pointee.partition, offset: message.pointee.offset))
            }
        } else {
            rd_kafka_conf_set_rebalance_cb(conf) { handle, error, partitions, opaque in
                guard let handle, let opaque else { return }
                let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
                let list = partitions.map(RDKafkaClient.partitions(from:)) ?? []
                let lost = error != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS && rd_kafka_assignment_lost(handle) != 0
                context.onRebalance?(error, list, lost)
                switch error {
                case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                    rd_kafka_assign(handle, partitions)
                default:
                    rd_kafka_assign(handle, nil)
                }
            }
        }
        // Written by the main thread as it starts, inside rd_kafka_new; kept until the client is destroyed.
        var niceRequest: UnsafeMutablePointer<crdkafka_thread_nice>?
        if let nice = Self.mainThreadNice(kind: kind, properties: properties) {
            let request = UnsafeMutablePointer<crdkafka_thread_nice>.allocate(capacity: 1)
            request.initialize(to: crdkafka_thread_nice(nice: nice, result: -1))
            let added = crdkafka_set_main_thread_nice(conf, request)
            if added == RD_KAFKA_RESP_ERR_NO_ERROR {
                niceRequest = request
            } else {
                request.deallocate()
                context.logger.warning(
                    "Could not add the interceptor that lowers the priority of librdkafka's main thread",
                    metadata: [LoggingKeys.error: "\(String(cString: rd_kafka_err2name(added)))"])
            }
        }
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errorBuffer, errorBuffer.count) else {
            rd_kafka_conf_destroy(conf)
            niceRequest?.deallocate()
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaIOError(.client, "rd_kafka_new: \(message)")
        }
        self.pointer = handle
        self.context = context
        self.kind = kind
        self.niceRequest = niceRequest
        if let request = niceRequest {
            var metadata: Logger.Metadata = [
                "nice": "\(request.pointee.nice)", "librdkafka": "\(String(cString: rd_kafka_version_str()))",
            ]
            let result = request.pointee.result
            if result == 0 {
                context.logger.info(
                    "librdkafka's main thread of the transactional producer runs at a lower priority", metadata: metadata)
            } else {
                // EPERM under a seccomp filter that denies setpriority (systemd's SystemCallFilter=~@resources
                // without the unit's SystemCallFilter=setpriority).
                metadata[LoggingKeys.error] = "\(result < 0 ? "the main thread did not start" : String(cString: strerror(result)))"
                context.logger.warning(
                    "Could not lower the priority of librdkafka's main thread; it spins before each of its timers",
                    metadata: metadata)
            }
        }
    }

    deinit {
        rd_kafka_destroy(self.pointer)
        self.niceRequest?.deallocate()
    }

    static func partitions(from list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [KafkaPartition] {
        var result: [KafkaPartition] = []
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            result.append(KafkaPartition(topic: String(cString: element.topic), partition: element.partition))
        }
        return result
    }

    /// Builds a partition list; the caller destroys it with `rd_kafka_topic_partition_list_destroy`.
    static func makeList(_ partitions: [KafkaPartition], offsets: [Int64]? = nil) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(max(partitions.count, 1)))!
        for (index, partition) in partitions.enumerated() {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            if let offsets {
                element.pointee.offset = offsets[index]
            }
        }
        return list
    }

    /// The number of partitions of a topic, or `nil` when the topic does not exist.
    func partitionCount(topic: String, timeoutMilliseconds: Int32) throws(KafkaIOError) -> Int? {
        guard let topicHandle = rd_kafka_topic_new(self.pointer, topic, nil) else {
            throw KafkaIOError(.admin, "cannot create a topic handle for \(topic)")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(self.pointer, 0, topicHandle, &metadata, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaIOError.from(error, .admin, "metadata for \(topic)")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return nil }
        let topicMetadata = metadata.pointee.topics[0]
        if topicMetadata.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || topicMetadata.partition_cnt == 0 {
            return nil
        }
        guard topicMetadata.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(topicMetadata.err, .admin, "metadata for \(topic)")
        }
        return Int(topicMetadata.partition_cnt)
    }

    /// Low and high watermarks of a partition, asked of the broker.
    func watermarks(_ partition: KafkaPartition, timeoutMilliseconds: Int32) throws(KafkaIOError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(
            self.pointer, partition.topic, partition.partition, &low, &high, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(error, .consume, "watermarks of \(partition)")
        }
        return (low, high)
    }

    /// Creates topics that do not exist yet; existing ones are left as they are.
    func createTopics(_ topics: [TopicSpecification], timeoutMilliseconds: Int32) throws(KafkaIOError) {
        guard !topics.isEmpty else { return }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer {
            for topic in newTopics { rd_kafka_NewTopic_destroy(topic) }
        }
        for topic in topics {
            guard let newTopic = rd_kafka_NewTopic_new(topic.name, Int32(topic.partitions), Int32(topic.replicationFactor), &errorBuffer, errorBuffer.count) else {
                throw KafkaIOError(.admin, "topic \(topic.name): invalid specification")
            }
            for (key, value) in topic.config.sorted(by: { $0.key < $1.key }) {
                rd_kafka_NewTopic_set_config(newTopic, key, value)
            }
            newTopics.append(newTopic)
        }
        guard let queue = rd_kafka_queue_new(self.pointer) else {
            throw KafkaIOError(.admin, "cannot create an admin result queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(self.pointer, buffer.baseAddress, buffer.count, nil, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds) else {
            throw KafkaIOError(.timeout, "creating topics timed out")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaIOError.from(rd_kafka_event_error(event), .admin, "creating topics")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            let error = rd_kafka_topic_result_error(results[index])
            if error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let name = String(cString: rd_kafka_topic_result_name(results[index]))
                throw KafkaIOError.from(error, .admin, "creating topic \(name)")
            }
        }
    }
}

extension RDKafkaClient {
    /// The values of `keys` in each topic's configuration, as the cluster reports them (broker defaults included for
    /// what the topic does not set), and the error of each topic the cluster could not describe. A request that
    /// fails as a whole throws.
    func describeTopicConfigs(
        _ topics: [String], keys: Set<String>, timeoutMilliseconds: Int32
    ) throws(KafkaIOError) -> (values: [String: [String: String]], errors: [String: KafkaIOError]) {
        var resources: [OpaquePointer?] = []
        defer {
            for resource in resources { rd_kafka_ConfigResource_destroy(resource) }
        }
        for topic in topics {
            // NULL for a name librdkafka refuses (an empty one).
            guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic) else {
                throw KafkaIOError(.admin, "cannot describe topic '\(topic)'")
            }
            resources.append(resource)
        }
        guard !resources.isEmpty else { return ([:], [:]) }
        guard let queue = rd_kafka_queue_new(self.pointer) else {
            throw KafkaIOError(.admin, "cannot create an admin result queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(self.pointer, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorBuffer = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorBuffer, errorBuffer.count)
        // Any broker describes a topic. Sent to the one that answered a metadata request rather than to the
        // controller (librdkafka's default), which a cluster may not name: librdkafka's mock names none, and the
        // request would wait out its timeout instead of being refused as unsupported.
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let metadataError = rd_kafka_metadata(self.pointer, 0, nil, &metadata, timeoutMilliseconds)
        guard metadataError == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaIOError.from(metadataError, .admin, "metadata for describing topics")
        }
        let broker = metadata.pointee.orig_broker_id
        rd_kafka_metadata_destroy(metadata)
        if broker >= 0 {
            _ = rd_kafka_AdminOptions_set_broker(options, broker, &errorBuffer, errorBuffer.count)
        }
        resources.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_DescribeConfigs(self.pointer, buffer.baseAddress, buffer.count, options, queue)
        }
        // The request's own timeout ends it first; the poll's bound only guards against a result that never comes.
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaIOError(.timeout, "describing topics timed out")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaIOError.from(rd_kafka_event_error(event), .admin, "describing topics")
        }
        guard let result = rd_kafka_event_DescribeConfigs_result(event) else {
            throw KafkaIOError(.admin, "describing topics: no result")
        }
        var count = 0
        guard let described = rd_kafka_DescribeConfigs_result_resources(result, &count) else {
            throw KafkaIOError(.admin, "describing topics: no resources")
        }
        var values: [String: [String: String]] = [:]
        var errors: [String: KafkaIOError] = [:]
        for index in 0..<count {
            let resource = described[index]
            let name = String(cString: rd_kafka_ConfigResource_name(resource))
            let error = rd_kafka_ConfigResource_error(resource)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                errors[name] = KafkaIOError.from(error, .admin, "describing topic \(name)")
                continue
            }
            var entryCount = 0
            var found: [String: String] = [:]
            if let entries = rd_kafka_ConfigResource_configs(resource, &entryCount) {
                for entryIndex in 0..<entryCount {
                    let key = String(cString: rd_kafka_ConfigEntry_name(entries[entryIndex]))
                    guard keys.contains(key), let value = rd_kafka_ConfigEntry_value(entries[entryIndex]) else { continue }
                    found[key] = String(cString: value)
                }
            }
            values[name] = found
        }
        return (values, errors)
    }
}

/// A topic to create.
public struct TopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    public var config: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int = -1, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// Log metadata keys of the Kafka boundary.
public enum LoggingKeys {
    public static let kafkaFacility = "kafka.facility"
    public static let kafkaTopic = "kafka.topic"
    public static let kafkaPartition = "kafka.partition"
    public static let kafkaOffset = "kafka.offset"
    public static let error = "error"
}
