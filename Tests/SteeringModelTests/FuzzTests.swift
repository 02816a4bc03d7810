import Foundation
import SteeringModel
import Testing

/// Mutational fuzzing of the request and status decoders: no input may crash them, and every result is either a
/// valid request or a failure with at least one coded problem. `FUZZ_ITERATIONS` sets the count (default 200,000).
@Suite struct FuzzTests {
    static let seeds: [String] = [
        #"{"type":"referral","id":"r-1","submittedAt":"2026-11-16T09:30:00+02:00","source":{"system":"intake"},"client":{"ref":"pseud-1","ageYears":4,"municipality":"398","postalCode":"15210","language":"fi","schoolId":"s-1"},"need":{"concerns":["parenting","separation"],"urgency":"new_concern","severity":"mild"},"notes":"Perhe toivoo tukea. Åäö 😀"}"#,
        #"{"type":"consultation","id":"q-1","submittedAt":"2026-11-16T09:30:00Z","source":{"system":"intake"},"need":{"concerns":["neuropsychiatric"],"urgency":"urgent","severity":"moderate"},"consultation":{"caseOwnerTeam":"ph-fc-heinola","requestedUnitType":"ot_centre","question":"Miten?"}}"#,
        #"{"referralId":"r-1","status":"reassigned","at":"2026-11-17T10:00:00+02:00","team":"ph-fc-hartola","newTeam":"x"}"#,
    ]

    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-0", "1e999", "\\u0000", "\\ud800", "\u{FEFF}", "\"\\", String(repeating: "[", count: 64),
    ].map { Array($0.utf8) } + [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x00]]

    @Test func decodersNeverCrashOnMutatedInput() {
        let iterations = ProcessInfo.processInfo.environment["FUZZ_ITERATIONS"].flatMap(Int.init) ?? 200_000
        var rng = SplitMix(seed: 0xF00D)
        let validator = RequestValidator(maximumRecordBytes: 8192)
        var accepted = 0
        var rejected: [ValidationProblem.Code: Int] = [:]
        for _ in 0..<iterations {
            var bytes = Array(Self.seeds[Int(rng.next() % UInt64(Self.seeds.count))].utf8)
            let mutations = 1 + Int(rng.next() % 4)
            for _ in 0..<mutations {
                let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 6 {
                case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(truncatingIfNeeded: 1 << (rng.next() % 8))
                case 1 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + Int(rng.next() % 8) + 1))
                case 2: bytes.insert(contentsOf: Self.tokens[Int(rng.next() % UInt64(Self.tokens.count))], at: position)
                case 3: bytes = Array(bytes.prefix(position))
                case 4 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: rng.next())
                default: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 16)], at: position)
                }
            }
            let request = validator.validateRequest(bytes)
            let status = validator.validateStatus(bytes)
            switch request {
            case .success: accepted += 1
            case .failure(let failure):
                #expect(!failure.problems.isEmpty)
                rejected[failure.code, default: 0] += 1
            }
            if case .failure(let failure) = status {
                #expect(!failure.problems.isEmpty)
            }
        }
        print("fuzz: \(iterations) mutated inputs, \(accepted) still valid requests, rejected by code: \(rejected.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " "))")
        #expect(rejected.values.reduce(0, +) + accepted == iterations)
    }
}

struct SplitMix {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
