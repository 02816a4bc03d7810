import Deadlines
import Foundation
import Testing

@Suite struct CivilDateTests {
    @Test(arguments: ["2025-04-18", "2024-02-29", "0001-01-01", "9999-12-31"])
    func isoRoundTrips(text: String) throws {
        let date = try #require(CivilDate(iso: text))
        #expect(date.description == text)
        #expect(CivilDate(daysSinceEpoch: date.daysSinceEpoch) == date)
    }

    @Test(arguments: [
        "2025-02-29", "2025-13-01", "2025-00-10", "2025-4-18", "25-04-18", "2025/04/18", "", "2025-04-1x",
    ])
    func invalidIsoTextsAreRejected(text: String) {
        #expect(CivilDate(iso: text) == nil)
    }

    @Test func weekdays() throws {
        #expect(try #require(CivilDate(iso: "1970-01-01")).weekday == .thursday)
        #expect(try #require(CivilDate(iso: "2025-04-18")).weekday == .friday)
        #expect(try #require(CivilDate(iso: "1969-12-28")).weekday == .sunday)
        #expect(try #require(CivilDate(iso: "2026-06-19")).weekday == .friday)
    }

    @Test(arguments: [
        ("2025-11-30", 3, "2026-02-28"),
        ("2027-11-30", 3, "2028-02-29"),
        ("2025-01-31", 1, "2025-02-28"),
        ("2025-03-31", -1, "2025-02-28"),
        ("2025-12-15", 1, "2026-01-15"),
        ("2025-01-15", -13, "2023-12-15"),
        ("2028-02-29", 12, "2029-02-28"),
    ])
    func addingMonthsKeepsTheDayOrTakesTheLast(start: String, months: Int, expected: String) throws {
        #expect(try #require(CivilDate(iso: start)).adding(months: months).description == expected)
    }

    @Test func comparisonAndDistance() throws {
        let a = try #require(CivilDate(iso: "2025-12-31"))
        let b = try #require(CivilDate(iso: "2026-01-01"))
        #expect(a < b)
        #expect(a.days(to: b) == 1)
        #expect(b.adding(days: -1) == a)
    }

    /// A request at 23:30 UTC on a summer Sunday is on Monday in Helsinki; in winter 21:59 UTC is still the same day.
    @Test func instantsConvertToHelsinkiDates() throws {
        let summer = Date(timeIntervalSince1970: 1_751_239_800)  // 2025-06-29T23:30:00Z
        #expect(CivilDate(instant: summer).description == "2025-06-30")
        #expect(CivilDate(instant: summer, in: TimeZone(identifier: "UTC")!).description == "2025-06-29")
        let winter = Date(timeIntervalSince1970: 1_768_082_340)  // 2026-01-10T21:59:00Z
        #expect(CivilDate(instant: winter).description == "2026-01-10")
        #expect(CivilDate(instant: winter.addingTimeInterval(60)).description == "2026-01-11")
    }

    /// The DST days are 23 and 25 hours long; the end of the day is one millisecond before the next midnight.
    @Test(arguments: [
        ("2025-03-30", "2025-03-30T00:00:00.000+02:00", "2025-03-30T23:59:59.999+03:00", 23),
        ("2025-10-26", "2025-10-26T00:00:00.000+03:00", "2025-10-26T23:59:59.999+02:00", 25),
        ("2025-06-30", "2025-06-30T00:00:00.000+03:00", "2025-06-30T23:59:59.999+03:00", 24),
        ("2026-01-01", "2026-01-01T00:00:00.000+02:00", "2026-01-01T23:59:59.999+02:00", 24),
    ])
    func localDayBoundaries(day: String, start: String, end: String, hours: Int) throws {
        let date = try #require(CivilDate(iso: day))
        #expect(LocalRFC3339.format(date.startOfDay()) == start)
        #expect(LocalRFC3339.format(date.endOfDay()) == end)
        let length = date.adding(days: 1).startOfDay().timeIntervalSince(date.startOfDay())
        #expect(length == Double(hours * 3600))
        #expect(CivilDate(instant: date.endOfDay()) == date)
        #expect(CivilDate(instant: date.startOfDay()) == date)
    }

    @Test func rfc3339FormattingInOtherZones() throws {
        #expect(
            LocalRFC3339.format(epochMilliseconds: 0, in: TimeZone(identifier: "UTC")!) == "1970-01-01T00:00:00.000Z"
        )
        #expect(
            LocalRFC3339.format(epochMilliseconds: -1, in: TimeZone(identifier: "America/New_York")!)
                == "1969-12-31T18:59:59.999-05:00"
        )
    }

    /// The byte-level formatter agrees with Foundation's at random instants from 1970 to 2100 in Helsinki time
    /// (both offsets, and the instants around each transition).
    @Test func localFormattingAgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = .helsinki
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: 0..<4_102_444_800_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(LocalRFC3339.format(epochMilliseconds: milliseconds) == formatter.string(from: date))
            let day = CivilDate(instant: date)
            #expect(day.description == String(formatter.string(from: date).prefix(10)))
        }
        #expect(CivilDate(year: 7, month: 3, day: 9)?.description == "0007-03-09")
    }

    @Test func codableAsIsoText() throws {
        let date = try #require(CivilDate(iso: "2026-10-31"))
        let data = try JSONEncoder().encode([date])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-10-31"]"#)
        #expect(try JSONDecoder().decode([CivilDate].self, from: data) == [date])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([CivilDate].self, from: Data(#"["31.10.2026"]"#.utf8))
        }
    }
}
