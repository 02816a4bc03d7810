/// A deadline could not be computed.
public enum DeadlineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The span's count is outside ``DeadlineSpan/countRange``.
    case countOutOfRange(DeadlineSpan)
    /// The calendar has no working day within ten years after the date: it is misconfigured.
    case noWorkingDay(calendar: String, after: CivilDate)

    public var description: String {
        switch self {
        case .countOutOfRange(let span):
            "span \(span) is out of range: the count must lie in \(span.countRange)"
        case .noWorkingDay(let calendar, let date):
            "calendar \(calendar) has no working day within ten years after \(date)"
        }
    }
}
