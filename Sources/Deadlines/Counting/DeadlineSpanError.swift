/// A span text in configuration could not be read.
public enum DeadlineSpanError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingCount(String)
    case unknownUnit(String)
    case countOutOfRange(String)

    private static let expected =
        "expected a count and a unit (wd, swd, d, w, m, h), e.g. 7wd or 3m, or same_or_next_wd / same_or_next_swd"

    public var description: String {
        switch self {
        case .missingCount(let text): "span \"\(text)\" has no count: \(Self.expected)"
        case .unknownUnit(let text): "span \"\(text)\" has an unknown unit: \(Self.expected)"
        case .countOutOfRange(let text): "span \"\(text)\": the count must be at least 1 and at most about ten years"
        }
    }
}
