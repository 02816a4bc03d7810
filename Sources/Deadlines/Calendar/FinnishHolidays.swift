/// The Finnish holiday calendar, computed for any year (never a list of dates).
///
/// The holidays are those of the spec: New Year's Day, Epiphany, Good Friday (Easter − 2), Easter Sunday,
/// Easter Monday (Easter + 1), May Day, Ascension Day (Easter + 39), Whit Sunday (Easter + 49), Midsummer Eve
/// (the Friday 19–25 June), Midsummer Day (the Saturday 20–26 June), All Saints' Day (the Saturday 31 October –
/// 6 November), Independence Day, Christmas Eve, Christmas Day and St Stephen's Day. New Year's Eve is an
/// ordinary working day.
public enum FinnishHolidays {
    /// A holiday on its date.
    public struct Occurrence: Sendable, Hashable, Codable, CustomStringConvertible {
        public var date: CivilDate
        public var holiday: FinnishHoliday

        public init(date: CivilDate, holiday: FinnishHoliday) {
            self.date = date
            self.holiday = holiday
        }

        /// `2025-04-18 Good Friday (pitkäperjantai)`.
        public var description: String {
            "\(self.date) \(self.holiday)"
        }
    }

    /// Easter Sunday of `year` in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" algorithm).
    public static func easterSunday(year: Int) -> CivilDate {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDate(daysSinceEpoch: CivilDate.days(year: year, month: month, day: day))
    }

    /// Every holiday of `year`, in date order.
    public static func holidays(in year: Int) -> [Occurrence] {
        FinnishHoliday.allCases
            .map { Occurrence(date: $0.date(in: year), holiday: $0) }
            .sorted { $0.date < $1.date }
    }

    /// The holiday on `date`, if any. No two Finnish holidays share a date.
    public static func holiday(on date: CivilDate) -> FinnishHoliday? {
        switch (date.month, date.day) {
        case (1, 1): return .newYearsDay
        case (1, 6): return .epiphany
        case (5, 1): return .mayDay
        case (12, 6): return .independenceDay
        case (12, 24): return .christmasEve
        case (12, 25): return .christmasDay
        case (12, 26): return .stStephensDay
        case (6, 19...25) where date.weekday == .friday: return .midsummerEve
        case (6, 20...26) where date.weekday == .saturday: return .midsummerDay
        case (10, 31), (11, 1...6):
            return date.weekday == .saturday ? .allSaintsDay : nil
        case (3...6, _):
            switch FinnishHolidays.easterSunday(year: date.year).days(to: date) {
            case -2: return .goodFriday
            case 0: return .easterSunday
            case 1: return .easterMonday
            case 39: return .ascensionDay
            case 49: return .whitSunday
            default: return nil
            }
        default: return nil
        }
    }
}
