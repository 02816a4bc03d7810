import struct Foundation.Date
import struct Foundation.TimeZone
import Synchronization

/// Computes due times by the counting rules of Act 150/1930 (Laki säädettyjen määräaikain laskemisesta).
///
/// - The day of the event is not counted (2 §): the count starts on the local day after it.
/// - Working days skip the calendar's non-working days; school working days use the school's calendar.
/// - Weeks end on the same weekday, months on the same day number or the month's last day (3 §).
/// - A deadline ending on a day it may not end on (a Saturday, Sunday, holiday or eve, or a configured
///   closure day) moves to the next working day (5 §), when the caller applies the roll. Both dates are kept.
/// - Day-based deadlines are due at the end of the local day, `23:59:59.999` in ``timeZone``, so a day is
///   23 or 25 hours long across a DST change and the due time is still the end of the right day.
/// - Clock hours are exact elapsed time from the event instant and never roll.
///
/// Dates are taken in ``timeZone`` (Europe/Helsinki): a request at 23:30 UTC on a summer Sunday is counted
/// from Monday.
///
/// A class, immutable: a calculator is kept per municipality, school and day and handed to every referral of
/// them; as a structure each hand-over retained and released each of its calendars, its zone and its cache.
public final class DeadlineCalculator: Sendable {
    /// The calendar of working days (and of the 5 § roll for every span but school working days).
    public let national: NationalCalendar
    /// The calendar of school working days, possibly the national one standing in.
    public let school: CalendarSelection
    /// The zone whose local dates are counted.
    public let timeZone: TimeZone
    /// ``timeZone`` as the local-date functions take it: `nil` for Europe/Helsinki, whose offsets they read from a
    /// table without asking the zone.
    private let zone: TimeZone?
    /// Day-based deadlines computed before, when the owner keeps the calculator for many counts.
    public let cache: DeadlineCache?

    /// The longest stretch of non-working days tolerated before a calendar is deemed misconfigured.
    private static let maximumGap = 3660

    /// - Parameters:
    ///   - national: the national calendar (with the municipality's closure days).
    ///   - school: the school calendar from ``CalendarConfiguration/schoolCalendar(schoolId:municipality:on:)``;
    ///     `nil` makes school working days fall back to `national`, flagged in every explanation.
    ///   - timeZone: the zone of local dates, Europe/Helsinki by default.
    ///   - cache: where to keep day-based deadlines for reuse; `nil` computes every one. A cache must serve only
    ///     this calculator (or one with the same calendars and zone).
    public init(
        national: NationalCalendar = NationalCalendar(),
        school: CalendarSelection? = nil,
        timeZone: TimeZone = .helsinki,
        cache: DeadlineCache? = nil
    ) {
        self.national = national
        self.school = school ?? .fallback(to: national, reason: "no school calendar was given")
        self.timeZone = timeZone
        self.zone = timeZone.identifier == TimeZone.helsinki.identifier ? nil : timeZone
        self.cache = cache
    }

    /// The deadline `span` after `start`.
    ///
    /// - Parameters:
    ///   - span: what to count.
    ///   - start: the event instant (receipt of the request, or the status update that starts the milestone).
    ///   - roll: whether a deadline ending on a day it may not end on moves to the next working day (the law's
    ///     default); with `false` the raw date is the target and the rolled date is reported for information.
    /// - Throws: ``DeadlineError`` when the count is out of range or the calendar has no working days.
    public func deadline(_ span: DeadlineSpan, from start: Date, roll: Bool = true) throws(DeadlineError) -> Deadline {
        guard span.countRange.contains(span.count) else { throw .countOutOfRange(span) }
        let startDate = CivilDate(instant: start, in: self.zone)
        if case .clockHours(let hours) = span {
            return self.clockHours(hours, span: span, from: start, startDate: startDate)
        }
        guard let cache = self.cache else { return try self.count(span, from: start, startDate: startDate, roll: roll) }
        let key = DeadlineCache.Key(span: span, startDate: startDate, roll: roll)
        if var known = cache.entries.value(for: key) {
            // Everything but the start instant follows from the key.
            known.start = start
            return known
        }
        let deadline = try self.count(span, from: start, startDate: startDate, roll: roll)
        cache.entries.keep(deadline, for: key)
        return deadline
    }

    /// A day-based deadline, counted.
    private func count(
        _ span: DeadlineSpan,
        from start: Date,
        startDate: CivilDate,
        roll: Bool
    ) throws(DeadlineError) -> Deadline {
        let calendar: any WorkingDayCalendar = span.usesSchoolCalendar ? self.school.calendar : self.national
        var explanation = Deadline.Explanation(
            rule: Self.rule(for: span),
            calendar: calendar.identifier,
            calendarFellBack: span.usesSchoolCalendar && self.school.fellBackToNational
        )
        if explanation.calendarFellBack, let reason = self.school.fallbackReason {
            explanation.notes.append("national working days used: \(reason)")
        }
        let rawDate: CivilDate
        switch span {
        case .workingDays(let n), .schoolWorkingDays(let n):
            rawDate = try Self.count(n, after: startDate, in: calendar, skipped: &explanation.skippedDays)
        case .sameOrNextWorkingDay, .sameOrNextSchoolWorkingDay:
            rawDate = try Self.count(1, after: startDate, in: calendar, skipped: &explanation.skippedDays)
        case .calendarDays(let n): rawDate = startDate.adding(days: n)
        case .weeks(let n): rawDate = startDate.adding(days: 7 * n)
        case .months(let n): rawDate = startDate.adding(months: n)
        case .clockHours(let hours): return self.clockHours(hours, span: span, from: start, startDate: startDate)
        }
        let rolledDate = try Self.roll(rawDate, in: calendar, rolledPast: &explanation.rolledPast)
        if rolledDate != rawDate && !roll {
            explanation.notes.append("not moved to \(rolledDate): the policy targets the raw date")
        }
        if span.usesSchoolCalendar,
            let uncovered = Self.firstUncovered(from: startDate, through: rolledDate, in: calendar)
        {
            explanation.notes.append(
                "\(calendar.identifier) has no school year for \(uncovered); national rules were used from there"
            )
        }
        let dueDate = roll ? rolledDate : rawDate
        return Deadline(
            span: span,
            start: start,
            startDate: startDate,
            rawDate: rawDate,
            rolledDate: rolledDate,
            rollApplied: roll,
            rawDueAt: rawDate.endOfDay(in: self.zone),
            dueAt: dueDate.endOfDay(in: self.zone),
            explanation: explanation
        )
    }

    private func clockHours(_ hours: Int, span: DeadlineSpan, from start: Date, startDate: CivilDate) -> Deadline {
        let due = Date(epochMilliseconds: start.epochMilliseconds + Int64(hours) * 3_600_000)
        let dueDate = CivilDate(instant: due, in: self.zone)
        return Deadline(
            span: span,
            start: start,
            startDate: startDate,
            rawDate: dueDate,
            rolledDate: dueDate,
            rollApplied: false,
            rawDueAt: due,
            dueAt: due,
            explanation: Deadline.Explanation(rule: Self.rule(for: span), calendar: "elapsed-time")
        )
    }

    /// The `n`-th working day of `calendar` after `start`, recording the days not counted.
    private static func count(
        _ n: Int,
        after start: CivilDate,
        in calendar: some WorkingDayCalendar,
        skipped: inout [Deadline.SkippedDay]
    ) throws(DeadlineError) -> CivilDate {
        var date = start
        var counted = 0
        var gap = 0
        while counted < n {
            date = date.adding(days: 1)
            if let reason = calendar.nonWorkingReason(on: date) {
                skipped.append(Deadline.SkippedDay(date: date, reason: reason))
                gap += 1
                guard gap <= maximumGap else { throw .noWorkingDay(calendar: calendar.identifier, after: start) }
            } else {
                counted += 1
                gap = 0
            }
        }
        return date
    }

    /// `date`, or the first later day on which a deadline may end (Act 150/1930 5 §).
    private static func roll(
        _ date: CivilDate,
        in calendar: some WorkingDayCalendar,
        rolledPast: inout [Deadline.SkippedDay]
    ) throws(DeadlineError) -> CivilDate {
        var date = date
        while let reason = calendar.deadlineShiftReason(on: date) {
            rolledPast.append(Deadline.SkippedDay(date: date, reason: reason))
            guard rolledPast.count <= maximumGap else {
                throw .noWorkingDay(calendar: calendar.identifier, after: date)
            }
            date = date.adding(days: 1)
        }
        return date
    }

    /// The first day after `start` up to `end` that `calendar` has no authoritative data for.
    private static func firstUncovered(
        from start: CivilDate,
        through end: CivilDate,
        in calendar: some WorkingDayCalendar
    ) -> CivilDate? {
        var date = start.adding(days: 1)
        while date <= end {
            if !calendar.covers(date) { return date }
            date = date.adding(days: 1)
        }
        return nil
    }

    /// The rule texts written so far: a deadline's explanation names its rule, and a configuration has few spans.
    private static let ruleTexts = Mutex<[DeadlineSpan: String]>([:])

    private static func rule(for span: DeadlineSpan) -> String {
        if let known = Self.ruleTexts.withLock({ $0[span] }) { return known }
        let text = Self.describeRule(span)
        Self.ruleTexts.withLock { texts in
            // Spans come from the configuration; the bound only guards against a surprise.
            if texts.count >= 256 { texts.removeAll() }
            texts[span] = text
        }
        return text
    }

    private static func describeRule(_ span: DeadlineSpan) -> String {
        let notCounted = "the day of the event is not counted (Act 150/1930 2 §)"
        let endOfDay = "due at the end of that local day"
        switch span {
        case .workingDays(let n):
            return "the \(ordinal(n)) working day after the day of the event; \(notCounted); \(endOfDay)"
        case .schoolWorkingDays(let n):
            return "the \(ordinal(n)) school working day after the day of the request; \(notCounted); \(endOfDay)"
        case .sameOrNextWorkingDay:
            return "the same or the next working day: due at the end of the first working day after the day of "
                + "the event"
        case .sameOrNextSchoolWorkingDay:
            return "the same or the next school working day: due at the end of the first school working day after "
                + "the day of the request"
        case .calendarDays(let n):
            return "\(n) calendar day\(n == 1 ? "" : "s") after the day of the event; \(notCounted); \(endOfDay)"
        case .weeks(let n):
            return "\(n) week\(n == 1 ? "" : "s"): the same weekday \(n) week\(n == 1 ? "" : "s") later "
                + "(Act 150/1930 3 §); \(endOfDay)"
        case .months(let n):
            return "\(n) month\(n == 1 ? "" : "s"): the same day number \(n) month\(n == 1 ? "" : "s") later, or "
                + "that month's last day (Act 150/1930 3 §); \(endOfDay)"
        case .clockHours(let n):
            return "\(n) clock hour\(n == 1 ? "" : "s") of elapsed time after the event instant"
        }
    }

    private static func ordinal(_ n: Int) -> String {
        let suffix: String
        switch (n % 10, n % 100) {
        case (_, 11...13): suffix = "th"
        case (1, _): suffix = "st"
        case (2, _): suffix = "nd"
        case (3, _): suffix = "rd"
        default: suffix = "th"
        }
        return "\(n)\(suffix)"
    }
}
