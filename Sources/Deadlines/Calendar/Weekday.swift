/// A day of the week, numbered as ISO 8601 does (Monday 1 … Sunday 7).
public enum Weekday: Int, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case monday = 1
    case tuesday
    case wednesday
    case thursday
    case friday
    case saturday
    case sunday

    /// Saturday or Sunday.
    public var isWeekend: Bool {
        self == .saturday || self == .sunday
    }

    /// The English name, e.g. `Saturday`.
    public var description: String {
        switch self {
        case .monday: "Monday"
        case .tuesday: "Tuesday"
        case .wednesday: "Wednesday"
        case .thursday: "Thursday"
        case .friday: "Friday"
        case .saturday: "Saturday"
        case .sunday: "Sunday"
        }
    }

    /// The Finnish name, e.g. `lauantai`.
    public var finnishName: String {
        switch self {
        case .monday: "maanantai"
        case .tuesday: "tiistai"
        case .wednesday: "keskiviikko"
        case .thursday: "torstai"
        case .friday: "perjantai"
        case .saturday: "lauantai"
        case .sunday: "sunnuntai"
        }
    }
}
