/// The calendar chosen for a count of school working days, and whether the lookup fell back.
public struct CalendarSelection: Sendable {
    /// The school calendar found, or the national calendar when none was configured.
    public let calendar: any WorkingDayCalendar
    /// `true` when no school calendar applied and national working days stand in for school working days.
    public let fellBackToNational: Bool
    /// Why the lookup fell back, for the decision's explanation; `nil` when it did not.
    public let fallbackReason: String?

    /// A configured school calendar.
    public static func school(_ calendar: SchoolCalendar) -> CalendarSelection {
        CalendarSelection(calendar: calendar, fellBackToNational: false, fallbackReason: nil)
    }

    /// The national calendar standing in for a school calendar.
    public static func fallback(to national: NationalCalendar, reason: String) -> CalendarSelection {
        CalendarSelection(calendar: national, fellBackToNational: true, fallbackReason: reason)
    }

    /// Any calendar, chosen by the caller.
    public init(calendar: any WorkingDayCalendar, fellBackToNational: Bool, fallbackReason: String?) {
        self.calendar = calendar
        self.fellBackToNational = fellBackToNational
        self.fallbackReason = fallbackReason
    }
}
