/// Writes compact JSON into a byte buffer with a fixed member order.
///
/// Output records are built with this writer rather than `JSONEncoder` so that their bytes are deterministic
/// (the same decision always serialises to the same bytes) and cheap to produce.
///
/// The bytes go into an array that is kept larger than what was written (`count` of its bytes are written, the
/// rest is room whose contents mean nothing), so that each call writes its separator, name and value through one pointer after one
/// capacity check instead of appending byte by byte; ``finish()`` trims the array and hands it over without a
/// copy.
public struct JSONWriter: Sendable, TextOutputStream {
    /// The written bytes (`count` of them), then room (zeroed at first; a write may leave a byte past `count`).
    private var storage: [UInt8]
    /// How many bytes of `storage` are written.
    public private(set) var count = 0
    /// One bit per open container, innermost lowest: whether nothing has been written into it yet (a bit field
    /// rather than an array, so that a writer allocates only its bytes). Containers nest at most 64 deep.
    private var isFirst: UInt64 = 0
    private var depth = 0
    /// A member name was just written, so the next value needs no separator.
    private var afterKey = false

    public init(capacity: Int = 512) {
        self.storage = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// A copy of the written bytes (``finish()`` hands them over without one).
    public var bytes: [UInt8] {
        Array(self.storage[..<self.count])
    }

    public var string: String {
        String(decoding: self.storage[..<self.count], as: UTF8.self)
    }

    /// The written bytes, without a copy; the writer is left empty.
    public mutating func finish() -> [UInt8] {
        self.storage.removeLast(self.storage.count - self.count)
        var bytes: [UInt8] = []
        swap(&bytes, &self.storage)
        self.count = 0
        self.isFirst = 0
        self.depth = 0
        self.afterKey = false
        return bytes
    }

    // MARK: Writing through one pointer

    /// Makes room for `maximum` more bytes, lets `body` write them at the end (it returns how many it wrote, at
    /// most `maximum`) and counts them.
    @inline(__always)
    private mutating func write(upTo maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if self.storage.count - self.count < maximum {
            self.grow(toHold: maximum)
        }
        let start = self.count
        let written = self.storage.withUnsafeMutableBufferPointer { buffer in
            body(buffer.baseAddress.unsafelyUnwrapped + start)
        }
        assert(written <= maximum)
        self.count = start + written
    }

    private mutating func grow(toHold extra: Int) {
        let capacity = max(self.storage.count * 2, self.count + extra)
        self.storage.append(contentsOf: repeatElement(0, count: capacity - self.storage.count))
    }

    /// Whether the next value needs a comma before it; marks the container as no longer empty.
    @inline(__always)
    private mutating func needsComma() -> Bool {
        if self.afterKey {
            self.afterKey = false
            return false
        }
        guard self.depth > 0 else { return false }
        if self.isFirst & 1 == 1 {
            self.isFirst &= ~1
            return false
        }
        return true
    }

    @inline(__always)
    private static func copy(_ source: UnsafeBufferPointer<UInt8>, to target: UnsafeMutablePointer<UInt8>) -> Int {
        guard let base = source.baseAddress, source.count > 0 else { return 0 }
        target.update(from: base, count: source.count)
        return source.count
    }

    /// Writes one byte (a comma when `comma`) and returns how many it wrote.
    @inline(__always)
    private static func comma(_ comma: Bool, to target: UnsafeMutablePointer<UInt8>) -> Int {
        target.pointee = UInt8(ascii: ",")
        return comma ? 1 : 0
    }

    @inline(__always)
    private mutating func punctuation(_ byte: UInt8, separated: Bool) {
        let comma = separated && self.needsComma()
        self.write(upTo: 2) { target in
            let at = Self.comma(comma, to: target)
            target[at] = byte
            return at + 1
        }
    }

    private mutating func open() {
        precondition(self.depth < 64, "JSONWriter nests at most 64 containers")
        self.isFirst = self.isFirst << 1 | 1
        self.depth += 1
    }

    private mutating func close() {
        self.isFirst >>= 1
        self.depth -= 1
    }

    public mutating func beginObject() {
        self.punctuation(UInt8(ascii: "{"), separated: true)
        self.open()
    }

    public mutating func endObject() {
        self.close()
        self.punctuation(UInt8(ascii: "}"), separated: false)
    }

    public mutating func beginArray() {
        self.punctuation(UInt8(ascii: "["), separated: true)
        self.open()
    }

    public mutating func endArray() {
        self.close()
        self.punctuation(UInt8(ascii: "]"), separated: false)
    }

    /// Writes a member name; the next value written is its value.
    public mutating func key(_ key: String) {
        self.string(key)
        self.punctuation(UInt8(ascii: ":"), separated: false)
        self.afterKey = true
    }

    /// Writes a member name given in the source: copied as it is, without looking for characters to escape (a
    /// literal name of this contract is plain ASCII; checked in debug builds).
    public mutating func key(_ key: StaticString) {
        guard let name = Self.literalName(key) else {
            self.key(key.description)
            return
        }
        let comma = self.needsComma()
        self.write(upTo: name.count + 4) { target in Self.writeName(name, comma: comma, to: target) }
        self.afterKey = true
    }

    /// `"key":"value"` in one write when the value needs no escaping (most members of a record): a name and a
    /// value written one after the other made two calls, two capacity checks and two checks that the buffer is
    /// not shared.
    private mutating func member(_ key: StaticString, _ value: String) {
        value.withUTF8InPlace { utf8 in
            guard let name = Self.literalName(key), !Self.needsEscaping(utf8) else {
                // The name, then the value escaped (`key` leaves no comma owed).
                self.key(key)
                let comma = self.needsComma()
                self.escaped(utf8, comma: comma, opening: true, closing: true)
                return
            }
            let comma = self.needsComma()
            self.write(upTo: name.count + utf8.count + 6) { target in
                var at = Self.writeName(name, comma: comma, to: target)
                target[at] = UInt8(ascii: "\"")
                at += 1
                at += Self.copy(utf8, to: target + at)
                target[at] = UInt8(ascii: "\"")
                return at + 1
            }
        }
    }

    public mutating func value(_ string: String) {
        self.string(string)
    }

    public mutating func value(_ int: Int) {
        let comma = self.needsComma()
        self.write(upTo: 21) { target in
            let at = Self.comma(comma, to: target)
            return at + Self.writeDecimal(int, to: target + at)
        }
    }

    /// `int` in decimal, as `String(int)` writes it (at most 20 bytes).
    @inline(__always)
    private static func writeDecimal(_ int: Int, to target: UnsafeMutablePointer<UInt8>) -> Int {
        if int >= 0 && int < 10 {
            target.pointee = UInt8(truncatingIfNeeded: 48 + int)
            return 1
        }
        var magnitude = int.magnitude
        var digits = 0
        var probe = magnitude
        repeat {
            digits += 1
            probe /= 10
        } while probe > 0
        let sign = int < 0 ? 1 : 0
        if sign == 1 { target.pointee = UInt8(ascii: "-") }
        var at = sign + digits
        repeat {
            at -= 1
            target[at] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        return sign + digits
    }

    public mutating func value(_ bool: Bool) {
        self.literal(bool ? "true" : "false")
    }

    public mutating func null() {
        self.literal("null")
    }

    private mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { self.unescaped($0) }
    }

    /// Writes pre-serialised JSON as a value.
    public mutating func raw(_ json: [UInt8]) {
        json.withUnsafeBufferPointer { self.unescaped($0) }
    }

    /// Writes a value whose bytes need no escaping (a literal, a number, pre-serialised JSON), after its separator.
    private mutating func unescaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        let comma = self.needsComma()
        self.write(upTo: bytes.count + 1) { target in
            let at = Self.comma(comma, to: target)
            return at + Self.copy(bytes, to: target + at)
        }
    }

    /// Writes pre-serialised members (`"a":1,"b":2`) into the open object.
    public mutating func rawMembers(_ members: [UInt8]) {
        guard !members.isEmpty else { return }
        self.raw(members)
    }

    /// Writes a number with the shortest representation that reads back as the same `Double`.
    public mutating func value(_ double: Double) {
        var text = String(double)
        text.withUTF8 { self.unescaped($0) }
    }

    /// Members whose names are data (topic names, log metadata keys): the name is escaped like any string.
    public mutating func field(named key: String, _ value: Int) {
        self.key(key)
        self.value(value)
    }

    public mutating func field(named key: String, _ value: String) {
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: StaticString, _ value: String) {
        self.member(key, value)
    }

    public mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.member(key, value)
    }

    /// A string field whose text `write` puts into a buffer of `capacity` bytes, returning how many it wrote: for
    /// values such as timestamps that need no `String` of their own. The bytes must need no escaping (ASCII
    /// letters, digits and punctuation other than `"` and `\`).
    ///
    /// With a name given as one literal, the name and the value go in one write (as ``member(_:_:)`` does).
    public mutating func field(_ key: StaticString, ascii capacity: Int, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        let name = Self.literalName(key)
        let comma: Bool
        if name == nil {
            self.key(key)
            self.afterKey = false
            comma = false
        } else {
            comma = self.needsComma()
        }
        self.write(upTo: (name.map { $0.count + 4 } ?? 0) + capacity + 2) { target in
            var at = name.map { Self.writeName($0, comma: comma, to: target) } ?? 0
            target[at] = UInt8(ascii: "\"")
            at += 1
            let count = min(write(UnsafeMutableBufferPointer(start: target + at, count: capacity)), capacity)
            assert(
                !UnsafeBufferPointer(start: target + at, count: count).contains {
                    $0 < 0x20 || $0 >= 0x80 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\")
                })
            at += count
            target[at] = UInt8(ascii: "\"")
            return at + 1
        }
    }

    public mutating func field(_ key: StaticString, _ value: Int) {
        self.member(key, value)
    }

    public mutating func field(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        self.member(key, value)
    }

    /// `"key":value` in one write (see ``member(_:_:)`` for strings).
    private mutating func member(_ key: StaticString, _ int: Int) {
        guard let name = Self.literalName(key) else {
            self.key(key)
            self.value(int)
            return
        }
        let comma = self.needsComma()
        self.write(upTo: name.count + 4 + 20) { target in
            let at = Self.writeName(name, comma: comma, to: target)
            return at + Self.writeDecimal(int, to: target + at)
        }
    }

    /// The UTF-8 bytes of a literal name, read in place; `nil` for a literal of one scalar, which is not stored as
    /// bytes (its name is then written through its `String`).
    @inline(__always)
    private static func literalName(_ key: StaticString) -> UnsafeBufferPointer<UInt8>? {
        key.hasPointerRepresentation ? UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount) : nil
    }

    /// Writes `,"name":` (the comma when `comma`) and returns how many bytes it wrote (at most the name's count
    /// and 4). A literal name of this contract is plain ASCII (checked in debug builds).
    @inline(__always)
    private static func writeName(_ name: UnsafeBufferPointer<UInt8>, comma: Bool, to target: UnsafeMutablePointer<UInt8>) -> Int {
        assert(!name.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
        var at = Self.comma(comma, to: target)
        target[at] = UInt8(ascii: "\"")
        at += 1
        at += Self.copy(name, to: target + at)
        target[at] = UInt8(ascii: "\"")
        target[at + 1] = UInt8(ascii: ":")
        return at + 2
    }

    public mutating func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        self.value(value)
    }

    /// `"key":[…]` with the strings in order (a lazy map of names writes them without an array of its own).
    public mutating func field(_ key: StaticString, strings: some Sequence<String>) {
        self.key(key)
        self.beginArray()
        for string in strings {
            self.value(string)
        }
        self.endArray()
    }

    // MARK: Strings

    /// Writes `string` as a JSON string value (with its separator).
    private mutating func string(_ string: String) {
        let comma = self.needsComma()
        string.withUTF8InPlace { self.escaped($0, comma: comma, opening: true, closing: true) }
    }

    /// Begins a string value whose text comes in pieces, each escaped as it comes: through ``write(_:)`` (so that a
    /// value's `write(to:)` can write straight into the record, without a `String` of its own). ``endString()``
    /// closes it.
    public mutating func beginString() {
        self.punctuation(UInt8(ascii: "\""), separated: true)
    }

    /// Writes a piece of the string value begun with ``beginString()``, escaped (only between ``beginString()`` and
    /// ``endString()``: it writes no quotes of its own).
    public mutating func write(_ string: String) {
        string.withUTF8InPlace { self.escaped($0, comma: false, opening: false, closing: false) }
    }

    public mutating func endString() {
        self.punctuation(UInt8(ascii: "\""), separated: false)
    }

    /// Writes `utf8` escaped, after a comma when `comma`, between quotes when `opening` and `closing`.
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>, comma: Bool, opening: Bool, closing: Bool) {
        let extra = 3
        guard Self.needsEscaping(utf8) else {
            // Usually: one copy between the quotes.
            self.write(upTo: utf8.count + extra) { target in
                var at = Self.comma(comma, to: target)
                if opening {
                    target[at] = UInt8(ascii: "\"")
                    at += 1
                }
                at += Self.copy(utf8, to: target + at)
                if closing {
                    target[at] = UInt8(ascii: "\"")
                    at += 1
                }
                return at
            }
            return
        }
        // Room for exactly the escaped text (a reservation of six bytes per byte, the longest escape, could leave a
        // long free text's record holding several times its size).
        var escapedCount = 0
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                escapedCount += 2
            case 0..<0x20:
                escapedCount += 6
            default:
                escapedCount += 1
            }
        }
        self.write(upTo: escapedCount + extra) { target in
            var at = Self.comma(comma, to: target)
            if opening {
                target[at] = UInt8(ascii: "\"")
                at += 1
            }
            for byte in utf8 {
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                    target[at] = byte
                    at += 1
                    continue
                }
                target[at] = UInt8(ascii: "\\")
                switch byte {
                case UInt8(ascii: "\""): target[at + 1] = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): target[at + 1] = UInt8(ascii: "\\")
                case UInt8(ascii: "\n"): target[at + 1] = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): target[at + 1] = UInt8(ascii: "r")
                case UInt8(ascii: "\t"): target[at + 1] = UInt8(ascii: "t")
                default:
                    target[at + 1] = UInt8(ascii: "u")
                    target[at + 2] = UInt8(ascii: "0")
                    target[at + 3] = UInt8(ascii: "0")
                    target[at + 4] = SHA256.hexDigits[Int(byte >> 4)]
                    target[at + 5] = SHA256.hexDigits[Int(byte & 0x0F)]
                    at += 4
                }
                at += 2
            }
            if closing {
                target[at] = UInt8(ascii: "\"")
                at += 1
            }
            return at
        }
    }

    /// Whether any byte of `utf8` is a control character, `"` or `\\`; read eight bytes at a time.
    @inline(__always)
    private static func needsEscaping(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        let count = utf8.count
        var index = 0
        while index + 8 <= count {
            if Self.needsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { return true }
            index += 8
        }
        while index < count {
            let byte = base[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return true }
            index += 1
        }
        return false
    }

    /// Whether any of the eight bytes of `word` is a control character, `"` or `\\` (exact for "none"; a word
    /// it flags is then checked byte by byte).
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let below0x20 = (word &- ones &* 0x20) & ~word & highs
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let quote = (quotes &- ones) & ~quotes & highs
        let backslash = (backslashes &- ones) & ~backslashes & highs
        return (below0x20 | quote | backslash) != 0
    }
}
