/// The calendar chosen for a count of school working days, and whether the lookup fell back.
public struct CalendarSelection: Sendable {
    /// The school calendar found, or the national calendar when none was configured.
    public let calendar: any WorkingDayCalendar
    /// `true` when no school calendar applied and national working days stand in for school working days.
    public let fellBackToNational: Bool
    /// Why the lookup fell back, for the decision's explanation; `nil` when it did not.
    ///
    /// Built when read: the lookup runs for every decision, the text is needed only when a count used the
    /// fallback.
    public var fallbackReason: String? { self.reason?.text }

    private let reason: FallbackReason?

    /// Why a lookup fell back, kept as the values the text is made of.
    enum FallbackReason: Sendable {
        case given(String)
        case noSchoolYear(calendarId: String, date: CivilDate)
        case notConfigured(schoolId: String?, municipality: String?)

        var text: String {
            switch self {
            case .given(let text):
                return text
            case .noSchoolYear(let calendarId, let date):
                return "school calendar \(calendarId) has no school year containing \(date)"
            case .notConfigured(let schoolId, let municipality):
                var subject = "an unknown school"
                switch (schoolId, municipality) {
                case (let school?, let code?): subject = "school " + school + " or municipality " + code
                case (let school?, nil): subject = "school " + school
                case (nil, let code?): subject = "municipality " + code
                case (nil, nil): break
                }
                return "no school calendar configured for " + subject
            }
        }
    }

    /// A configured school calendar.
    public static func school(_ calendar: SchoolCalendar) -> CalendarSelection {
        CalendarSelection(calendar: calendar, fellBackToNational: false, reason: nil)
    }

    /// The national calendar standing in for a school calendar.
    public static func fallback(to national: NationalCalendar, reason: String) -> CalendarSelection {
        CalendarSelection(calendar: national, fellBackToNational: true, reason: .given(reason))
    }

    static func fallback(to national: NationalCalendar, because reason: FallbackReason) -> CalendarSelection {
        CalendarSelection(calendar: national, fellBackToNational: true, reason: reason)
    }

    /// Any calendar, chosen by the caller.
    public init(calendar: any WorkingDayCalendar, fellBackToNational: Bool, fallbackReason: String?) {
        self.init(calendar: calendar, fellBackToNational: fellBackToNational, reason: fallbackReason.map { .given($0) })
    }

    private init(calendar: any WorkingDayCalendar, fellBackToNational: Bool, reason: FallbackReason?) {
        self.calendar = calendar
        self.fellBackToNational = fellBackToNational
        self.reason = reason
    }
}
