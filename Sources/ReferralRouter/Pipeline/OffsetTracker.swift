import KafkaIO
import NIOConcurrencyHelpers

/// Tracks the outputs of records in flight and says, per input partition, up to which offset every record is done,
/// and where in each output partition the outputs of later records begin.
///
/// A record is done when the broker confirmed each of its outputs. Offsets are committed only up to the first
/// record that is not done, so a crash replays every record whose outputs might be missing (at-least-once). The
/// output checkpoint makes replays effectively once: outputs go out in production order (idempotent producer), so
/// every output of a record at or after the committable offset sits at or after the checkpoint in its partition,
/// and a restore needs to read only that tail to learn what was already published.
///
/// Timer batches (outputs that belong to no input record) are tracked in the same order with no offset: they hold
/// the checkpoint back until delivered but never move the committable offset.
///
/// Thread-safe: the consumer loop registers records, the producer's poll thread reports deliveries.
final class OffsetTracker: Sendable {
    struct Checkpoint: Sendable, Equatable {
        /// The input partition and the next offset to commit in it.
        var partition: KafkaPartition
        var offset: Int64
        /// Per output partition, the offset from which outputs of records at or after `offset` may be found.
        var outputs: [KafkaPartition: Int64]
    }

    private struct Entry {
        /// `nil` for a timer batch.
        var offset: Int64?
        var remaining: Int
        /// Per output partition, one past the highest delivered offset (a record has a handful of outputs).
        var outputEnds: [(partition: KafkaPartition, end: Int64)] = []
    }

    private struct PartitionProgress {
        var pending: [Entry] = []
        /// Sequence number of `pending[0]`.
        var base = 0
        var head = 0
        var committable: Int64?
        var stored: Int64?
        var outputCheckpoint: [KafkaPartition: Int64] = [:]
        /// The output checkpoint last handed out with `stored`.
        var storedOutputs: [KafkaPartition: Int64] = [:]
        /// While the committable offset is below this (the input's end when it was assigned), records are replays
        /// of what a previous owner may have published: the checkpoint stays where the restore began its scan.
        var freezeUntil: Int64 = 0
    }

    private struct TokenTarget {
        var input: KafkaPartition
        var sequence: Int
        var outputTopic: String
    }

    private struct State {
        var partitions: [KafkaPartition: PartitionProgress] = [:]
        var tokens: [UInt64: TokenTarget] = [:]
        var nextToken: UInt64 = 1
        var recordsInFlight = 0
        var failure: KafkaIOError?
    }

    private let state = NIOLockedValueBox(State())

    /// Registers a record (or, with `offset: nil`, a timer batch) with the topics of its outputs; returns one token
    /// per output, in the same order.
    func register(_ partition: KafkaPartition, offset: Int64?, outputTopics: [String]) -> [UInt64] {
        self.state.withLockedValue { state in
            Self.register(partition, offset: offset, outputTopics: outputTopics, in: &state)
        }
    }

    /// Registers records in order under one lock; returns the tokens of each record's outputs.
    func register(_ records: [(partition: KafkaPartition, offset: Int64?, outputTopics: [String])]) -> [[UInt64]] {
        self.state.withLockedValue { state in
            records.map { Self.register($0.partition, offset: $0.offset, outputTopics: $0.outputTopics, in: &state) }
        }
    }

    private static func register(_ partition: KafkaPartition, offset: Int64?, outputTopics: [String], in state: inout State) -> [UInt64] {
        // Moved out of the dictionary and back, so that appending never copies the pending list.
        var progress = state.partitions.removeValue(forKey: partition) ?? PartitionProgress()
        let sequence = progress.base + progress.pending.count
        var tokens: [UInt64] = []
        tokens.reserveCapacity(outputTopics.count)
        for topic in outputTopics {
            let token = state.nextToken
            state.nextToken += 1
            state.tokens[token] = TokenTarget(input: partition, sequence: sequence, outputTopic: topic)
            tokens.append(token)
        }
        progress.pending.append(Entry(offset: offset, remaining: outputTopics.count))
        // Timer batches count too, so that backpressure also bounds what a burst of overdue timers enqueues.
        state.recordsInFlight += 1
        Self.advance(&progress, &state.recordsInFlight)
        state.partitions[partition] = progress
        return tokens
    }

    /// Records a batch of delivery reports under one lock.
    func delivered(_ reports: [KafkaDeliveryReport]) {
        self.state.withLockedValue { state in
            for report in reports {
                Self.record(report, in: &state)
            }
        }
    }

    private static func record(_ report: KafkaDeliveryReport, in state: inout State) {
        let (partition, offset) = (report.partition, report.offset)
        let target = state.tokens.removeValue(forKey: report.token)
        if let error = report.error {
            // Purged records belong to an aborted transaction or a partition given up; they are replayed.
            if !error.isPurged {
                state.failure = state.failure ?? error
            }
            return
        }
        guard let target, var progress = state.partitions.removeValue(forKey: target.input) else { return }
        defer { state.partitions[target.input] = progress }
        let index = target.sequence - progress.base
        guard index >= 0, index < progress.pending.count else { return }
        progress.pending[index].remaining -= 1
        let output = KafkaPartition(topic: target.outputTopic, partition: partition)
        if let existing = progress.pending[index].outputEnds.firstIndex(where: { $0.partition == output }) {
            progress.pending[index].outputEnds[existing].end = max(progress.pending[index].outputEnds[existing].end, offset + 1)
        } else {
            if progress.pending[index].outputEnds.isEmpty {
                // Room for every output still to come (each is at most one more end), so the list grows once.
                progress.pending[index].outputEnds.reserveCapacity(progress.pending[index].remaining + 1)
            }
            progress.pending[index].outputEnds.append((output, offset + 1))
        }
        Self.advance(&progress, &state.recordsInFlight)
    }

    private static func advance(_ progress: inout PartitionProgress, _ inFlight: inout Int) {
        while progress.head < progress.pending.count, progress.pending[progress.head].remaining == 0 {
            let entry = progress.pending[progress.head]
            progress.pending[progress.head].outputEnds = []
            if let offset = entry.offset {
                progress.committable = offset + 1
            }
            // The last replayed record counts: once it is done no record a previous owner saw is left to replay.
            if (progress.committable ?? 0) >= progress.freezeUntil {
                for (output, end) in entry.outputEnds {
                    progress.outputCheckpoint[output] = max(progress.outputCheckpoint[output] ?? 0, end)
                }
            }
            inFlight -= 1
            progress.head += 1
        }
        if progress.head > 1024, progress.head * 2 > progress.pending.count {
            progress.pending.removeFirst(progress.head)
            progress.base += progress.head
            progress.head = 0
        }
    }

    /// Starts an input partition's checkpoint where the restore began scanning its outputs, frozen until the
    /// partition's input has been processed past `freezeUntil`; `committed` is its committed offset, if any (an
    /// input with nothing to replay is not frozen, and the outputs of timer batches move its checkpoint).
    func seed(_ partition: KafkaPartition, outputs: [KafkaPartition: Int64], freezeUntil: Int64, committed: Int64? = nil) {
        self.state.withLockedValue { state in
            var progress = state.partitions.removeValue(forKey: partition) ?? PartitionProgress()
            progress.outputCheckpoint = outputs
            progress.storedOutputs = outputs
            progress.freezeUntil = freezeUntil
            if let committed, committed >= 0, progress.committable == nil {
                progress.committable = committed
                progress.stored = committed
            }
            state.partitions[partition] = progress
        }
    }

    /// Offsets or output checkpoints that advanced since the last call, to store, commit and write: an output
    /// checkpoint moves without its offset when only timer batches completed, and a restore's scan (and its check
    /// of the state's tail) starts at the last one written.
    func takeCommittable() -> [Checkpoint] {
        self.state.withLockedValue { state in
            // An input with nothing in flight (and nothing left to replay) produces its next outputs after every
            // output delivered so far: its checkpoint rises to the highest any input's has reached, so a quiet
            // input (a status partition without updates) does not hold the restore's scan back.
            var highest: [KafkaPartition: Int64] = [:]
            for progress in state.partitions.values {
                for (output, end) in progress.outputCheckpoint where end > highest[output] ?? 0 {
                    highest[output] = end
                }
            }
            for (partition, progress) in state.partitions
            where progress.head == progress.pending.count && (progress.committable ?? -1) >= progress.freezeUntil {
                for (output, end) in highest
                where output.partition == partition.partition && end > progress.outputCheckpoint[output] ?? 0 {
                    state.partitions[partition]?.outputCheckpoint[output] = end
                }
            }
            var result: [Checkpoint] = []
            for (partition, progress) in state.partitions {
                guard let committable = progress.committable,
                    committable != progress.stored || progress.outputCheckpoint != progress.storedOutputs
                else { continue }
                result.append(Checkpoint(partition: partition, offset: committable, outputs: progress.outputCheckpoint))
            }
            for checkpoint in result {
                state.partitions[checkpoint.partition]?.stored = checkpoint.offset
                state.partitions[checkpoint.partition]?.storedOutputs = checkpoint.outputs
            }
            return result
        }
    }

    /// Forgets partitions (after revocation); their unconfirmed records will be replayed by the next owner.
    func forget(_ partitions: [KafkaPartition]) {
        self.state.withLockedValue { state in
            for partition in partitions {
                if let progress = state.partitions.removeValue(forKey: partition) {
                    state.recordsInFlight -= progress.pending.count - progress.head
                }
            }
            state.tokens = state.tokens.filter { !partitions.contains($0.value.input) }
        }
    }

    var recordsInFlight: Int {
        self.state.withLockedValue { $0.recordsInFlight }
    }

    var failure: KafkaIOError? {
        self.state.withLockedValue { $0.failure }
    }

    /// The first delivery failure, cleared (after a transaction's abort, which makes its outputs' failures moot).
    func takeFailure() -> KafkaIOError? {
        self.state.withLockedValue { state in
            defer { state.failure = nil }
            return state.failure
        }
    }
}
