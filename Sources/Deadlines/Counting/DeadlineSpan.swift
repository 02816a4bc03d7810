/// How long a deadline is, in one of the units of Act 150/1930 (or clock hours).
///
/// Written in configuration as a short text: `7wd` (working days), `7swd` (school working days), `28d`
/// (calendar days), `3w` (weeks), `3m` (months), `4h` (clock hours), `same_or_next_wd` and `same_or_next_swd`
/// ("the same or the next (school) working day").
public enum DeadlineSpan: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The n-th working day after the day of the event (the event day is not counted).
    case workingDays(Int)
    /// The n-th school working day of the school's own calendar after the day of the request.
    case schoolWorkingDays(Int)
    /// n calendar days after the day of the event.
    case calendarDays(Int)
    /// The same weekday n weeks later.
    case weeks(Int)
    /// The same day number n months later, or that month's last day.
    case months(Int)
    /// Exactly n hours of elapsed time after the event instant (no day rules, no roll).
    case clockHours(Int)
    /// The same or the next working day: due at the end of the first working day after the event day.
    case sameOrNextWorkingDay
    /// The same or the next school working day (urgent student welfare, Act 1287/2013 15 §).
    case sameOrNextSchoolWorkingDay

    /// Parses the configuration text.
    ///
    /// - Throws: ``DeadlineSpanError`` naming what is wrong with `text`.
    public init(parsing text: String) throws(DeadlineSpanError) {
        switch text {
        case "same_or_next_wd":
            self = .sameOrNextWorkingDay
            return
        case "same_or_next_swd":
            self = .sameOrNextSchoolWorkingDay
            return
        default: break
        }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty else { throw .missingCount(text) }
        let makers: [String: (Int) -> DeadlineSpan] = [
            "wd": DeadlineSpan.workingDays, "swd": DeadlineSpan.schoolWorkingDays, "d": DeadlineSpan.calendarDays,
            "w": DeadlineSpan.weeks, "m": DeadlineSpan.months, "h": DeadlineSpan.clockHours,
        ]
        guard let make = makers[String(unit)] else { throw .unknownUnit(text) }
        guard digits.count <= 5, let count = Int(digits) else { throw .countOutOfRange(text) }
        let span = make(count)
        guard span.countRange.contains(count) else { throw .countOutOfRange(text) }
        self = span
    }

    /// The count of units, 1 for the "same or next" spans.
    public var count: Int {
        switch self {
        case .workingDays(let n), .schoolWorkingDays(let n), .calendarDays(let n), .weeks(let n), .months(let n),
            .clockHours(let n):
            n
        case .sameOrNextWorkingDay, .sameOrNextSchoolWorkingDay: 1
        }
    }

    /// The counts this module accepts for the unit: at least 1 and at most about ten years.
    public var countRange: ClosedRange<Int> {
        switch self {
        case .workingDays, .schoolWorkingDays: 1...2500
        case .calendarDays: 1...3660
        case .weeks: 1...520
        case .months: 1...120
        case .clockHours: 1...87_840
        case .sameOrNextWorkingDay, .sameOrNextSchoolWorkingDay: 1...1
        }
    }

    /// Whether the span counts the school's own working days.
    public var usesSchoolCalendar: Bool {
        switch self {
        case .schoolWorkingDays, .sameOrNextSchoolWorkingDay: true
        default: false
        }
    }

    /// The configuration text, e.g. `7wd`.
    public var description: String {
        switch self {
        case .workingDays(let n): "\(n)wd"
        case .schoolWorkingDays(let n): "\(n)swd"
        case .calendarDays(let n): "\(n)d"
        case .weeks(let n): "\(n)w"
        case .months(let n): "\(n)m"
        case .clockHours(let n): "\(n)h"
        case .sameOrNextWorkingDay: "same_or_next_wd"
        case .sameOrNextSchoolWorkingDay: "same_or_next_swd"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try DeadlineSpan(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}
