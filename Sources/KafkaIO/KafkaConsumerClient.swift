import CRdKafka
import Foundation
import Logging
import NIOConcurrencyHelpers

/// What a rebalance asks of the application, called synchronously on the thread that polls the consumer.
public protocol KafkaRebalanceListener: AnyObject, Sendable {
    /// Called before librdkafka takes the partitions away: finish and commit their work here.
    func partitionsRevoked(_ partitions: [KafkaPartition])
    /// Called before the partitions are assigned: restore their state here.
    func partitionsAssigned(_ partitions: [KafkaPartition])
    /// Called instead of ``partitionsRevoked(_:)`` when the assignment was lost (the session expired, or the
    /// member was fenced): the group went on without this member, so the partitions may already be another's
    /// and nothing of them should be committed or published any more. By default, ``partitionsRevoked(_:)``.
    func partitionsLost(_ partitions: [KafkaPartition])
}

extension KafkaRebalanceListener {
    public func partitionsLost(_ partitions: [KafkaPartition]) {
        self.partitionsRevoked(partitions)
    }
}

/// A group consumer with manual offset storing and a rebalance listener.
///
/// - Important: `enable.auto.offset.store` is always false: offsets are stored by the application only after
///   every output of a record is confirmed (at-least-once). Stored offsets are committed every
///   `auto.commit.interval.ms` unless the application commits them itself (``commitStored()``,
///   ``commitStoredAsync(token:)``).
public final class KafkaConsumerClient: @unchecked Sendable {
    private let client: RDKafkaClient
    private let logger: Logger
    private weak var listener: (any KafkaRebalanceListener)?
    private let closed = NIOLockedValueBox(false)
    /// Where the results of asynchronous commits arrive (``takeCommitResults()`` reads it without waiting).
    private let commitQueue: OpaquePointer

    /// The outcome of an asynchronous commit.
    public struct CommitResult: Sendable {
        /// The token the commit was started with.
        public var token: UInt64
        /// The commit's error; `nil` when it succeeded (or there was nothing to commit).
        public var error: KafkaIOError?
        /// The offsets committed, per partition. A partition whose stored offset was committed already is
        /// left out, as is one whose own commit failed (listed in ``failed``).
        public var offsets: [KafkaPartition: Int64]
        public var failed: Set<KafkaPartition>
    }

    public init(properties: [String: String], logger: Logger) throws(KafkaIOError) {
        var properties = properties
        properties["enable.auto.offset.store"] = "false"
        properties["enable.auto.commit"] = properties["enable.auto.commit"] ?? "true"
        properties["auto.offset.reset"] = properties["auto.offset.reset"] ?? "earliest"
        let context = RDKafkaCallbackContext(logger: logger)
        self.client = try RDKafkaClient(kind: .consumer, properties: properties, context: context)
        self.logger = logger
        self.commitQueue = rd_kafka_queue_new(self.client.pointer)
        context.onRebalance = { [weak self] error, partitions, lost in
            guard let self, let listener = self.listener else { return }
            if error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
                listener.partitionsAssigned(partitions)
            } else if lost {
                listener.partitionsLost(partitions)
            } else {
                listener.partitionsRevoked(partitions)
            }
        }
        rd_kafka_poll_set_consumer(self.client.pointer)
    }

    deinit {
        self.close()
        // Before the client itself is destroyed (its property, released after this body).
        rd_kafka_queue_destroy(self.commitQueue)
    }

    public func subscribe(_ topics: [String], listener: any KafkaRebalanceListener) throws(KafkaIOError) {
        self.listener = listener
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let error = rd_kafka_subscribe(self.client.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(error, .consume, "subscribe")
        }
    }

    /// Polls for one record. Blocks up to the timeout: call it from a dedicated executor.
    ///
    /// - Returns: a record, or `nil` on timeout or on a non-fatal error event (reported to `onError`).
    /// - Throws: ``KafkaIOError`` for fatal consumer errors.
    public func poll(timeoutMilliseconds: Int32, onError: (KafkaIOError) -> Void = { _ in }) throws(KafkaIOError) -> KafkaRecord? {
        guard let message = rd_kafka_consumer_poll(self.client.pointer, timeoutMilliseconds) else {
            return nil
        }
        defer { rd_kafka_message_destroy(message) }
        let error = message.pointee.err
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            if error == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                return nil
            }
            let failure = KafkaIOError.from(error, .consume, "consume")
            if error == RD_KAFKA_RESP_ERR__FATAL {
                throw failure
            }
            onError(failure)
            return nil
        }
        let topic = message.pointee.rkt.map { self.topicName(rd_kafka_topic_name($0)) } ?? ""
        return KafkaRecord(copying: message, topic: topic)
    }

    /// The names of the topics consumed so far, so that a record's topic is not made into a new `String` each time
    /// (a name longer than 15 bytes, such as `referrals.requests`, is not stored inline and would allocate).
    private let topicNames = NIOLockedValueBox<[String]>([])

    private func topicName(_ name: UnsafePointer<CChar>) -> String {
        let length = strlen(name)
        return self.topicNames.withLockedValue { names in
            for index in names.indices {
                let same = names[index].utf8.withContiguousStorageIfAvailable { known in
                    known.count == length && memcmp(known.baseAddress!, name, length) == 0
                }
                if same == true { return names[index] }
            }
            let made = String(cString: name)
            if names.count < 64 { names.append(made) }
            return made
        }
    }

    /// Assigns partitions directly, outside any group (for reading a state topic), starting at the given offsets.
    public func assign(_ partitions: [KafkaPartition], offsets: [Int64]) throws(KafkaIOError) {
        let list = RDKafkaClient.makeList(partitions, offsets: offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_assign(self.client.pointer, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(error, .consume, "assign")
        }
    }

    /// The offset that means "the beginning of the partition".
    public static let beginning: Int64 = Int64(RD_KAFKA_OFFSET_BEGINNING)

    /// Stores the offset to commit for a partition: the offset of the next record to consume.
    public func storeOffset(_ partition: KafkaPartition, nextOffset: Int64) throws(KafkaIOError) {
        let list = RDKafkaClient.makeList([partition], offsets: [nextOffset])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_offsets_store(self.client.pointer, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaIOError.from(error, .consume, "store offset of \(partition)")
        }
        let elementError = list.pointee.elems[0].err
        if elementError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaIOError.from(elementError, .consume, "store offset of \(partition)")
        }
    }

    /// Commits stored offsets synchronously.
    public func commitStored() throws(KafkaIOError) {
        let error = rd_kafka_commit(self.client.pointer, nil, 0)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR, error != RD_KAFKA_RESP_ERR__NO_OFFSET {
            throw KafkaIOError.from(error, .consume, "commit")
        }
    }

    /// Starts committing the stored offsets and returns at once; the result is read with ``takeCommitResults()``.
    ///
    /// A synchronous commit waits for the group coordinator, for as long as a broker outage lasts: on the poll
    /// loop's thread that stops the loop (its heartbeat, the watchdog, `max.poll.interval.ms`).
    ///
    /// - Parameter token: a non-zero number the result carries.
    public func commitStoredAsync(token: UInt64) throws(KafkaIOError) {
        let error = rd_kafka_commit_queue(
            self.client.pointer, nil, self.commitQueue, nil, UnsafeMutableRawPointer(bitPattern: UInt(token)))
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaIOError.from(error, .consume, "commit")
        }
    }

    /// The results of asynchronous commits that have completed since the last call, without waiting.
    public func takeCommitResults() -> [CommitResult] {
        var results: [CommitResult] = []
        while let event = rd_kafka_queue_poll(self.commitQueue, 0) {
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT else { continue }
            let token = UInt64(UInt(bitPattern: rd_kafka_event_opaque(event)))
            let error = rd_kafka_event_error(event)
            var offsets: [KafkaPartition: Int64] = [:]
            var failed: Set<KafkaPartition> = []
            if let list = rd_kafka_event_topic_partition_list(event) {
                for index in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[index]
                    let partition = KafkaPartition(topic: String(cString: element.topic), partition: element.partition)
                    if element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        failed.insert(partition)
                    } else if element.offset >= 0 {
                        offsets[partition] = element.offset
                    }
                }
            }
            let isFailure = error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR__NO_OFFSET
            results.append(
                CommitResult(
                    token: token, error: isFailure ? KafkaIOError.from(error, .consume, "commit") : nil, offsets: offsets,
                    failed: failed))
        }
        return results
    }

    /// The committed offsets of partitions (`-1001` when nothing is committed).
    public func committed(_ partitions: [KafkaPartition], timeoutMilliseconds: Int32 = 5000) throws(KafkaIOError) -> [KafkaPartition: Int64] {
        let list = RDKafkaClient.makeList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_committed(self.client.pointer, list, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaIOError.from(error, .consume, "committed offsets")
        }
        var result: [KafkaPartition: Int64] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            result[KafkaPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
        }
        return result
    }

    /// The group metadata for transactional offset commits; the caller destroys it.
    func groupMetadata() -> OpaquePointer? {
        rd_kafka_consumer_group_metadata(self.client.pointer)
    }

    /// The next offset the consumer will return for each partition (`nil` when unknown).
    public func positions(_ partitions: [KafkaPartition]) -> [KafkaPartition: Int64] {
        let list = RDKafkaClient.makeList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_position(self.client.pointer, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var result: [KafkaPartition: Int64] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            if element.offset >= 0 {
                result[KafkaPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
            }
        }
        return result
    }

    /// Moves the fetch positions of assigned partitions (rewind after an aborted transaction).
    public func seek(_ offsets: [KafkaPartition: Int64], timeoutMilliseconds: Int32 = 10_000) throws(KafkaIOError) {
        guard !offsets.isEmpty else { return }
        let partitions = offsets.keys.sorted()
        let list = RDKafkaClient.makeList(partitions, offsets: partitions.map { offsets[$0]! })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(self.client.pointer, list, timeoutMilliseconds) {
            throw KafkaIOError.from(owned: error, .consume, "seek")
        }
        // Each partition's own result: one not moved would go on from where it was.
        for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let element = list.pointee.elems[index]
            throw KafkaIOError.from(element.err, .consume, "seek \(String(cString: element.topic)) [\(element.partition)]")
        }
    }

    public func pause(_ partitions: [KafkaPartition]) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaClient.makeList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_pause_partitions(self.client.pointer, list)
    }

    public func resume(_ partitions: [KafkaPartition]) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaClient.makeList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_resume_partitions(self.client.pointer, list)
    }

    /// The high watermark of an assigned partition as the last fetch response reported it, without asking the
    /// broker (`rd_kafka_get_watermark_offsets`); `nil` before the first fetch.
    public func cachedHighWatermark(_ partition: KafkaPartition) -> Int64? {
        var low: Int64 = -1
        var high: Int64 = -1
        let error = rd_kafka_get_watermark_offsets(self.client.pointer, partition.topic, partition.partition, &low, &high)
        return error == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
    }

    public func watermarks(_ partition: KafkaPartition, timeoutMilliseconds: Int32 = 1000) throws(KafkaIOError) -> (low: Int64, high: Int64) {
        try self.client.watermarks(partition, timeoutMilliseconds: timeoutMilliseconds)
    }

    public func partitionCount(topic: String, timeoutMilliseconds: Int32 = 5000) throws(KafkaIOError) -> Int? {
        try self.client.partitionCount(topic: topic, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Creates topics that do not exist yet; existing ones are left as they are.
    public func createTopics(_ topics: [TopicSpecification], timeoutMilliseconds: Int32 = 10_000) throws(KafkaIOError) {
        try self.client.createTopics(topics, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The values of `keys` in each topic's configuration as the cluster reports them, broker defaults included, and
    /// the error of each topic it could not describe (DescribeConfigs; librdkafka's mock cluster does not answer it).
    public func topicConfigs(
        _ topics: [String], keys: Set<String>, timeoutMilliseconds: Int32 = 5000
    ) throws(KafkaIOError) -> (values: [String: [String: String]], errors: [String: KafkaIOError]) {
        try self.client.describeTopicConfigs(topics, keys: keys, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Leaves the group (running the revocation listener) and closes the consumer. Idempotent.
    public func close() {
        let wasClosed = self.closed.withLockedValue { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        rd_kafka_consumer_close(self.client.pointer)
    }

    public var lastError: String? {
        self.client.context.lastError.withLockedValue { $0 }
    }
}
