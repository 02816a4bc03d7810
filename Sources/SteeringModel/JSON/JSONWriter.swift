/// Writes compact JSON into a byte buffer with a fixed member order.
///
/// Output records are built with this writer rather than `JSONEncoder` so that their bytes are deterministic
/// (the same decision always serialises to the same bytes) and cheap to produce.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// One bit per open container, innermost lowest: whether nothing has been written into it yet (a bit field
    /// rather than an array, so that a writer allocates only its bytes). Containers nest at most 64 deep.
    private var isFirst: UInt64 = 0
    private var depth = 0
    /// A member name was just written, so the next value needs no separator.
    private var afterKey = false

    public init(capacity: Int = 512) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    public var string: String {
        String(decoding: self.bytes, as: UTF8.self)
    }

    private mutating func beforeValue() {
        if self.afterKey {
            self.afterKey = false
            return
        }
        guard self.depth > 0 else { return }
        if self.isFirst & 1 == 1 {
            self.isFirst &= ~1
        } else {
            self.bytes.append(UInt8(ascii: ","))
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
        self.beforeValue()
        self.bytes.append(UInt8(ascii: "{"))
        self.open()
    }

    public mutating func endObject() {
        self.close()
        self.bytes.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        self.beforeValue()
        self.bytes.append(UInt8(ascii: "["))
        self.open()
    }

    public mutating func endArray() {
        self.close()
        self.bytes.append(UInt8(ascii: "]"))
    }

    /// Writes a member name; the next value written is its value.
    public mutating func key(_ key: String) {
        self.beforeValue()
        self.writeEscaped(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.afterKey = true
    }

    /// Writes a member name given in the source: copied as it is, without looking for characters to escape (a
    /// literal name of this contract is plain ASCII; checked in debug builds).
    public mutating func key(_ key: StaticString) {
        self.beforeValue()
        key.withUTF8Buffer { name in
            assert(!name.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
            self.bytes.append(UInt8(ascii: "\""))
            self.bytes.append(contentsOf: name)
            self.bytes.append(UInt8(ascii: "\""))
        }
        self.bytes.append(UInt8(ascii: ":"))
        self.afterKey = true
    }

    public mutating func value(_ string: String) {
        self.beforeValue()
        self.writeEscaped(string)
    }

    public mutating func value(_ int: Int) {
        self.beforeValue()
        if int >= 0 && int < 10 {
            self.bytes.append(UInt8(truncatingIfNeeded: 48 + int))
            return
        }
        var text = String(int)
        text.withUTF8 { self.bytes.append(contentsOf: $0) }
    }

    public mutating func value(_ bool: Bool) {
        self.beforeValue()
        self.bytes.append(contentsOf: bool ? "true".utf8 : "false".utf8)
    }

    public mutating func null() {
        self.beforeValue()
        self.bytes.append(contentsOf: "null".utf8)
    }

    /// Writes pre-serialised JSON as a value.
    public mutating func raw(_ json: [UInt8]) {
        self.beforeValue()
        self.bytes.append(contentsOf: json)
    }

    /// Writes pre-serialised members (`"a":1,"b":2`) into the open object.
    public mutating func rawMembers(_ members: [UInt8]) {
        guard !members.isEmpty else { return }
        self.beforeValue()
        self.bytes.append(contentsOf: members)
    }

    /// Writes a number with the shortest representation that reads back as the same `Double`.
    public mutating func value(_ double: Double) {
        self.beforeValue()
        self.bytes.append(contentsOf: String(double).utf8)
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
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        self.value(value)
    }

    /// A string field whose text `write` puts into a buffer of `capacity` bytes, returning how many it wrote: for
    /// values such as timestamps that need no `String` of their own. The bytes must need no escaping (ASCII
    /// letters, digits and punctuation other than `"` and `\`).
    public mutating func field(_ key: StaticString, ascii capacity: Int, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        self.key(key)
        self.beforeValue()
        self.bytes.append(UInt8(ascii: "\""))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let count = min(write(buffer), capacity)
            let written = UnsafeBufferPointer(rebasing: buffer[..<count])
            assert(!written.contains { $0 < 0x20 || $0 >= 0x80 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
            self.bytes.append(contentsOf: written)
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    public mutating func field(_ key: StaticString, _ value: Int) {
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: StaticString, strings: [String]) {
        self.key(key)
        self.beginArray()
        for string in strings {
            self.value(string)
        }
        self.endArray()
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeEscaped(_ string: String) {
        // `withUTF8` reads a small (inline) string from a stack copy; `utf8.withContiguousStorageIfAvailable` has
        // no storage to offer for those and made every short key and value cost an array allocation.
        var string = string
        string.withUTF8 { self.writeEscaped(utf8: $0) }
    }

    private mutating func writeEscaped(utf8: UnsafeBufferPointer<UInt8>) {
        self.bytes.append(UInt8(ascii: "\""))
        guard let base = utf8.baseAddress else {
            self.bytes.append(UInt8(ascii: "\""))
            return
        }
        let count = utf8.count
        // Runs of bytes that need no escaping are copied at once; they are found eight bytes at a time.
        var runStart = 0
        var index = 0
        while index < count {
            if index + 8 <= count, !Self.needsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                index += 8
                continue
            }
            let byte = base[index]
            index += 1
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            if runStart < index - 1 {
                self.bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - 1 - runStart))
            }
            runStart = index
            self.bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): self.bytes.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\n"): self.bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): self.bytes.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): self.bytes.append(UInt8(ascii: "t"))
            default:
                self.bytes.append(contentsOf: "u00".utf8)
                self.bytes.append(Self.hex[Int(byte >> 4)])
                self.bytes.append(Self.hex[Int(byte & 0x0F)])
            }
        }
        if runStart < count {
            self.bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        }
        self.bytes.append(UInt8(ascii: "\""))
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
