/// A set of ``ReferralStatus`` values in one machine word; encoded as a list of statuses.
public struct ReferralStatusSet: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public init(_ statuses: some Sequence<ReferralStatus>) {
        self.init(rawValue: 0)
        for status in statuses {
            self.insert(ReferralStatusSet(status))
        }
    }

    public init(_ status: ReferralStatus) {
        let index = ReferralStatus.allCases.firstIndex(of: status) ?? 0
        self.init(rawValue: 1 << UInt16(index))
    }

    /// Whether `status` is in the set.
    public func contains(_ status: ReferralStatus) -> Bool {
        self.contains(ReferralStatusSet(status))
    }

    /// The statuses in declaration order.
    public var statuses: [ReferralStatus] {
        ReferralStatus.allCases.filter { self.contains($0) }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [ReferralStatus](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try self.statuses.encode(to: encoder)
    }
}
