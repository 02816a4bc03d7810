/// The rule conditions of a decision table as bit masks, evaluated against ``RequestFeatures``.
///
/// ``SteeringEngine/holds(_:_:)`` read a ``RuleCondition`` through its optional arrays: every rule considered
/// copied its condition (seven optional arrays, a retain and a release each) and searched the arrays. Here a
/// condition is a few masks and two ages, with no references, so that testing a rule is a handful of `and`s.
/// The outcome is the same as ``SteeringEngine/holds(_:_:)``'s for every request (a test compares the two over
/// every feature combination the table tells apart).
struct CompiledConditions: Sendable {
    /// One condition. A clause the condition does not have is a mask of all ones (or `school` 0), so that it always
    /// holds; an empty list is a mask of zeros, which never does.
    struct Condition: Sendable {
        var types: UInt8 = .max
        var urgencies: UInt8 = .max
        var severities: UInt8 = .max
        /// The concerns of which the request must name at least one, when `hasConcerns`.
        var concerns: UInt32 = 0
        var hasConcerns = false
        /// The ages the client must have, when `hasAges` (an unknown age never matches).
        var lowestAge = 0
        var highestAge = 0
        var hasAges = false
        /// 0: any; 1: the client must name a school; 2: must not.
        var school: UInt8 = 0
        /// The alternatives (`anyOf`), at `alternatives` in ``CompiledConditions/conditions``; `nil` when the
        /// condition has none (an empty `anyOf` never holds).
        var alternatives: Range<Int32>?
    }

    /// Every condition: the top-level conditions of the three lists first (owner, consultation, consultation
    /// request rules, each in rule order), then alternatives.
    private var conditions: [Condition] = []
    /// Where each list's top-level conditions begin in `conditions`.
    private var starts: [Int] = []

    init(rules: RulesConfiguration) {
        let lists = [rules.ownerRules, rules.consultationRules, rules.consultationRequestRules]
        var start = 0
        for list in lists {
            self.starts.append(start)
            start += list.count
        }
        self.conditions = Array(repeating: Condition(), count: start)
        for (number, list) in lists.enumerated() {
            for (index, rule) in list.enumerated() {
                let compiled = self.compile(rule.when)
                self.conditions[self.starts[number] + index] = compiled
            }
        }
    }

    private mutating func compile(_ condition: RuleCondition) -> Condition {
        var compiled = Condition()
        if let types = condition.type {
            compiled.types = types.reduce(0) { $0 | $1.bit }
        }
        if let urgencies = condition.urgency {
            compiled.urgencies = urgencies.reduce(0) { $0 | $1.bit }
        }
        if let severities = condition.severity {
            compiled.severities = severities.reduce(0) { $0 | $1.bit }
        }
        if let concerns = condition.concerns {
            compiled.hasConcerns = true
            compiled.concerns = concerns.reduce(0) { $0 | $1.bit }
        }
        if let ages = condition.ages {
            compiled.hasAges = true
            compiled.lowestAge = ages.lowerBound
            compiled.highestAge = ages.upperBound
        }
        if let hasSchool = condition.hasSchool {
            compiled.school = hasSchool ? 1 : 2
        }
        if let alternatives = condition.anyOf {
            // Alternatives are compiled after their parent, so each nesting level takes a contiguous range.
            let first = self.conditions.count
            self.conditions.append(contentsOf: repeatElement(Condition(), count: alternatives.count))
            for (offset, alternative) in alternatives.enumerated() {
                let nested = self.compile(alternative)
                self.conditions[first + offset] = nested
            }
            compiled.alternatives = Int32(first)..<Int32(first + alternatives.count)
        }
        return compiled
    }

    /// Whether the condition of the rule at `index` of list `list` (0 owner, 1 consultation, 2 consultation
    /// request rules) holds for a request with these features.
    func holds(list: Int, index: Int, _ features: RequestFeatures) -> Bool {
        self.conditions.withUnsafeBufferPointer { conditions in
            Self.holds(conditions, self.starts[list] + index, features)
        }
    }

    private static func holds(
        _ conditions: UnsafeBufferPointer<Condition>, _ at: Int, _ features: RequestFeatures
    ) -> Bool {
        let condition = conditions[at]
        guard condition.types & features.type.bit != 0,
            condition.urgencies & features.urgency.bit != 0,
            condition.severities & features.severity.bit != 0
        else { return false }
        if condition.hasConcerns, condition.concerns & features.concerns == 0 { return false }
        if condition.hasAges {
            guard let age = features.age, age >= condition.lowestAge, age <= condition.highestAge else { return false }
        }
        switch condition.school {
        case 1: if !features.hasSchool { return false }
        case 2: if features.hasSchool { return false }
        default: break
        }
        if let alternatives = condition.alternatives {
            for alternative in alternatives where Self.holds(conditions, Int(alternative), features) {
                return true
            }
            return false
        }
        return true
    }
}
