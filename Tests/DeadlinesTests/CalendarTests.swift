import Deadlines
import Foundation
import Testing

@Suite struct CalendarTests {
    private func date(_ text: String) throws -> CivilDate {
        try #require(CivilDate(iso: text))
    }

    @Test func nationalCalendarReasons() throws {
        let calendar = NationalCalendar()
        #expect(calendar.identifier == "fi-national")
        #expect(calendar.nonWorkingReason(on: try date("2025-04-18")) == .holiday(.goodFriday))
        #expect(calendar.nonWorkingReason(on: try date("2025-04-19")) == .weekend(.saturday))
        #expect(calendar.nonWorkingReason(on: try date("2025-12-24")) == .holiday(.christmasEve))
        #expect(calendar.nonWorkingReason(on: try date("2025-12-31")) == nil)
        #expect(calendar.isWorkingDay(try date("2027-11-01")))
        #expect(
            Deadline.SkippedDay(date: try date("2025-04-18"), reason: .holiday(.goodFriday)).description
                == "2025-04-18 Good Friday (pitkäperjantai)"
        )
        #expect(
            Deadline.SkippedDay(date: try date("2025-04-19"), reason: .weekend(.saturday)).description
                == "2025-04-19 Saturday"
        )
    }

    /// An eve set as a working day counts inside a count, but a deadline still may not end on it (5 §).
    @Test func evesAsWorkingDays() throws {
        let calendar = NationalCalendar(
            settings: CalendarSettings(christmasEveIsWorkingDay: true, midsummerEveIsWorkingDay: true)
        )
        #expect(calendar.isWorkingDay(try date("2025-12-24")))
        #expect(calendar.isWorkingDay(try date("2026-06-19")))
        #expect(calendar.deadlineShiftReason(on: try date("2025-12-24")) == .holiday(.christmasEve))
        #expect(calendar.deadlineShiftReason(on: try date("2026-06-19")) == .holiday(.midsummerEve))
        // Christmas Eve 2022 was a Saturday: still not a working day.
        #expect(calendar.nonWorkingReason(on: try date("2022-12-24")) == .weekend(.saturday))
    }

    @Test func regionalClosureDaysApplyWhereConfigured() throws {
        let settings = CalendarSettings(closureDays: [
            .init(date: try date("2026-12-31"), name: "Everywhere"),
            .init(date: try date("2026-12-30"), name: "Lahti only", municipalities: ["398"]),
        ])
        let lahti = NationalCalendar(settings: settings, municipality: "398")
        let heinola = NationalCalendar(settings: settings, municipality: "111")
        let unknown = NationalCalendar(settings: settings)
        #expect(lahti.identifier == "fi-national/398")
        #expect(lahti.nonWorkingReason(on: try date("2026-12-30")) == .closureDay(name: "Lahti only"))
        #expect(lahti.nonWorkingReason(on: try date("2026-12-31")) == .closureDay(name: "Everywhere"))
        #expect(heinola.isWorkingDay(try date("2026-12-30")))
        #expect(!heinola.isWorkingDay(try date("2026-12-31")))
        #expect(unknown.isWorkingDay(try date("2026-12-30")))
    }

    private func configuration() throws -> CalendarConfiguration {
        try #require(ReferenceFixtures.deadlines?.schoolCalendars)
    }

    @Test func schoolCalendarReasons() throws {
        let selection = try configuration().schoolCalendar(
            schoolId: nil,
            municipality: "398",
            on: try date("2026-09-01")
        )
        #expect(!selection.fellBackToNational)
        let calendar = selection.calendar
        #expect(calendar.identifier == "school/lahti")
        #expect(
            calendar.nonWorkingReason(on: try date("2026-10-14")) == .schoolHoliday(name: "Autumn break (syysloma)")
        )
        #expect(calendar.nonWorkingReason(on: try date("2026-08-11")) == .outsideSchoolTerm)
        #expect(calendar.isWorkingDay(try date("2026-08-12")))
        #expect(calendar.isWorkingDay(try date("2026-12-19")))  // a Saturday school day
        #expect(calendar.nonWorkingReason(on: try date("2026-12-06")) == .holiday(.independenceDay))
        #expect(calendar.nonWorkingReason(on: try date("2027-05-06")) == .holiday(.ascensionDay))
        #expect(calendar.nonWorkingReason(on: try date("2026-09-05")) == .weekend(.saturday))
        #expect(calendar.covers(try date("2027-07-31")))
        #expect(!calendar.covers(try date("2027-08-01")))
        #expect(calendar.nonWorkingReason(on: try date("2027-08-02")) == nil)  // national rules outside the plan
    }

    @Test func schoolCalendarLookupPrefersTheSchoolAndFallsBackWithAReason() throws {
        let lahti = try #require(try configuration().schoolCalendars.first)
        var ownSchool = lahti
        ownSchool.id = "kivimaa"
        ownSchool.municipality = nil
        ownSchool.schoolIds = ["ph-school-kivimaa"]
        let configuration = try CalendarConfiguration(schoolCalendars: [lahti, ownSchool])
        let day = try date("2026-09-01")

        let bySchool = configuration.schoolCalendar(schoolId: "ph-school-kivimaa", municipality: "398", on: day)
        #expect(bySchool.calendar.identifier == "school/kivimaa")
        let byMunicipality = configuration.schoolCalendar(schoolId: "ph-school-other", municipality: "398", on: day)
        #expect(byMunicipality.calendar.identifier == "school/lahti")

        let none = configuration.schoolCalendar(schoolId: "x", municipality: "111", on: day)
        #expect(none.fellBackToNational)
        #expect(none.calendar.identifier == "fi-national/111")
        #expect(none.fallbackReason == "no school calendar configured for school x or municipality 111")

        let outside = configuration.schoolCalendar(schoolId: nil, municipality: "398", on: try date("2028-09-01"))
        #expect(outside.fellBackToNational)
        #expect(outside.fallbackReason == "school calendar lahti has no school year containing 2028-09-01")
    }

    @Test func invalidCalendarConfigurationListsEveryProblem() throws {
        let year = SchoolCalendar.SchoolYear(
            name: "bad",
            from: try date("2026-08-01"),
            through: try date("2027-07-31"),
            terms: [.init(name: "Autumn", from: try date("2026-12-20"), through: try date("2026-08-12"))],
            breaks: [.init(name: "Later", from: try date("2027-09-01"), through: try date("2027-09-05"))]
        )
        let calendars = [
            SchoolCalendar(id: "a", name: "A", municipality: "398", years: [year]),
            SchoolCalendar(id: "a", name: "B", municipality: "398", years: []),
            SchoolCalendar(id: "c", name: "C", years: [year, year]),
        ]
        do {
            _ = try CalendarConfiguration(schoolCalendars: calendars)
            Issue.record("expected an error")
        } catch let error as DeadlinesConfigurationError {
            #expect(
                error.problems.contains(
                    "schoolCalendars[0].years[0].terms[0]: through 2026-08-12 is before from 2026-12-20"
                )
            )
            #expect(
                error.problems.contains("schoolCalendars[0].years[0].breaks[0]: Later lies outside the school year bad")
            )
            #expect(error.problems.contains("schoolCalendars[1].id: a is used twice"))
            #expect(error.problems.contains("schoolCalendars[1].municipality: 398 already has a school calendar"))
            #expect(error.problems.contains("schoolCalendars[1].years: is empty"))
            #expect(
                error.problems.contains(
                    "schoolCalendars[2]: names neither a municipality nor schoolIds, so nothing can use it"
                )
            )
            #expect(error.problems.contains("schoolCalendars[2].years: bad and bad overlap"))
            #expect(error.description.hasPrefix("invalid calendar configuration ("))
        }
    }

    @Test func calendarConfigurationDecodesWithDefaults() throws {
        let json = #"{"settings": {"closureDays": [{"date": "2027-01-07", "name": "Closed"}]}}"#
        let configuration = try JSONDecoder().decode(CalendarConfiguration.self, from: Data(json.utf8))
        #expect(!configuration.settings.christmasEveIsWorkingDay)
        #expect(configuration.schoolCalendars.isEmpty)
        #expect(
            configuration.nationalCalendar().nonWorkingReason(on: try date("2027-01-07")) == .closureDay(name: "Closed")
        )
    }

    @Test(arguments: [
        NonWorkingReason.weekend(.sunday), .holiday(.goodFriday), .closureDay(name: "x"), .schoolHoliday(name: "y"),
        .outsideSchoolTerm,
    ])
    func nonWorkingReasonsRoundTrip(reason: NonWorkingReason) throws {
        let data = try JSONEncoder().encode(reason)
        #expect(try JSONDecoder().decode(NonWorkingReason.self, from: data) == reason)
    }
}
