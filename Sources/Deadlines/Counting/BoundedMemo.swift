import Synchronization

/// Values computed once and kept, shared between threads, with a bound on how many.
///
/// When full, the memo starts over: a bound, not an eviction policy, for working sets far below the limit.
public final class BoundedMemo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    private let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }

    /// The number of values kept.
    public var count: Int {
        self.entries.withLock { $0.count }
    }

    public func value(for key: Key) -> Value? {
        self.entries.withLock { $0[key] }
    }

    public func keep(_ value: Value, for key: Key) {
        self.entries.withLock { entries in
            if entries.count >= self.limit { entries.removeAll(keepingCapacity: true) }
            entries[key] = value
        }
    }
}
