/// The Finnish public holidays (pyhäpäivät) and the two eves that Act 150/1930 5 § treats like them.
///
/// Every date is computed from the rules for any year; see ``date(in:)`` and ``FinnishHolidays``.
public enum FinnishHoliday: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case newYearsDay = "new_years_day"
    case epiphany
    case goodFriday = "good_friday"
    case easterSunday = "easter_sunday"
    case easterMonday = "easter_monday"
    case mayDay = "may_day"
    case ascensionDay = "ascension_day"
    case whitSunday = "whit_sunday"
    case midsummerEve = "midsummer_eve"
    case midsummerDay = "midsummer_day"
    case allSaintsDay = "all_saints_day"
    case independenceDay = "independence_day"
    case christmasEve = "christmas_eve"
    case christmasDay = "christmas_day"
    case stStephensDay = "st_stephens_day"

    /// How the law classifies a holiday.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A church holiday (kirkollinen juhlapyhä), always a non-working day.
        case churchHoliday = "church_holiday"
        /// May Day or Independence Day, named separately in Act 150/1930 5 §; always a non-working day.
        case civilHoliday = "civil_holiday"
        /// Christmas Eve or Midsummer Eve: a deadline ending on one moves on (5 §), but whether the day counts
        /// inside a count of working days is a calendar setting.
        case eve
    }

    /// The holiday's kind.
    public var kind: Kind {
        switch self {
        case .mayDay, .independenceDay: .civilHoliday
        case .midsummerEve, .christmasEve: .eve
        default: .churchHoliday
        }
    }

    /// The English name, e.g. `Good Friday`.
    public var englishName: String {
        switch self {
        case .newYearsDay: "New Year's Day"
        case .epiphany: "Epiphany"
        case .goodFriday: "Good Friday"
        case .easterSunday: "Easter Sunday"
        case .easterMonday: "Easter Monday"
        case .mayDay: "May Day"
        case .ascensionDay: "Ascension Day"
        case .whitSunday: "Whit Sunday"
        case .midsummerEve: "Midsummer Eve"
        case .midsummerDay: "Midsummer Day"
        case .allSaintsDay: "All Saints' Day"
        case .independenceDay: "Independence Day"
        case .christmasEve: "Christmas Eve"
        case .christmasDay: "Christmas Day"
        case .stStephensDay: "St Stephen's Day"
        }
    }

    /// The Finnish name, e.g. `pitkäperjantai`.
    public var finnishName: String {
        switch self {
        case .newYearsDay: "uudenvuodenpäivä"
        case .epiphany: "loppiainen"
        case .goodFriday: "pitkäperjantai"
        case .easterSunday: "pääsiäispäivä"
        case .easterMonday: "toinen pääsiäispäivä"
        case .mayDay: "vappu"
        case .ascensionDay: "helatorstai"
        case .whitSunday: "helluntaipäivä"
        case .midsummerEve: "juhannusaatto"
        case .midsummerDay: "juhannuspäivä"
        case .allSaintsDay: "pyhäinpäivä"
        case .independenceDay: "itsenäisyyspäivä"
        case .christmasEve: "jouluaatto"
        case .christmasDay: "joulupäivä"
        case .stStephensDay: "tapaninpäivä"
        }
    }

    /// `Good Friday (pitkäperjantai)`.
    public var description: String {
        "\(self.englishName) (\(self.finnishName))"
    }

    /// The holiday's date in `year`.
    public func date(in year: Int) -> CivilDate {
        switch self {
        case .newYearsDay: Self.fixed(year, 1, 1)
        case .epiphany: Self.fixed(year, 1, 6)
        case .goodFriday: FinnishHolidays.easterSunday(year: year).adding(days: -2)
        case .easterSunday: FinnishHolidays.easterSunday(year: year)
        case .easterMonday: FinnishHolidays.easterSunday(year: year).adding(days: 1)
        case .mayDay: Self.fixed(year, 5, 1)
        case .ascensionDay: FinnishHolidays.easterSunday(year: year).adding(days: 39)
        case .whitSunday: FinnishHolidays.easterSunday(year: year).adding(days: 49)
        case .midsummerEve: Self.first(.friday, onOrAfter: Self.fixed(year, 6, 19))
        case .midsummerDay: Self.first(.saturday, onOrAfter: Self.fixed(year, 6, 20))
        case .allSaintsDay: Self.first(.saturday, onOrAfter: Self.fixed(year, 10, 31))
        case .independenceDay: Self.fixed(year, 12, 6)
        case .christmasEve: Self.fixed(year, 12, 24)
        case .christmasDay: Self.fixed(year, 12, 25)
        case .stStephensDay: Self.fixed(year, 12, 26)
        }
    }

    private static func fixed(_ year: Int, _ month: Int, _ day: Int) -> CivilDate {
        // Every fixed holiday exists in every year; days since the epoch avoid an optional.
        CivilDate(daysSinceEpoch: CivilDate.days(year: year, month: month, day: day))
    }

    /// The first `weekday` in the seven days starting at `start`.
    private static func first(_ weekday: Weekday, onOrAfter start: CivilDate) -> CivilDate {
        start.adding(days: CivilDate.floorModulo(weekday.rawValue - start.weekday.rawValue, 7))
    }
}
