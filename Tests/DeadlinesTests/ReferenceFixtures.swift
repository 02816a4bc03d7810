import Deadlines
import Foundation
import Testing

/// The JSON fixtures written by `tools/calendar-reference/generate.py`, an independent Python reference.
enum ReferenceFixtures {
    struct HolidayFile: Decodable {
        struct Entry: Decodable {
            var date: String
            var holiday: String
        }

        var years: [String: [Entry]]
        var easterSundays: [String: String]
    }

    struct DeadlineFile: Decodable {
        var schoolCalendars: CalendarConfiguration
        var vectors: [Vector]
    }

    struct Vector: Decodable, Sendable, CustomTestStringConvertible {
        struct Expected: Decodable, Sendable {
            struct Day: Decodable, Sendable {
                var date: String
                var reason: String
            }

            var startDate: String
            var rawDate: String
            var rolledDate: String
            var dueDate: String
            var dueAt: String
            var dueAtEpochMs: Int64
            var calendar: String
            var skipped: [Day]
            var rolledPast: [Day]
        }

        var id: String
        var note: String
        var start: String
        var startEpochMs: Int64
        var span: String
        var roll: Bool
        var settings: CalendarSettings?
        var schoolCalendar: String?
        var expected: Expected

        var testDescription: String { self.id }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Loaded once; a missing or unreadable file yields no vectors, which `fixturesAreComplete` reports.
    static let deadlines: DeadlineFile? = try? load("deadlines.json", as: DeadlineFile.self)
    static let holidays: HolidayFile? = try? load("holidays.json", as: HolidayFile.self)
    static var vectors: [Vector] { deadlines?.vectors ?? [] }
}

extension NonWorkingReason {
    /// The reference's notation: `holiday:good_friday`, `weekend:saturday`, `school_holiday:<name>` ….
    var referenceCode: String {
        switch self {
        case .weekend(let weekday): "weekend:\(weekday.description.lowercased())"
        case .holiday(let holiday): "holiday:\(holiday.rawValue)"
        case .closureDay(let name): "closure_day:\(name)"
        case .schoolHoliday(let name): "school_holiday:\(name)"
        case .outsideSchoolTerm: "outside_school_term"
        }
    }
}
