/// The fractions of a milestone's span at which a warning fires (default 75 %), stored in one machine word.
///
/// Up to four thresholds, each strictly between 0 and 1, kept to 0.01 % (basis points) and in ascending
/// order. Encoded as a list of fractions, e.g. `[0.5, 0.75]`.
public struct WarningThresholds: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Thresholds in basis points, 16 bits each, lowest first; unused slots are zero.
    private let packed: UInt64

    /// The default: one warning at 75 % of the span.
    public static let `default` = WarningThresholds(basisPoints: [7500])
    /// No warnings.
    public static let none = WarningThresholds(basisPoints: [])
    /// The most thresholds one milestone can have.
    public static let maximumCount = 4

    /// Validated thresholds; `nil` when there are more than four, a fraction is not strictly between 0 and 1, or
    /// two are equal at 0.01 % precision.
    public init?(_ fractions: [Double]) {
        guard fractions.count <= Self.maximumCount else { return nil }
        var points: [UInt16] = []
        for fraction in fractions {
            guard fraction.isFinite, fraction > 0, fraction < 1 else { return nil }
            let value = UInt16((fraction * 10_000).rounded())
            guard value > 0, value < 10_000, !points.contains(value) else { return nil }
            points.append(value)
        }
        self.init(basisPoints: points.sorted())
    }

    private init(basisPoints: [UInt16]) {
        var packed: UInt64 = 0
        for (index, value) in basisPoints.enumerated() {
            packed |= UInt64(value) << (16 * UInt64(index))
        }
        self.packed = packed
    }

    /// How many thresholds there are.
    public var count: Int {
        var count = 0
        while count < Self.maximumCount && self.basisPoints(at: count) != 0 {
            count += 1
        }
        return count
    }

    /// The threshold at `index` in basis points (1–9999).
    public func basisPoints(at index: Int) -> Int {
        Int((self.packed >> (16 * UInt64(index))) & 0xFFFF)
    }

    /// The threshold at `index` as a fraction.
    public func fraction(at index: Int) -> Double {
        Double(self.basisPoints(at: index)) / 10_000
    }

    /// The thresholds as fractions, lowest first.
    public var fractions: [Double] {
        (0..<self.count).map { self.fraction(at: $0) }
    }

    public var description: String {
        "[" + self.fractions.map { "\($0)" }.joined(separator: ", ") + "]"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let fractions = try container.decode([Double].self)
        guard let thresholds = WarningThresholds(fractions) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "warning thresholds \(fractions) must be at most \(Self.maximumCount) distinct "
                    + "fractions strictly between 0 and 1"
            )
        }
        self = thresholds
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.fractions)
    }
}
