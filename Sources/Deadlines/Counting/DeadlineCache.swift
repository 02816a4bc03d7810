/// The day-based deadlines one ``DeadlineCalculator`` has computed, for reuse.
///
/// A day-based deadline depends only on the calculator's calendars and zone, the span, the local date of the
/// start and the roll, not on the start's time of day; a region's referrals arrive on few days and their policies
/// have few spans, so nearly every count has been made before. Clock-hour deadlines depend on the instant and
/// are not kept. Errors are not kept either: they are thrown again.
///
/// A cache belongs to one calculator (its calendars are fixed), so the key need not name them.
public final class DeadlineCache: Sendable {
    struct Key: Hashable, Sendable {
        var span: DeadlineSpan
        var startDate: CivilDate
        var roll: Bool
    }

    let entries: BoundedMemo<Key, Deadline>

    /// - Parameter limit: entries kept (the working set is a handful of spans on a day or two).
    public init(limit: Int = 256) {
        self.entries = BoundedMemo(limit: limit)
    }

    /// The number of deadlines kept.
    public var count: Int {
        self.entries.count
    }
}
