import CRdKafka
import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The outcome of one produced record, reported from the producer's poll thread.
public struct KafkaDeliveryReport: Sendable {
    /// The token given to ``KafkaProducerClient/produce(topic:partition:key:value:headers:timestamp:token:)``.
    public var token: UInt64
    public var partition: Int32
    public var offset: Int64
    public var error: KafkaIOError?
}

/// An idempotent producer with delivery reports, polled on a thread of its own.
///
/// Delivery reports are handed over in batches through `onDeliveries`: librdkafka calls back once per record while
/// a thread polls it, the callbacks only collect the reports, and after each poll the batch is passed on. A consumer
/// of reports (the offset tracker, the latency histogram) thus takes its lock once per batch instead of once per
/// record: per record, the lock was contended by the thread that registers records, and each contention cost a
/// futex wait and a wake-up on a machine whose cores were busy. Batches are handed over one at a time, in the order
/// they were collected; `flush` returns only after every report collected so far was handed over.
public final class KafkaProducerClient: @unchecked Sendable {
    private let client: RDKafkaClient
    private let logger: Logger
    private let pollThread = NIOLockedValueBox<Bool>(false)
    private let pollStopped = DispatchSemaphore(value: 0)
    private let onDeliveries: @Sendable ([KafkaDeliveryReport]) -> Void
    /// Held while a batch is taken and handed over, so that batches never overlap and a `flush` that takes it
    /// waits for the poll thread's batch in progress.
    private let handOver = NIOLock()
    /// librdkafka's handles of the topics produced to, by name (see `topicHandle`); destroyed in `deinit`, before
    /// the client.
    private let topicHandles = NIOLockedValueBox<[String: OpaquePointer]>([:])

    /// - Parameters:
    ///   - properties: librdkafka properties; `enable.idempotence` and `acks` default to `true` and `all`.
    ///   - onDeliveries: called with the delivery reports of one or more produced records (every record gets
    ///     exactly one), on the producer's poll thread or on a thread inside `flush`; it must return quickly.
    public init(
        properties: [String: String],
        logger: Logger,
        onDeliveries: @escaping @Sendable ([KafkaDeliveryReport]) -> Void
    ) throws(KafkaIOError) {
        var properties = properties
        properties["enable.idempotence", default: "true"] = properties["enable.idempotence"] ?? "true"
        properties["acks"] = properties["acks"] ?? "all"
        let context = RDKafkaCallbackContext(logger: logger)
        context.collectsDeliveries = true
        self.client = try RDKafkaClient(kind: .producer, properties: properties, context: context)
        self.logger = logger
        self.onDeliveries = onDeliveries
    }

    /// A producer whose reports are handed over one by one (for callers that do little with them).
    public convenience init(
        properties: [String: String],
        logger: Logger,
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void
    ) throws(KafkaIOError) {
        try self.init(properties: properties, logger: logger, onDeliveries: { reports in reports.forEach(onDelivery) })
    }

    /// Hands the reports collected so far to `onDeliveries`. Called after every librdkafka call that serves
    /// callbacks.
    private func handOverDeliveries() {
        self.handOver.withLock {
            let collected = self.client.context.takeDeliveries()
            guard !collected.isEmpty else { return }
            self.onDeliveries(collected.map { delivery in
                let failure: KafkaIOError? =
                    delivery.error == RD_KAFKA_RESP_ERR_NO_ERROR
                    ? nil : KafkaIOError.from(delivery.error, .produce, "delivery failed")
                return KafkaDeliveryReport(token: delivery.token, partition: delivery.partition, offset: delivery.offset, error: failure)
            })
        }
    }

    /// Serves librdkafka's callbacks for up to `timeoutMilliseconds` and hands over the reports they collected.
    private func poll(timeoutMilliseconds: Int32) {
        rd_kafka_poll(self.client.pointer, timeoutMilliseconds)
        self.handOverDeliveries()
    }

    /// Starts the thread that serves delivery reports.
    public func startPolling() {
        let alreadyRunning = self.pollThread.withLockedValue { running in
            defer { running = true }
            return running
        }
        guard !alreadyRunning else { return }
        let thread = Thread { [self] in
            nameCurrentThread("kafka-dr-poll")
            while self.pollThread.withLockedValue({ $0 }) {
                self.poll(timeoutMilliseconds: 50)
            }
            // Serve what is left.
            self.poll(timeoutMilliseconds: 0)
            self.pollStopped.signal()
        }
        thread.start()
    }

    /// Stops the poll thread and waits for it.
    public func stopPolling() {
        let wasRunning = self.pollThread.withLockedValue { running in
            defer { running = false }
            return running
        }
        if wasRunning {
            self.pollStopped.wait()
        }
    }

    deinit {
        for handle in self.topicHandles.withLockedValue({ $0.values }) {
            rd_kafka_topic_destroy(handle)
        }
    }

    /// The handle of a topic, made on its first record: producing by name costs librdkafka a look-up under the
    /// client's write lock and a reference taken and dropped per record, and the name's conversion to a C string
    /// an allocation when it is short enough to be stored inline.
    /// - Throws: librdkafka's error when it refuses the name (as producing by name would).
    private func topicHandle(_ topic: String) throws(KafkaIOError) -> OpaquePointer {
        let handle = self.topicHandles.withLockedValue { handles -> OpaquePointer? in
            if let handle = handles[topic] { return handle }
            guard let handle = rd_kafka_topic_new(self.client.pointer, topic, nil) else { return nil }
            handles[topic] = handle
            return handle
        }
        guard let handle else { throw KafkaIOError.from(rd_kafka_last_error(), .produce, "produce to \(topic)") }
        return handle
    }

    /// Enqueues a record. When librdkafka's queue is full it polls and retries, for at most `queueFullTimeout`; then
    /// it throws, so that a stalled broker cannot hang the caller (and its shutdown) forever.
    ///
    /// The headers come in parts, so that a part many records carry is built once and shared rather than copied
    /// into each record's own list: in order, `sharedHeaders` (the same on every record of a kind),
    /// `eventHeaders` (the same on every record of one event), `id` under each of `idHeaderNames`, then `headers`.
    ///
    /// - Parameters:
    ///   - partition: an explicit partition, or `nil` for the configured partitioner.
    ///   - value: the value's bytes, or `nil` for a record without a value (a tombstone), which is not an empty one.
    /// - Throws: ``KafkaIOError`` when the record cannot be enqueued (unknown topic, too large, fatal state).
    public func produce(
        topic: String,
        partition: Int32?,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader],
        sharedHeaders: [KafkaHeader] = [],
        eventHeaders: [KafkaHeader] = [],
        id: [UInt8]? = nil,
        idHeaderNames: [String] = [],
        timestamp: Int64 = 0,
        token: UInt64,
        queueFullTimeout: Duration = .seconds(30)
    ) throws(KafkaIOError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: queueFullTimeout)
        let topicHandle = try self.topicHandle(topic)
        while true {
            let idCount = id == nil ? 0 : idHeaderNames.count
            let headerList = rd_kafka_headers_new(sharedHeaders.count + eventHeaders.count + idCount + headers.count)!
            Self.add(sharedHeaders, to: headerList)
            Self.add(eventHeaders, to: headerList)
            if let id {
                Self.add(id, named: idHeaderNames, to: headerList)
            }
            Self.add(headers, to: headerList)
            let opaque = UnsafeMutableRawPointer(bitPattern: UInt(token))
            let partition = partition ?? RD_KAFKA_PARTITION_UA
            let error: rd_kafka_resp_err_t = Self.withBytes(of: value) { valueAddress, valueCount in
                Self.withBytes(of: key) { keyAddress, keyCount in
                    crdkafka_produce(
                        self.client.pointer, topicHandle, partition, keyAddress, keyCount,
                        valueAddress, valueCount, headerList, timestamp, opaque)
                }
            }
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                return
            }
            // Not enqueued: the headers are still ours.
            rd_kafka_headers_destroy(headerList)
            if error == RD_KAFKA_RESP_ERR__QUEUE_FULL, clock.now < deadline {
                self.poll(timeoutMilliseconds: 10)
                continue
            }
            throw KafkaIOError.from(error, .produce, "produce to \(topic)")
        }
    }

    /// Copies `value` into librdkafka's list once under each of `names`.
    private static func add(_ value: [UInt8], named names: [String], to list: OpaquePointer) {
        value.withUnsafeBytes { buffer in
            names.withUnsafeBufferPointer { names in
                for index in names.indices {
                    Self.add(name: names[index], value: buffer, to: list)
                }
            }
        }
    }

    /// Copies `headers` into librdkafka's list, in order. Each header is read in place (`for header in` copied it
    /// out: a retain and a release of its name and of its bytes).
    private static func add(_ headers: [KafkaHeader], to list: OpaquePointer) {
        headers.withUnsafeBufferPointer { headers in
            for index in headers.indices {
                if let bytes = headers[index].value {
                    bytes.withUnsafeBytes { Self.add(name: headers[index].key, value: $0, to: list) }
                } else {
                    Self.add(name: headers[index].key, value: nil, to: list)
                }
            }
        }
    }

    /// Adds one header. The name's length is passed, so its bytes need no terminating NUL: a native string's UTF-8
    /// is read in place and a small (inline) string's from a stack copy, where passing the String as a C string
    /// would allocate a copy.
    @inline(__always)
    private static func add(name: String, value: UnsafeRawBufferPointer?, to list: OpaquePointer) {
        Self.withUTF8(of: name) { name in
            name.withMemoryRebound(to: CChar.self) { name in
                _ = rd_kafka_header_add(list, name.baseAddress, name.count, value?.baseAddress, value?.count ?? 0)
            }
        }
    }

    /// SteeringModel's `String.withUTF8InPlace`, again: KafkaIO depends on no other module of the package.
    @inline(__always)
    private static func withUTF8(of string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if string.utf8.withContiguousStorageIfAvailable(body) != nil { return }
        var string = string
        string.withUTF8(body)
    }

    /// A key's or value's address and length for librdkafka: none is a null pointer (an empty one is not).
    private static func withBytes<Result>(
        of key: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> Result
    ) -> Result {
        guard let key else { return body(nil, 0) }
        return key.withUnsafeBytes { body($0.baseAddress, $0.count) }
    }

    /// Waits until every enqueued record is delivered or failed, up to the timeout.
    ///
    /// - Returns: `true` when nothing is left in flight.
    @discardableResult
    public func flush(timeoutMilliseconds: Int32) -> Bool {
        let result = rd_kafka_flush(self.client.pointer, timeoutMilliseconds)
        // Every report librdkafka has served is collected by now; hand them over (after the poll thread's batch in
        // progress, if any), so that what the caller reads next (committable offsets) includes them.
        self.handOverDeliveries()
        return result == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Drops every record not yet delivered (queued and in flight); their delivery reports say purged.
    public func purge() {
        rd_kafka_purge(self.client.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
    }

    // MARK: Transactions (exactly-once mode; requires `transactional.id`)

    /// Registers the transactional id with the coordinator, fencing older producers with the same id.
    public func initTransactions(timeoutMilliseconds: Int32 = 30_000) throws(KafkaIOError) {
        if let error = rd_kafka_init_transactions(self.client.pointer, timeoutMilliseconds) {
            throw KafkaIOError.from(owned: error, .transaction, "init transactions")
        }
    }

    public func beginTransaction() throws(KafkaIOError) {
        if let error = rd_kafka_begin_transaction(self.client.pointer) {
            throw KafkaIOError.from(owned: error, .transaction, "begin transaction")
        }
    }

    /// Adds the consumer's offsets to the current transaction (consume-transform-produce, KIP-447).
    public func sendOffsetsToTransaction(
        _ offsets: [KafkaPartition: Int64],
        consumer: KafkaConsumerClient,
        timeoutMilliseconds: Int32 = 30_000
    ) throws(KafkaIOError) {
        guard !offsets.isEmpty else { return }
        let partitions = offsets.keys.sorted()
        let list = RDKafkaClient.makeList(partitions, offsets: partitions.map { offsets[$0]! })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        // Ownership: the group metadata is ours to destroy; librdkafka copies what it needs.
        guard let metadata = consumer.groupMetadata() else {
            throw KafkaIOError(.transaction, "the consumer has no group metadata")
        }
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        if let error = rd_kafka_send_offsets_to_transaction(self.client.pointer, list, metadata, timeoutMilliseconds) {
            throw KafkaIOError.from(owned: error, .transaction, "send offsets to transaction")
        }
    }

    /// Commits the current transaction (flushing every record produced in it).
    ///
    /// The transaction's records are flushed here first, checking every millisecond: `rd_kafka_commit_transaction`
    /// flushes too, but its flush re-checks only every 10 ms when the poll thread serves the delivery reports, which
    /// added up to 10 ms to every commit.
    public func commitTransaction(timeoutMilliseconds: Int32 = 60_000) throws(KafkaIOError) {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int(timeoutMilliseconds)))
        while rd_kafka_outq_len(self.client.pointer) > 0, clock.now < deadline {
            // A flush of at most 1 ms: wakes the broker threads to send what lingers, then serves delivery reports.
            rd_kafka_flush(self.client.pointer, 1)
        }
        self.handOverDeliveries()
        // The commit gets what is left of the timeout, so that the whole call stays within it.
        let remaining = clock.now.duration(to: deadline).components
        let remainingMilliseconds = max(1, remaining.seconds * 1000 + remaining.attoseconds / 1_000_000_000_000_000)
        if let error = rd_kafka_commit_transaction(self.client.pointer, Int32(clamping: remainingMilliseconds)) {
            throw KafkaIOError.from(owned: error, .transaction, "commit transaction")
        }
    }

    public func abortTransaction(timeoutMilliseconds: Int32 = 60_000) throws(KafkaIOError) {
        if let error = rd_kafka_abort_transaction(self.client.pointer, timeoutMilliseconds) {
            throw KafkaIOError.from(owned: error, .transaction, "abort transaction")
        }
    }

    /// Records enqueued and not yet delivered or failed.
    public var inFlight: Int {
        Int(rd_kafka_outq_len(self.client.pointer))
    }

    public func partitionCount(topic: String, timeoutMilliseconds: Int32 = 5000) throws(KafkaIOError) -> Int? {
        try self.client.partitionCount(topic: topic, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The client's fatal error, if it has entered the fatal state.
    public var fatalError: KafkaIOError? {
        var buffer = [CChar](repeating: 0, count: 512)
        let error = rd_kafka_fatal_error(self.client.pointer, &buffer, buffer.count)
        guard error != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return KafkaIOError(.produce, "fatal producer error: \(text)", kafkaError: error.rawValue, isFatal: true)
    }

    public var lastError: String? {
        self.client.context.lastError.withLockedValue { $0 }
    }
}
