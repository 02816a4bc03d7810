import Deadlines
import Foundation
import Testing

/// A calculator with a cache must give exactly the deadlines of one without: the cache is an optimisation only.
@Suite struct DeadlineCacheTests {
    static let spans: [DeadlineSpan] = [
        .workingDays(1), .workingDays(7), .schoolWorkingDays(7), .sameOrNextWorkingDay, .sameOrNextSchoolWorkingDay,
        .calendarDays(3), .weeks(1), .months(1), .months(3), .clockHours(24),
    ]

    /// Calculators for a school with a calendar, a school without one, and a municipality with a closure day.
    static func calculators(cache: (() -> DeadlineCache)?) throws -> [DeadlineCalculator] {
        let closure = try #require(CivilDate(iso: "2025-04-24"))
        let settings = CalendarSettings(closureDays: [.init(date: closure, name: "Town closure", municipalities: ["398"])])
        let schools = try #require(ReferenceFixtures.deadlines?.schoolCalendars)
        let calendars = try CalendarConfiguration(settings: settings, schoolCalendars: schools.schoolCalendars)
        let start = try #require(CivilDate(iso: "2025-04-10"))
        return [("398", nil), ("398", "ph-school-kivimaa"), ("111", "x"), (nil, nil)].map { municipality, school in
            DeadlineCalculator(
                national: calendars.nationalCalendar(municipality: municipality),
                school: calendars.schoolCalendar(schoolId: school, municipality: municipality, on: start),
                cache: cache?())
        }
    }

    /// Every span from every hour of five weeks around Easter 2025 and the change to summer time (2025-03-30),
    /// rolled and not: the cached calculator's deadlines equal the uncached one's, on the first (counted) and the
    /// second (cached) call, start instant included.
    @Test func cachedDeadlinesEqualComputedOnes() throws {
        let plain = try Self.calculators(cache: nil)
        let cached = try Self.calculators(cache: { DeadlineCache() })
        let first = Date(timeIntervalSince1970: 1_743_030_000)  // 2025-03-27T01:00:00+02:00
        var compared = 0
        for (computing, reusing) in zip(plain, cached) {
            for hour in stride(from: 0, to: 35 * 24, by: 5) {
                let start = first.addingTimeInterval(Double(hour) * 3600)
                for span in Self.spans {
                    for roll in [true, false] {
                        let expected = try computing.deadline(span, from: start, roll: roll)
                        #expect(try reusing.deadline(span, from: start, roll: roll) == expected)
                        #expect(try reusing.deadline(span, from: start, roll: roll) == expected)
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == 4 * 168 * 10 * 2)
        // One entry per day-based span, local start date and roll; clock hours are not kept.
        let entries = try #require(cached.first?.cache).count
        #expect(entries > 0 && entries <= 9 * 2 * 36)
    }

    @Test func clockHoursAndErrorsAreNotKept() throws {
        let cache = DeadlineCache()
        let calculator = DeadlineCalculator(cache: cache)
        let start = Date(timeIntervalSince1970: 1_744_873_200)
        let hours = try calculator.deadline(.clockHours(24), from: start)
        #expect(hours.dueAt == start.addingTimeInterval(24 * 3600))
        #expect(cache.count == 0)
        #expect(throws: DeadlineError.self) { try calculator.deadline(.workingDays(0), from: start) }
        #expect(cache.count == 0)
        _ = try calculator.deadline(.workingDays(7), from: start)
        _ = try calculator.deadline(.workingDays(7), from: start.addingTimeInterval(3600))
        #expect(cache.count == 1)
    }

    @Test func theCacheStaysWithinItsLimit() throws {
        let cache = DeadlineCache(limit: 8)
        let calculator = DeadlineCalculator(cache: cache)
        let start = Date(timeIntervalSince1970: 1_744_873_200)
        for day in 0..<40 {
            let from = start.addingTimeInterval(Double(day) * 86_400)
            let deadline = try calculator.deadline(.workingDays(7), from: from)
            #expect(deadline == (try DeadlineCalculator().deadline(.workingDays(7), from: from)))
            #expect(cache.count <= 8)
        }
    }
}
