import Deadlines
import Foundation
import Testing

@Suite struct DeadlineCalculatorTests {
    /// 2025-04-17T10:00:00+03:00, Maundy Thursday.
    static let maundyThursday = Date(timeIntervalSince1970: 1_744_873_200)

    @Test func explanationNamesRuleCalendarAndSkippedDays() throws {
        let deadline = try DeadlineCalculator().deadline(.workingDays(7), from: Self.maundyThursday)
        #expect(deadline.dueDate.description == "2025-04-30")
        #expect(LocalRFC3339.format(deadline.dueAt) == "2025-04-30T23:59:59.999+03:00")
        let explanation = deadline.explanation
        #expect(explanation.rule.hasPrefix("the 7th working day after the day of the event"))
        #expect(explanation.rule.contains("Act 150/1930 2 §"))
        #expect(explanation.calendar == "fi-national")
        #expect(
            explanation.skippedDays.map(\.description) == [
                "2025-04-18 Good Friday (pitkäperjantai)", "2025-04-19 Saturday",
                "2025-04-20 Easter Sunday (pääsiäispäivä)", "2025-04-21 Easter Monday (toinen pääsiäispäivä)",
                "2025-04-26 Saturday", "2025-04-27 Sunday",
            ]
        )
        #expect(explanation.description.contains("not counted: 2025-04-18 Good Friday (pitkäperjantai), "))
        #expect(!deadline.wasRolled)
    }

    @Test func rollOffKeepsTheRawDateAsTargetAndSaysSo() throws {
        let start = Date(timeIntervalSince1970: 1_744_354_800)  // 2025-04-11T09:00:00+03:00
        let rolled = try DeadlineCalculator().deadline(.weeks(1), from: start)
        let raw = try DeadlineCalculator().deadline(.weeks(1), from: start, roll: false)
        #expect(rolled.rawDate == raw.rawDate)
        #expect(rolled.rolledDate == raw.rolledDate)
        #expect(rolled.wasRolled && raw.wasRolled)
        #expect(rolled.dueDate.description == "2025-04-22")
        #expect(raw.dueDate.description == "2025-04-18")
        #expect(raw.rawDueAt == raw.dueAt)
        #expect(rolled.rawDueAt < rolled.dueAt)
        #expect(raw.explanation.notes == ["not moved to 2025-04-22: the policy targets the raw date"])
        #expect(rolled.explanation.notes.isEmpty)
    }

    @Test func clockHoursAreExactElapsedTimeAndNeverRoll() throws {
        let start = Date(timeIntervalSince1970: 1_743_291_000)  // 2025-03-30T01:30:00+02:00, DST starts at 03:00
        let deadline = try DeadlineCalculator().deadline(.clockHours(4), from: start)
        #expect(deadline.dueAt.timeIntervalSince(start) == 4 * 3600)
        #expect(LocalRFC3339.format(deadline.dueAt) == "2025-03-30T06:30:00.000+03:00")
        #expect(!deadline.rollApplied)
        #expect(deadline.explanation.calendar == "elapsed-time")
        #expect(deadline.explanation.rule == "4 clock hours of elapsed time after the event instant")
    }

    @Test func schoolSpansWithoutSchoolCalendarFallBackWithAFlag() throws {
        let start = Date(timeIntervalSince1970: 1_791_446_400)  // 2026-10-08T10:00:00+03:00
        let deadline = try DeadlineCalculator().deadline(.schoolWorkingDays(7), from: start)
        #expect(deadline.explanation.calendarFellBack)
        #expect(deadline.explanation.notes == ["national working days used: no school calendar was given"])
        let national = try DeadlineCalculator().deadline(.workingDays(7), from: start)
        #expect(!national.explanation.calendarFellBack)
        #expect(deadline.dueAt == national.dueAt)
    }

    @Test func countLeavingTheSchoolYearIsNoted() throws {
        let configuration = try #require(ReferenceFixtures.deadlines?.schoolCalendars)
        let start = Date(timeIntervalSince1970: 1_811_919_600)  // 2027-06-02T10:00:00+03:00
        let school = configuration.schoolCalendar(schoolId: nil, municipality: "398", on: CivilDate(instant: start))
        let deadline = try DeadlineCalculator(school: school).deadline(.schoolWorkingDays(7), from: start)
        #expect(deadline.dueDate.description == "2027-08-05")
        #expect(
            deadline.explanation.notes == [
                "school/lahti has no school year for 2027-08-01; national rules were used from there"
            ]
        )
    }

    @Test func sameOrNextSchoolWorkingDayIsTheFirstSchoolDayAfter() throws {
        let start = Date(timeIntervalSince1970: 1_797_159_600)  // 2026-12-13T12:00:00+02:00, a Sunday
        let deadline = try DeadlineCalculator().deadline(.sameOrNextSchoolWorkingDay, from: start)
        #expect(deadline.dueDate.description == "2026-12-14")
        #expect(deadline.explanation.rule.hasPrefix("the same or the next school working day"))
    }

    @Test func outOfRangeCountsAndDeadCalendarsThrow() throws {
        #expect(throws: DeadlineError.countOutOfRange(.workingDays(0))) {
            try DeadlineCalculator().deadline(.workingDays(0), from: Date(timeIntervalSince1970: 0))
        }
        struct NeverOpen: WorkingDayCalendar {
            let identifier = "never"
            func nonWorkingReason(on date: CivilDate) -> NonWorkingReason? { .closureDay(name: "closed") }
        }
        let calculator = DeadlineCalculator(
            school: CalendarSelection(calendar: NeverOpen(), fellBackToNational: false, fallbackReason: nil)
        )
        #expect(throws: DeadlineError.self) {
            try calculator.deadline(.schoolWorkingDays(1), from: Date(timeIntervalSince1970: 0))
        }
    }

    @Test func deadlinesEncodeAsJSON() throws {
        let deadline = try DeadlineCalculator().deadline(.months(3), from: Self.maundyThursday)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(deadline), as: UTF8.self)
        #expect(text.contains(#""span":"3m""#))
        #expect(text.contains(#""rawDate":"2025-07-17""#))
        #expect(try JSONDecoder().decode(Deadline.self, from: Data(text.utf8)) == deadline)
    }
}

/// The offset cache of `LocalRFC3339` must never carry an offset across a transition, in either direction.
@Suite struct LocalRFC3339OffsetTests {
    @Test func offsetsAroundTransitionsInAnyOrder() {
        // Helsinki: summer time from 2025-03-30T01:00:00Z, winter time from 2025-10-26T01:00:00Z.
        let cases: [(Int64, String)] = [
            (1_743_296_399_999, "2025-03-30T02:59:59.999+02:00"),
            (1_743_296_400_000, "2025-03-30T04:00:00.000+03:00"),
            (1_761_440_399_999, "2025-10-26T03:59:59.999+03:00"),
            (1_761_440_400_000, "2025-10-26T03:00:00.000+02:00"),
        ]
        for order in [cases, cases.reversed(), [cases[1], cases[0], cases[3], cases[2], cases[1]]] {
            for (milliseconds, text) in order {
                #expect(LocalRFC3339.format(epochMilliseconds: milliseconds) == text)
            }
        }
    }

    /// The bytes written into a buffer (for JSON writers) are the formatted text, on the fixed-width path and the
    /// slow one (years outside 0…9999), in Helsinki and in UTC.
    @Test func writtenBytesAreTheFormattedText() {
        var instants: [Int64] = [0, -1, 1_743_296_399_999, 1_743_296_400_000, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001]
        // 2,000 instants from year -248 to 10203, about 5.2 years apart; the step is no whole number of days or
        // seconds, so the time of day and the milliseconds vary too.
        for step in 0..<Int64(2000) { instants.append(-70_000_000_000_000 + step * 165_000_001_339) }
        for milliseconds in instants {
            for zone in [TimeZone.helsinki, TimeZone(identifier: "UTC")!] {
                let text = LocalRFC3339.format(epochMilliseconds: milliseconds, in: zone)
                let written = [UInt8](unsafeUninitializedCapacity: LocalRFC3339.maximumLength) { buffer, count in
                    count = LocalRFC3339.write(epochMilliseconds: milliseconds, in: zone, into: buffer)
                }
                #expect(written == Array(text.utf8), "\(milliseconds) \(zone.identifier)")
            }
        }
    }
}
