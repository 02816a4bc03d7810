import Deadlines
import Testing

@Suite struct HolidayReferenceTests {
    static let years = Array(2024...2035)

    @Test func fixturesAreComplete() throws {
        let holidays = try #require(ReferenceFixtures.holidays)
        #expect(holidays.years.count == Self.years.count)
        #expect(ReferenceFixtures.vectors.count >= 60)
    }

    @Test(arguments: years)
    func everyHolidayMatchesTheReference(year: Int) throws {
        let reference = try #require(ReferenceFixtures.holidays?.years[String(year)])
        let computed = FinnishHolidays.holidays(in: year)
        #expect(computed.map(\.date.description) == reference.map(\.date))
        #expect(computed.map(\.holiday.rawValue) == reference.map(\.holiday))
        #expect(computed.count == FinnishHoliday.allCases.count)
    }

    @Test(arguments: years)
    func easterMatchesTheReference(year: Int) throws {
        let reference = try #require(ReferenceFixtures.holidays?.easterSundays[String(year)])
        #expect(FinnishHolidays.easterSunday(year: year).description == reference)
    }

    /// `holiday(on:)` answers for every day of the year exactly as the list does.
    @Test(arguments: years)
    func lookupByDateAgreesForEveryDay(year: Int) throws {
        let reference = try #require(ReferenceFixtures.holidays?.years[String(year)])
        let byDate = Dictionary(uniqueKeysWithValues: reference.map { ($0.date, $0.holiday) })
        var date = try #require(CivilDate(year: year, month: 1, day: 1))
        while date.year == year {
            #expect(FinnishHolidays.holiday(on: date)?.rawValue == byDate[date.description], "\(date)")
            date = date.adding(days: 1)
        }
    }

    /// Dates checked by hand against the almanac.
    @Test(arguments: [
        ("2025-04-20", FinnishHoliday.easterSunday),
        ("2025-04-18", .goodFriday),
        ("2025-05-29", .ascensionDay),
        ("2025-06-20", .midsummerEve),
        ("2025-11-01", .allSaintsDay),
        ("2026-06-19", .midsummerEve),
        ("2026-06-20", .midsummerDay),
        ("2026-10-31", .allSaintsDay),
        ("2024-03-31", .easterSunday),
        ("2024-11-02", .allSaintsDay),
        ("2026-05-24", .whitSunday),
    ])
    func knownDates(iso: String, holiday: FinnishHoliday) throws {
        let date = try #require(CivilDate(iso: iso))
        #expect(FinnishHolidays.holiday(on: date) == holiday)
        #expect(holiday.date(in: date.year) == date)
    }

    @Test func newYearsEveAndWeekdayFirstOfNovemberAreOrdinaryDays() throws {
        #expect(FinnishHolidays.holiday(on: try #require(CivilDate(iso: "2025-12-31"))) == nil)
        #expect(FinnishHolidays.holiday(on: try #require(CivilDate(iso: "2027-11-01"))) == nil)
    }

    @Test func namesAndKinds() {
        #expect(FinnishHoliday.goodFriday.description == "Good Friday (pitkäperjantai)")
        #expect(FinnishHoliday.christmasEve.kind == .eve)
        #expect(FinnishHoliday.midsummerEve.kind == .eve)
        #expect(FinnishHoliday.mayDay.kind == .civilHoliday)
        #expect(FinnishHoliday.independenceDay.kind == .civilHoliday)
        #expect(FinnishHoliday.allSaintsDay.kind == .churchHoliday)
        #expect(Set(FinnishHoliday.allCases.map(\.finnishName)).count == FinnishHoliday.allCases.count)
    }

    /// Easter stays within 22 March – 25 April and on a Sunday far beyond the tested years.
    @Test func easterIsAlwaysASundayInItsWindow() throws {
        for year in 1900...2200 {
            let easter = FinnishHolidays.easterSunday(year: year)
            #expect(easter.weekday == .sunday)
            let earliest = try #require(CivilDate(year: year, month: 3, day: 22))
            let latest = try #require(CivilDate(year: year, month: 4, day: 25))
            #expect(earliest <= easter && easter <= latest, "\(year)")
        }
    }
}
