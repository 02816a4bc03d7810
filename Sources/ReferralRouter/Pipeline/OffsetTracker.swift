import KafkaIO
import NIOConcurrencyHelpers

/// Tracks the outputs of records in flight and says, per partition, up to which offset every record is done.
///
/// A record is done when the broker confirmed each of its outputs. Offsets are committed only up to the first
/// record that is not done, so a crash replays every record whose outputs might be missing (at-least-once).
/// Tokens identify outputs in delivery reports. Thread-safe: the consumer loop registers records, the producer's
/// poll thread reports deliveries.
final class OffsetTracker: Sendable {
    private struct PartitionProgress {
        /// Records in offset order with the number of outputs still unconfirmed.
        var pending: [(offset: Int64, remaining: Int)] = []
        var head = 0
        /// The next offset to commit, once it advanced past what was last stored.
        var committable: Int64?
        var stored: Int64?
    }

    private struct State {
        var partitions: [KafkaPartition: PartitionProgress] = [:]
        var tokens: [UInt64: (KafkaPartition, Int64)] = [:]
        var nextToken: UInt64 = 1
        var recordsInFlight = 0
        var failure: KafkaIOError?
    }

    private let state = NIOLockedValueBox(State())

    /// Registers a record with its number of outputs; returns one token per output.
    func register(_ partition: KafkaPartition, offset: Int64, outputs: Int) -> [UInt64] {
        self.state.withLockedValue { state in
            var progress = state.partitions[partition] ?? PartitionProgress()
            var tokens: [UInt64] = []
            tokens.reserveCapacity(outputs)
            for _ in 0..<outputs {
                let token = state.nextToken
                state.nextToken += 1
                state.tokens[token] = (partition, offset)
                tokens.append(token)
            }
            progress.pending.append((offset, outputs))
            state.recordsInFlight += 1
            Self.advance(&progress, &state.recordsInFlight)
            state.partitions[partition] = progress
            return tokens
        }
    }

    /// Tokens for outputs that belong to no input record (timer events); only their failures matter.
    func untracked(outputs: Int) -> [UInt64] {
        self.state.withLockedValue { state in
            let first = state.nextToken
            state.nextToken += UInt64(outputs)
            return (0..<UInt64(outputs)).map { first + $0 }
        }
    }

    /// Records a delivery report.
    func delivered(token: UInt64, error: KafkaIOError?) {
        self.state.withLockedValue { state in
            if let error {
                state.failure = state.failure ?? error
                state.tokens.removeValue(forKey: token)
                return
            }
            guard let (partition, offset) = state.tokens.removeValue(forKey: token) else { return }
            guard var progress = state.partitions[partition] else { return }
            // Records complete mostly in order: search from the head.
            for index in progress.head..<progress.pending.count where progress.pending[index].offset == offset {
                progress.pending[index].remaining -= 1
                break
            }
            Self.advance(&progress, &state.recordsInFlight)
            state.partitions[partition] = progress
        }
    }

    private static func advance(_ progress: inout PartitionProgress, _ inFlight: inout Int) {
        while progress.head < progress.pending.count, progress.pending[progress.head].remaining == 0 {
            progress.committable = progress.pending[progress.head].offset + 1
            progress.head += 1
            inFlight -= 1
        }
        if progress.head > 1024, progress.head * 2 > progress.pending.count {
            progress.pending.removeFirst(progress.head)
            progress.head = 0
        }
    }

    /// Offsets that advanced since the last call, to store with the consumer.
    func takeCommittable() -> [(KafkaPartition, Int64)] {
        self.state.withLockedValue { state in
            var result: [(KafkaPartition, Int64)] = []
            for (partition, var progress) in state.partitions {
                if let committable = progress.committable, committable != progress.stored {
                    progress.stored = committable
                    state.partitions[partition] = progress
                    result.append((partition, committable))
                }
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
            state.tokens = state.tokens.filter { !partitions.contains($0.value.0) }
        }
    }

    var recordsInFlight: Int {
        self.state.withLockedValue { $0.recordsInFlight }
    }

    var failure: KafkaIOError? {
        self.state.withLockedValue { $0.failure }
    }
}
