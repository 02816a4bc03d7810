import struct Foundation.Date
import struct Foundation.TimeZone

/// A calendar date without a time or a zone (proleptic Gregorian), e.g. `2025-04-18`.
///
/// Deadlines are counted in local calendar dates: convert an instant with ``init(instant:in:)`` first, count
/// in `CivilDate`s, and convert back with ``startOfDay(in:)`` or ``endOfDay(in:)``.
///
/// Encoded as its ISO 8601 text (`"2025-04-18"`).
public struct CivilDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The year, e.g. `2025`.
    public let year: Int
    /// The month, 1–12.
    public let month: Int
    /// The day of the month, 1–31.
    public let day: Int

    /// A validated date.
    ///
    /// Returns `nil` when the month or day does not exist (`2025-02-29`) or the year is outside 1–9999.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            day >= 1, day <= CivilDate.daysInMonth(year: year, month: month)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `daysSinceEpoch` days after 1970-01-01 (negative before it).
    public init(daysSinceEpoch days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// Parses `yyyy-MM-dd` exactly (four-digit year, two-digit month and day); `nil` for anything else.
    public init?(iso text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The local date of `instant` in `timeZone` (Europe/Helsinki unless told otherwise).
    ///
    /// A request at 23:30 UTC on a summer Sunday is on Monday in Helsinki (UTC+3).
    public init(instant: Date, in timeZone: TimeZone? = nil) {
        let seconds = Int((instant.timeIntervalSince1970).rounded(.down))
        // Offsets change on whole seconds: the offset at the whole second is the offset at the instant.
        let local = seconds + UTCOffsets.offset(atSecond: Int64(seconds), in: timeZone)
        self.init(daysSinceEpoch: CivilDate.floorDivide(local, 86_400))
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int {
        CivilDate.days(year: self.year, month: self.month, day: self.day)
    }

    /// Days since 1970-01-01 of a date known to exist.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The ISO day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday (ISO 4).
        Weekday.allCases[CivilDate.floorModulo(self.daysSinceEpoch + 3, 7)]
    }

    /// Whether `year` has 29 February.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in a month of a year.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> CivilDate {
        CivilDate(daysSinceEpoch: self.daysSinceEpoch + days)
    }

    /// The same day number `months` months later, or that month's last day when it is shorter (Act 150/1930 3 §).
    ///
    /// `2025-11-30` + 3 months is `2026-02-28`; `2027-11-30` + 3 months is `2028-02-29`.
    public func adding(months: Int) -> CivilDate {
        let index = self.year * 12 + (self.month - 1) + months
        let year = CivilDate.floorDivide(index, 12)
        let month = CivilDate.floorModulo(index, 12) + 1
        let day = min(self.day, CivilDate.daysInMonth(year: year, month: month))
        return CivilDate(daysSinceEpoch: CivilDate.days(year: year, month: month, day: day))
    }

    /// The number of days from `self` to `other` (positive when `other` is later).
    public func days(to other: CivilDate) -> Int {
        other.daysSinceEpoch - self.daysSinceEpoch
    }

    /// The first instant of this local day in `timeZone`.
    public func startOfDay(in timeZone: TimeZone? = nil) -> Date {
        let localMidnight = self.daysSinceEpoch * 86_400
        // Resolve the UTC offset in force at local midnight; two passes settle a DST change between the guesses.
        // (The offsets come from the cache of spans between transitions; the time-zone database is slow.)
        var instant = localMidnight - UTCOffsets.offset(atSecond: Int64(localMidnight), in: timeZone)
        let offset = UTCOffsets.offset(atSecond: Int64(instant), in: timeZone)
        instant = localMidnight - offset
        return Date(timeIntervalSince1970: Double(instant))
    }

    /// The last millisecond of this local day in `timeZone`: `23:59:59.999` local time.
    ///
    /// This is the representation of "due at the end of the day" everywhere in this module. Across a DST change
    /// the day is 23 or 25 hours long; the end of the day is always one millisecond before the next local midnight.
    public func endOfDay(in timeZone: TimeZone? = nil) -> Date {
        Date(epochMilliseconds: self.adding(days: 1).startOfDay(in: timeZone).epochMilliseconds - 1)
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `yyyy-MM-dd`.
    public var description: String {
        guard (0...9999).contains(self.year) else {
            return CivilDate.pad(self.year, 4) + "-" + CivilDate.pad(self.month, 2) + "-" + CivilDate.pad(self.day, 2)
        }
        // Ten ASCII bytes written in place: a small string, no allocation.
        return String(unsafeUninitializedCapacity: 10) { buffer in
            var writer = ASCIIDigits(buffer)
            self.write(into: &writer)
            return writer.count
        }
    }

    /// Writes `yyyy-MM-dd` (the year must have four digits).
    func write(into writer: inout ASCIIDigits) {
        writer.digits(self.year, 4)
        writer.byte(UInt8(ascii: "-"))
        writer.digits(self.month, 2)
        writer.byte(UInt8(ascii: "-"))
        writer.digits(self.day, 2)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "\"\(text)\" is not a date of the form yyyy-MM-dd"
            )
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func floorDivide(_ value: Int, _ divisor: Int) -> Int {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    static func floorModulo(_ value: Int, _ divisor: Int) -> Int {
        value - floorDivide(value, divisor) * divisor
    }
}

/// Writes fixed-width decimal fields and ASCII bytes into a buffer: the date and time formatters' core, with no
/// intermediate strings.
struct ASCIIDigits {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    /// `value` (non-negative, below 10^width) with leading zeros.
    @inline(__always)
    mutating func digits(_ value: Int, _ width: Int) {
        var rest = value
        var position = self.count + width
        while position > self.count {
            position -= 1
            self.buffer[position] = UInt8(truncatingIfNeeded: 48 + rest % 10)
            rest /= 10
        }
        self.count += width
    }

    @inline(__always)
    mutating func byte(_ byte: UInt8) {
        self.buffer[self.count] = byte
        self.count += 1
    }
}
