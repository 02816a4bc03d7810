/// A parsed JSON value.
///
/// Objects keep their members in document order; the parser rejects duplicate keys, so lookups by key are
/// unambiguous. Numbers keep their source text so that integers are never rounded through `Double`.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A JSON number as written in the document.
public struct JSONNumber: Sendable, Equatable {
    /// The number's source text, e.g. `"12"` or `"1.5e3"`.
    public let text: String

    public init(text: String) {
        self.text = text
    }

    /// The value as an integer, or `nil` when it is not a whole number or does not fit.
    ///
    /// As JSON Schema defines `integer`: a whole value in any spelling counts, so `12.0` and `1.2e1` are 12. Read
    /// from the digits, not through `Double`, so `4.0000000000000001` is not a whole number.
    public var integer: Int? {
        if let value = Int(self.text) { return value }
        // A JSON number: -?digits(.digits)?([eE][+-]?digits)?, as the parser accepted it.
        var text = Substring(self.text)
        let negative = text.first == "-"
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let parsed = Int(text[text.index(after: e)...].drop { $0 == "+" }) else { return nil }
            exponent = parsed
            text = text[..<e]
        }
        var digits = Substring(text)
        if let dot = text.firstIndex(of: ".") {
            let fraction = text[text.index(after: dot)...]
            digits = text[..<dot] + fraction
            exponent -= fraction.count
        }
        digits = digits.drop { $0 == "0" }
        if digits.isEmpty { return 0 }
        if exponent < 0 {
            // The last -exponent digits are the fraction: all zeros, or not a whole number.
            guard -exponent <= digits.count else { return nil }
            let cut = digits.index(digits.endIndex, offsetBy: exponent)
            guard digits[cut...].allSatisfy({ $0 == "0" }) else { return nil }
            digits = digits[..<cut]
            exponent = 0
        }
        guard digits.count + exponent <= 19, var value = Int(negative ? "-" + digits : String(digits)) else { return nil }
        for _ in 0..<exponent {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            value = product
        }
        return value
    }

    public var double: Double? {
        Double(self.text)
    }
}

/// A JSON object: members in document order, with unique keys.
public struct JSONObject: Sendable, Equatable {
    /// A member. A struct, not a tuple: an array of tuples is copied and freed through the runtime's generic tuple
    /// witnesses, element by element and member by member, and every parsed request frees a few of them.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var members: [Member]

    public init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members.map { Member(key: $0.key, value: $0.value) }
    }

    public init(members: [Member]) {
        self.members = members
    }

    public subscript(key: String) -> JSONValue? {
        for member in self.members where member.key == key {
            return member.value
        }
        return nil
    }

    public var keys: [String] {
        self.members.map(\.key)
    }

    mutating func append(key: String, value: JSONValue) {
        self.members.append(Member(key: key, value: value))
    }
}
