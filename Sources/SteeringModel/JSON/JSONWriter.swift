/// Writes compact JSON into a byte buffer with a fixed member order.
///
/// Output records are built with this writer rather than `JSONEncoder` so that their bytes are deterministic
/// (the same decision always serialises to the same bytes) and cheap to produce.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// One entry per open container: whether nothing has been written into it yet.
    private var isFirst: [Bool] = []
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
        guard let first = self.isFirst.last else { return }
        if first {
            self.isFirst[self.isFirst.count - 1] = false
        } else {
            self.bytes.append(UInt8(ascii: ","))
        }
    }

    public mutating func beginObject() {
        self.beforeValue()
        self.bytes.append(UInt8(ascii: "{"))
        self.isFirst.append(true)
    }

    public mutating func endObject() {
        self.isFirst.removeLast()
        self.bytes.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        self.beforeValue()
        self.bytes.append(UInt8(ascii: "["))
        self.isFirst.append(true)
    }

    public mutating func endArray() {
        self.isFirst.removeLast()
        self.bytes.append(UInt8(ascii: "]"))
    }

    /// Writes a member name; the next value written is its value.
    public mutating func key(_ key: String) {
        self.beforeValue()
        self.writeEscaped(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.afterKey = true
    }

    public mutating func value(_ string: String) {
        self.beforeValue()
        self.writeEscaped(string)
    }

    public mutating func value(_ int: Int) {
        self.beforeValue()
        self.bytes.append(contentsOf: String(int).utf8)
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

    public mutating func field(_ key: String, _ value: String) {
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: String, _ value: String?) {
        guard let value else { return }
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: String, _ value: Int) {
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: String, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: String, _ value: Bool) {
        self.key(key)
        self.value(value)
    }

    public mutating func field(_ key: String, strings: [String]) {
        self.key(key)
        self.beginArray()
        for string in strings {
            self.value(string)
        }
        self.endArray()
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeEscaped(_ string: String) {
        let written: Void? = string.utf8.withContiguousStorageIfAvailable { self.writeEscaped(utf8: $0) }
        if written == nil {
            Array(string.utf8).withUnsafeBufferPointer { self.writeEscaped(utf8: $0) }
        }
    }

    private mutating func writeEscaped(utf8: UnsafeBufferPointer<UInt8>) {
        do {
            self.bytes.append(UInt8(ascii: "\""))
            // Runs of bytes that need no escaping are copied at once.
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index {
                    self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                }
                runStart = index + 1
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
            if runStart < utf8.count {
                self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
            }
            self.bytes.append(UInt8(ascii: "\""))
        }
    }
}
