/// The Finnish working-day calendar (arkipäivät): Monday to Friday, less the public holidays, the eves unless
/// the settings count them, and the configured closure days.
///
/// Saturdays are never working days ("Arkipäivänä ei pidetä pyhäpäiviä eikä arkilauantaita", THL).
public struct NationalCalendar: WorkingDayCalendar, Hashable {
    /// The settings in force.
    public let settings: CalendarSettings
    /// The municipality whose regional closure days apply, if any.
    public let municipality: String?
    /// `fi-national`, or `fi-national/398` for the calendar of a municipality.
    public let identifier: String
    private let closures: [CivilDate: String]

    /// - Parameters:
    ///   - settings: the eves and the closure days.
    ///   - municipality: the 3-digit code whose regional closure days apply; `nil` applies only the closure days
    ///     configured for every municipality.
    public init(settings: CalendarSettings = CalendarSettings(), municipality: String? = nil) {
        self.settings = settings
        self.municipality = municipality
        self.identifier = municipality.map { "fi-national/\($0)" } ?? "fi-national"
        var closures: [CivilDate: String] = [:]
        for closure in settings.closureDays where closure.applies(to: municipality) {
            closures[closure.date] = closure.name
        }
        self.closures = closures
    }

    public func nonWorkingReason(on date: CivilDate) -> NonWorkingReason? {
        if let holiday = FinnishHolidays.holiday(on: date), !self.countsAsWorkingDay(holiday) {
            return .holiday(holiday)
        }
        let weekday = date.weekday
        if weekday.isWeekend {
            return .weekend(weekday)
        }
        return self.closures[date].map { .closureDay(name: $0) }
    }

    /// Saturdays, Sundays, every holiday and both eves (Act 150/1930 5 §), and the closure days.
    public func deadlineShiftReason(on date: CivilDate) -> NonWorkingReason? {
        NationalCalendar.statutoryReason(on: date) ?? self.closures[date].map { .closureDay(name: $0) }
    }

    /// The weekend or holiday reason the law gives, regardless of settings.
    static func statutoryReason(on date: CivilDate) -> NonWorkingReason? {
        if let holiday = FinnishHolidays.holiday(on: date) {
            return .holiday(holiday)
        }
        let weekday = date.weekday
        return weekday.isWeekend ? .weekend(weekday) : nil
    }

    private func countsAsWorkingDay(_ holiday: FinnishHoliday) -> Bool {
        switch holiday {
        case .christmasEve: self.settings.christmasEveIsWorkingDay
        case .midsummerEve: self.settings.midsummerEveIsWorkingDay
        default: false
        }
    }
}
