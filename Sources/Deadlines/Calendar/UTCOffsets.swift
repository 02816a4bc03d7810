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
}
