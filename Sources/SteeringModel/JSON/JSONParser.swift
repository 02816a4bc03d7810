/// A strict RFC 8259 JSON parser over UTF-8 bytes, built for hostile input.
///
/// It validates UTF-8, rejects duplicate object keys, bounds nesting depth and never traps: every defect in the
/// input becomes a ``JSONParser/Failure`` with a byte offset. It is a purpose-built parser because the router
/// needs all of these guarantees and a high decode rate on the hot path.
public struct JSONParser {
    /// Why a document could not be parsed.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            case invalidUTF8
            case tooDeeplyNested
            case syntax
            case duplicateKey
        }

        public let kind: Kind
        public let offset: Int
        public let message: String

        public var description: String {
            "\(self.message) at byte \(self.offset)"
        }
    }

    /// The deepest nesting of arrays and objects accepted.
    public static let defaultMaximumDepth = 32

    /// The members an object's array has room for before it grows: a request's largest object has 9.
    static let objectCapacity = 10
    /// The same for an array's elements (a request's concerns: 1 to 10).
    static let arrayCapacity = 4

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int = 0
    private let maximumDepth: Int
    private init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Parses one JSON document; surrounding white space is allowed, anything else after the value is not.
    public static func parse<Bytes: Collection>(
        _ input: Bytes,
        maximumDepth: Int = JSONParser.defaultMaximumDepth
    ) -> Result<JSONValue, Failure> where Bytes.Element == UInt8 {
        if let result = input.withContiguousStorageIfAvailable({ buffer in
            Self.parse(buffer: buffer, maximumDepth: maximumDepth)
        }) {
            return result
        }
        let array = Array(input)
        return array.withUnsafeBufferPointer { Self.parse(buffer: $0, maximumDepth: maximumDepth) }
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>, maximumDepth: Int) -> Result<JSONValue, Failure> {
        var parser = JSONParser(bytes: buffer, maximumDepth: maximumDepth)
        do {
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else {
                throw parser.failure(.syntax, "unexpected data after the JSON value")
            }
            return .success(value)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(kind: .syntax, offset: parser.index, message: "unreadable JSON"))
        }
    }

    private func failure(_ kind: Failure.Kind, _ message: String) -> Failure {
        Failure(kind: kind, offset: self.index, message: message)
    }

    private var current: UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            self.index += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
        guard let byte = self.current else {
            throw self.failure(.syntax, "unexpected end of input")
        }
        switch byte {
        case UInt8(ascii: "{"):
            return .object(try self.parseObject(depth: depth + 1))
        case UInt8(ascii: "["):
            return .array(try self.parseArray(depth: depth + 1))
        case UInt8(ascii: "\""):
            return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try self.parseNumber())
        default:
            throw self.failure(.syntax, "unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else {
            throw self.failure(.syntax, "unexpected end of input")
        }
        let start = literal.utf8Start
        for offset in 0..<count where self.bytes[self.index + offset] != start[offset] {
            throw self.failure(.syntax, "invalid literal")
        }
        self.index += count
    }

    private mutating func parseObject(depth: Int) throws(Failure) -> JSONObject {
        guard depth <= self.maximumDepth else {
            throw self.failure(.tooDeeplyNested, "nesting deeper than \(self.maximumDepth) levels")
        }
        self.index += 1  // {
        // Duplicate names: a linear look through the members so far for the small objects of this contract, a
        // set once an object grows past a few dozen members.
        var seen: Set<String>?
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return JSONObject()
        }
        // Room for the objects of this contract at once (so the array never grows for them); the array becomes the
        // object's own, with no copy (a shared scratch array copied out cost a retain and a release per member).
        var members: [JSONObject.Member] = []
        members.reserveCapacity(Self.objectCapacity)
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else {
                throw self.failure(.syntax, "expected a member name")
            }
            let keyOffset = self.index
            let key = try self.parseString()
            let duplicate: Bool
            if seen != nil {
                duplicate = !seen!.insert(key).inserted
            } else if members.count < 32 {
                duplicate = members.contains { $0.key == key }
            } else {
                seen = Set(members.map(\.key))
                duplicate = !seen!.insert(key).inserted
            }
            guard !duplicate else {
                throw Failure(kind: .duplicateKey, offset: keyOffset, message: "duplicate member name")
            }
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else {
                throw self.failure(.syntax, "expected ':'")
            }
            self.index += 1
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth)
            members.append(JSONObject.Member(key: key, value: value))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return JSONObject(members: members)
            default:
                throw self.failure(.syntax, "expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(Failure) -> [JSONValue] {
        guard depth <= self.maximumDepth else {
            throw self.failure(.tooDeeplyNested, "nesting deeper than \(self.maximumDepth) levels")
        }
        self.index += 1  // [
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return []
        }
        var elements: [JSONValue] = []
        elements.reserveCapacity(Self.arrayCapacity)
        while true {
            self.skipWhitespace()
            let element = try self.parseValue(depth: depth)
            elements.append(element)
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return elements
            default:
                throw self.failure(.syntax, "expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(Failure) -> JSONNumber {
        let start = self.index
        if self.current == UInt8(ascii: "-") {
            self.index += 1
        }
        guard let first = self.current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
            throw self.failure(.syntax, "invalid number")
        }
        if first == UInt8(ascii: "0") {
            self.index += 1
        } else {
            self.skipDigits()
        }
        if self.current == UInt8(ascii: ".") {
            self.index += 1
            guard self.skipDigits() > 0 else { throw self.failure(.syntax, "invalid number") }
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") {
                self.index += 1
            }
            guard self.skipDigits() > 0 else { throw self.failure(.syntax, "invalid number") }
        }
        guard self.index - start <= 64 else {
            throw self.failure(.syntax, "number too long")
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
        return JSONNumber(text: text)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = self.index
        while let byte = self.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            self.index += 1
        }
        return self.index - start
    }

    private mutating func parseString() throws(Failure) -> String {
        self.index += 1  // opening quote
        let start = self.index
        // Fast path: no escapes, ASCII only.
        while let byte = self.current {
            if byte == UInt8(ascii: "\"") {
                let string = String(
                    decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]),
                    as: UTF8.self
                )
                self.index += 1
                return string
            }
            if byte == UInt8(ascii: "\\") || byte >= 0x80 || byte < 0x20 {
                break
            }
            self.index += 1
        }
        // Escapes or non-ASCII text (Finnish names): validated UTF-8 is copied as bytes, escapes are decoded.
        var utf8: [UInt8] = []
        utf8.reserveCapacity(self.index - start + 32)
        utf8.append(contentsOf: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]))
        while true {
            guard let byte = self.current else {
                throw self.failure(.syntax, "unterminated string")
            }
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                self.index += 1
                let scalar = try self.parseEscape()
                utf8.append(contentsOf: UTF8.encode(scalar)!)
            case 0..<0x20:
                throw self.failure(.syntax, "control character in string")
            case 0x20..<0x80:
                utf8.append(byte)
                self.index += 1
            default:
                let scalarStart = self.index
                try self.skipUTF8Sequence()
                utf8.append(contentsOf: UnsafeBufferPointer(rebasing: self.bytes[scalarStart..<self.index]))
            }
        }
    }

    private mutating func parseEscape() throws(Failure) -> Unicode.Scalar {
        guard let byte = self.current else {
            throw self.failure(.syntax, "unterminated escape")
        }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try self.parseHex4()
            if (0xD800...0xDBFF).contains(high) {
                guard self.current == UInt8(ascii: "\\"),
                    self.index + 1 < self.bytes.count,
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else {
                    throw self.failure(.invalidUTF8, "unpaired surrogate escape")
                }
                self.index += 2
                let low = try self.parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw self.failure(.invalidUTF8, "unpaired surrogate escape")
                }
                let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                guard let scalar = Unicode.Scalar(value) else {
                    throw self.failure(.invalidUTF8, "invalid escape")
                }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else {
                throw self.failure(.invalidUTF8, "unpaired surrogate escape")
            }
            return scalar
        default:
            throw self.failure(.syntax, "invalid escape")
        }
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else {
            throw self.failure(.syntax, "unterminated escape")
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw self.failure(.syntax, "invalid hex escape")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    /// Steps over one multi-byte UTF-8 sequence, rejecting overlong forms, surrogates and values above U+10FFFF.
    private mutating func skipUTF8Sequence() throws(Failure) {
        switch Self.multiByteSequence(in: self.bytes, at: self.index) {
        case .scalar(let length):
            self.index += length
        case .truncated:
            throw self.failure(.invalidUTF8, "truncated UTF-8")
        case .invalid:
            throw self.failure(.invalidUTF8, "invalid UTF-8")
        }
    }

    /// What the bytes at `index` (a byte of 0x80 or more) are as a multi-byte UTF-8 sequence.
    enum UTF8Sequence: Equatable {
        /// A valid scalar of `length` bytes.
        case scalar(length: Int)
        /// The input ends inside the sequence.
        case truncated
        /// A byte that cannot start a sequence, a broken sequence, an overlong form, a surrogate or a value above
        /// U+10FFFF.
        case invalid
    }

    /// Reads the multi-byte UTF-8 sequence at `index` (the request decoder applies the same rules).
    static func multiByteSequence(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UTF8Sequence {
        let lead = bytes[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            value = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            value = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            value = UInt32(lead & 0x07)
        default:
            return .invalid
        }
        guard index + length <= bytes.count else { return .truncated }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return .invalid }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : (length == 3 ? 0x800 : 0x10000)
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return .invalid }
        return .scalar(length: length)
    }
}
