/// Why a day is not a working day in a calendar; shown in every explanation of a due time.
///
/// Encoded as `{"kind": "holiday", "name": "good_friday"}`; the kinds are `weekend` (name `saturday` or
/// `sunday`), `holiday` (a ``FinnishHoliday`` raw value), `closure_day`, `school_holiday` and
/// `outside_school_term` (no name).
public enum NonWorkingReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Saturday or Sunday.
    case weekend(Weekday)
    /// A public holiday or one of the eves.
    case holiday(FinnishHoliday)
    /// A closure day added in configuration (for example a regional closure day).
    case closureDay(name: String)
    /// A break in the school's annual plan (autumn, Christmas, winter break …).
    case schoolHoliday(name: String)
    /// Between terms (the summer holiday, for example) in the school's annual plan.
    case outsideSchoolTerm

    /// `Saturday`, `Good Friday (pitkäperjantai)`, `closure day: …`, `school holiday: …`, `outside the school term`.
    public var description: String {
        switch self {
        case .weekend(let weekday): weekday.description
        case .holiday(let holiday): holiday.description
        case .closureDay(let name): "closure day: \(name)"
        case .schoolHoliday(let name): "school holiday: \(name)"
        case .outsideSchoolTerm: "outside the school term"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case kind
        case name
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "weekend":
            let name = try container.decode(String.self, forKey: .name)
            guard let weekday = Weekday.allCases.first(where: { $0.description.lowercased() == name }),
                weekday.isWeekend
            else {
                throw DecodingError.dataCorruptedError(
                    forKey: .name,
                    in: container,
                    debugDescription: "\"\(name)\" is not saturday or sunday"
                )
            }
            self = .weekend(weekday)
        case "holiday": self = .holiday(try container.decode(FinnishHoliday.self, forKey: .name))
        case "closure_day": self = .closureDay(name: try container.decode(String.self, forKey: .name))
        case "school_holiday": self = .schoolHoliday(name: try container.decode(String.self, forKey: .name))
        case "outside_school_term": self = .outsideSchoolTerm
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind,
                in: container,
                debugDescription: "unknown non-working reason \"\(kind)\""
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .weekend(let weekday):
            try container.encode("weekend", forKey: .kind)
            try container.encode(weekday.description.lowercased(), forKey: .name)
        case .holiday(let holiday):
            try container.encode("holiday", forKey: .kind)
            try container.encode(holiday, forKey: .name)
        case .closureDay(let name):
            try container.encode("closure_day", forKey: .kind)
            try container.encode(name, forKey: .name)
        case .schoolHoliday(let name):
            try container.encode("school_holiday", forKey: .kind)
            try container.encode(name, forKey: .name)
        case .outsideSchoolTerm:
            try container.encode("outside_school_term", forKey: .kind)
        }
    }
}
