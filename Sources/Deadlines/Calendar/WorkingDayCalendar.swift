/// A calendar that tells working days from the others, and why.
///
/// Two questions are asked of a calendar, because Act 150/1930 asks two:
/// - inside a count of working days, ``nonWorkingReason(on:)`` decides which days are skipped;
/// - when a deadline *ends* on a day, ``deadlineShiftReason(on:)`` decides whether it moves to the next working
///   day (5 §: a Saturday, Sunday, church holiday, Independence Day, May Day, Christmas Eve or Midsummer Eve).
///
/// The two differ only where the law and a setting differ, for example an eve configured as a working day: it
/// counts inside a count, but a deadline still does not end on it.
public protocol WorkingDayCalendar: Sendable {
    /// A short stable name for explanations, e.g. `fi-national` or `school/lahti`.
    var identifier: String { get }

    /// Why `date` is not a working day, or `nil` when it is one.
    func nonWorkingReason(on date: CivilDate) -> NonWorkingReason?

    /// Why a deadline that ends on `date` moves to the next working day, or `nil` when it may end there.
    ///
    /// Defaults to ``nonWorkingReason(on:)``.
    func deadlineShiftReason(on date: CivilDate) -> NonWorkingReason?

    /// Whether the calendar has authoritative data for `date`; a school calendar knows only the school years it
    /// was configured with and answers by national rules elsewhere. Defaults to `true`.
    func covers(_ date: CivilDate) -> Bool
}

extension WorkingDayCalendar {
    public func deadlineShiftReason(on date: CivilDate) -> NonWorkingReason? {
        self.nonWorkingReason(on: date)
    }

    public func covers(_ date: CivilDate) -> Bool {
        true
    }

    /// Whether `date` is a working day of this calendar.
    public func isWorkingDay(_ date: CivilDate) -> Bool {
        self.nonWorkingReason(on: date) == nil
    }
}
