/// SHA-256 (FIPS 180-4), for content hashes of the configuration and the decision ids.
///
/// The pure modules import no crypto library. It runs once per decision (the decision id), so a block is
/// compressed from the input, the inline pending block or a stack buffer, with no allocation but the digest's.
public struct SHA256: Sendable {
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    private var h0: UInt32 = 0x6a09_e667
    private var h1: UInt32 = 0xbb67_ae85
    private var h2: UInt32 = 0x3c6e_f372
    private var h3: UInt32 = 0xa54f_f53a
    private var h4: UInt32 = 0x510e_527f
    private var h5: UInt32 = 0x9b05_688c
    private var h6: UInt32 = 0x1f83_d9ab
    private var h7: UInt32 = 0x5be0_cd19
    /// The bytes of an incomplete block: the first `pendingCount` of these 64, kept inline (no allocation).
    private var pending = SIMD64<UInt8>()
    private var pendingCount = 0
    private var length: UInt64 = 0

    public init() {}

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if let done: Void = bytes.withContiguousStorageIfAvailable({ self.update(buffer: $0) }) {
            return done
        }
        Array(bytes).withUnsafeBufferPointer { self.update(buffer: $0) }
    }

    private mutating func update(buffer: UnsafeBufferPointer<UInt8>) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        self.length &+= UInt64(buffer.count)
        var offset = 0
        if self.pendingCount > 0 {
            let (filled, take) = (self.pendingCount, min(64 - self.pendingCount, buffer.count))
            withUnsafeMutableBytes(of: &self.pending) { block in
                block.baseAddress!.advanced(by: filled).copyMemory(from: base, byteCount: take)
            }
            self.pendingCount = filled + take
            offset = take
            guard self.pendingCount == 64 else { return }
            self.compressPending()
            self.pendingCount = 0
        }
        // Whole blocks straight from the input.
        while buffer.count - offset >= 64 {
            self.compress(base + offset)
            offset += 64
        }
        if offset < buffer.count {
            let rest = buffer.count - offset
            withUnsafeMutableBytes(of: &self.pending) { block in
                block.baseAddress!.copyMemory(from: base + offset, byteCount: rest)
            }
            self.pendingCount = rest
        }
    }

    /// Compresses the pending block (a copy of it, so that `compress` may change the state meanwhile).
    private mutating func compressPending() {
        var block = self.pending
        withUnsafeBytes(of: &block) { self.compress($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }

    public mutating func finalize() -> [UInt8] {
        self.pad()
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        self.withDigest { digest.append(contentsOf: $0) }
        return digest
    }

    /// Finishes the hash and calls `body` with the 32-byte digest, on the stack (a decision id needs only twelve
    /// of its bytes, and no array of its own).
    public mutating func finalize<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        self.pad()
        return self.withDigest(body)
    }

    private func withDigest<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digest in
            // Big-endian, word after word.
            func put(_ word: UInt32, at index: Int) {
                digest[index] = UInt8(word >> 24)
                digest[index + 1] = UInt8(truncatingIfNeeded: word >> 16)
                digest[index + 2] = UInt8(truncatingIfNeeded: word >> 8)
                digest[index + 3] = UInt8(truncatingIfNeeded: word)
            }
            put(self.h0, at: 0)
            put(self.h1, at: 4)
            put(self.h2, at: 8)
            put(self.h3, at: 12)
            put(self.h4, at: 16)
            put(self.h5, at: 20)
            put(self.h6, at: 24)
            put(self.h7, at: 28)
            return body(UnsafeBufferPointer(digest))
        }
    }

    /// Compresses the padding: 0x80, zeros up to 56 mod 64, the length in bits (big-endian); one or two blocks.
    private mutating func pad() {
        let bitLength = self.length &* 8
        var pending = self.pending
        let count = self.pendingCount
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
            withUnsafeBytes(of: &pending) { block in
                for index in 0..<count { tail[index] = block[index] }
            }
            tail[count] = 0x80
            let total = count + 1 <= 56 ? 64 : 128
            for index in (count + 1)..<(total - 8) { tail[index] = 0 }
            for index in 0..<8 {
                tail[total - 8 + index] = UInt8(truncatingIfNeeded: bitLength >> UInt64(56 - index * 8))
            }
            let base = UnsafePointer(tail.baseAddress!)
            self.compress(base)
            if total == 128 { self.compress(base + 64) }
        }
        self.pendingCount = 0
    }

    /// The lower-case hex digits, by value.
    public static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        let digest = hasher.finalize()
        return String(unsafeUninitializedCapacity: 64) { text in
            for (index, byte) in digest.enumerated() {
                text[index * 2] = Self.hexDigits[Int(byte >> 4)]
                text[index * 2 + 1] = Self.hexDigits[Int(byte & 0x0F)]
            }
            return 64
        }
    }

    /// One 64-byte block; the message schedule lives on the stack.
    private mutating func compress(_ block: UnsafePointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for index in 0..<16 {
                w[index] =
                    UInt32(block[index * 4]) << 24 | UInt32(block[index * 4 + 1]) << 16
                    | UInt32(block[index * 4 + 2]) << 8 | UInt32(block[index * 4 + 3])
            }
            func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
            for index in 16..<64 {
                let s0 = rotr(w[index - 15], 7) ^ rotr(w[index - 15], 18) ^ (w[index - 15] >> 3)
                let s1 = rotr(w[index - 2], 17) ^ rotr(w[index - 2], 19) ^ (w[index - 2] >> 10)
                w[index] = w[index - 16] &+ s0 &+ w[index - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = (self.h0, self.h1, self.h2, self.h3, self.h4, self.h5, self.h6, self.h7)
            Self.k.withUnsafeBufferPointer { k in
                for index in 0..<64 {
                    let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let temp1 = h &+ s1 &+ ch &+ k[index] &+ w[index]
                    let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let temp2 = s0 &+ maj
                    h = g
                    g = f
                    f = e
                    e = d &+ temp1
                    d = c
                    c = b
                    b = a
                    a = temp1 &+ temp2
                }
            }
            self.h0 &+= a
            self.h1 &+= b
            self.h2 &+= c
            self.h3 &+= d
            self.h4 &+= e
            self.h5 &+= f
            self.h6 &+= g
            self.h7 &+= h
        }
    }
}
