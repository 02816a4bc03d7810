import struct Foundation.Date
import struct Foundation.TimeZone
import Synchronization

/// UTC offsets of a zone, cached per span between its transitions: used for every local date and every local
/// timestamp (``CivilDate``, ``LocalRFC3339``).
enum UTCOffsets {
    /// A stretch of time over which a zone's UTC offset does not change (up to its next transition).
    private struct OffsetSpan {
        var zone: String
        var from: Int64
        var until: Int64
        var offset: Int
    }

    /// The offsets looked up last: asking the time-zone database costs more than formatting a time or converting a
    /// date, and the instants a router handles fall into few spans (a zone changes its offset twice a year).
    private static let spans = Mutex<[OffsetSpan]>([])

    /// The offset at `second` in `timeZone`; `nil` is Europe/Helsinki, read from a table made once, without a lock
    /// (every due time, event time and local date of the hot path is in Helsinki).
    static func offset(atSecond second: Int64, in timeZone: TimeZone?) -> Int {
        guard let timeZone else {
            return Self.helsinki.offset(atSecond: second) ?? Self.offset(atSecond: second, in: TimeZone.helsinki)
        }
        return Self.offset(atSecond: second, in: timeZone)
    }

    static func offset(atSecond second: Int64, in timeZone: TimeZone) -> Int {
        let zone = timeZone.identifier
        let cached = Self.spans.withLock { spans in
            spans.first { $0.zone == zone && $0.from <= second && second < $0.until }?.offset
        }
        if let cached { return cached }
        let instant = Date(timeIntervalSince1970: Double(second))
        let offset = timeZone.secondsFromGMT(for: instant)
        let until = timeZone.nextDaylightSavingTimeTransition(after: instant).map { Int64($0.timeIntervalSince1970.rounded(.down)) } ?? Int64.max
        Self.spans.withLock { spans in
            // A look-up earlier in a span already known widens it (the same offset up to the same transition).
            if let index = spans.firstIndex(where: { $0.zone == zone && $0.until == until && $0.offset == offset }) {
                spans[index].from = min(spans[index].from, second)
                return
            }
            if spans.count >= 8 { spans.removeFirst() }
            spans.append(OffsetSpan(zone: zone, from: second, until: until, offset: offset))
        }
        return offset
    }

    private static let helsinki = Transitions(TimeZone.helsinki, from: 0, until: 7_258_118_400)

    /// A zone's offsets between two instants, as the spans between its transitions: immutable once made.
    struct Transitions: Sendable {
        /// The start of each span, ascending, and its offset; the last span ends at `until`.
        private let starts: [Int64]
        private let offsets: [Int]
        private let until: Int64

        /// Spans from `from` (seconds since the epoch) up to `until`, as the time-zone database gives them.
        init(_ timeZone: TimeZone, from: Int64, until: Int64) {
            var starts: [Int64] = []
            var offsets: [Int] = []
            var second = from
            while second < until {
                let instant = Date(timeIntervalSince1970: Double(second))
                starts.append(second)
                offsets.append(timeZone.secondsFromGMT(for: instant))
                guard let next = timeZone.nextDaylightSavingTimeTransition(after: instant) else { break }
                second = Int64(next.timeIntervalSince1970.rounded(.down))
            }
            self.starts = starts
            self.offsets = offsets
            self.until = until
        }

        /// The offset at `second`, or `nil` outside the table.
        func offset(atSecond second: Int64) -> Int? {
            guard let first = self.starts.first, second >= first, second < self.until else { return nil }
            // The last span starting at or before `second`.
            var low = 0
            var high = self.starts.count
            while high - low > 1 {
                let middle = (low + high) / 2
                if self.starts[middle] <= second { low = middle } else { high = middle }
            }
            return self.offsets[low]
        }
    }
}
