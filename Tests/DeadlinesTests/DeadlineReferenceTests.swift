import Deadlines
import Foundation
import Testing

@Suite struct DeadlineReferenceTests {
    /// Every vector of the independent reference: raw and rolled dates, the due instant (as epoch milliseconds
    /// and as RFC 3339 with the Helsinki offset), the calendar, and each day skipped or rolled past, with why.
    @Test(arguments: ReferenceFixtures.vectors)
    func matchesTheReference(vector: ReferenceFixtures.Vector) throws {
        let configuration = try #require(ReferenceFixtures.deadlines?.schoolCalendars)
        let span = try DeadlineSpan(parsing: vector.span)
        let start = Date(timeIntervalSince1970: Double(vector.startEpochMs) / 1000)
        let settings = vector.settings ?? CalendarSettings()
        let national = NationalCalendar(settings: settings)
        let school: CalendarSelection? =
            vector.schoolCalendar == nil
            ? nil
            : configuration.schoolCalendar(schoolId: nil, municipality: "398", on: CivilDate(instant: start))
        let calculator = DeadlineCalculator(national: national, school: school)

        let deadline = try calculator.deadline(span, from: start, roll: vector.roll)
        let expected = vector.expected

        #expect(deadline.startDate.description == expected.startDate)
        #expect(deadline.rawDate.description == expected.rawDate)
        #expect(deadline.rolledDate.description == expected.rolledDate)
        #expect(deadline.dueDate.description == expected.dueDate)
        #expect(deadline.dueAtMilliseconds == expected.dueAtEpochMs)
        #expect(LocalRFC3339.format(deadline.dueAt) == expected.dueAt)
        #expect(deadline.explanation.calendar == expected.calendar)
        #expect(deadline.explanation.skippedDays.map(\.date.description) == expected.skipped.map(\.date))
        #expect(deadline.explanation.skippedDays.map(\.reason.referenceCode) == expected.skipped.map(\.reason))
        #expect(deadline.explanation.rolledPast.map(\.date.description) == expected.rolledPast.map(\.date))
        #expect(deadline.explanation.rolledPast.map(\.reason.referenceCode) == expected.rolledPast.map(\.reason))
        #expect(deadline.explanation.calendarFellBack == (span.usesSchoolCalendar && vector.schoolCalendar == nil))
    }
}
