import Foundation
import SteeringModel

/// Validates and decides requests without Kafka: the `route` command and tests use it.
public struct OfflineRouter: Sendable {
    public struct Result: Sendable {
        /// The assignment, or a validation error object.
        public var json: [UInt8]
        public var decision: Decision?
        public var failure: ValidationFailure?
        /// The decision's milestones with their due times.
        public var milestones: [PlannedMilestone] = []

        /// A readable explanation of the decision (for `route --explain`; made when asked for).
        public var explanation: String? {
            self.decision.map { AssignmentEncoder.explanation($0, milestones: self.milestones) }
        }
    }

    public let configuration: SteeringConfiguration
    let engine: SteeringEngine
    let validator = RequestValidator()
    let planner: DecisionPlanner

    public init(configuration: SteeringConfiguration) {
        self.configuration = configuration
        self.engine = SteeringEngine(table: configuration.table)
        self.planner = DecisionPlanner(configuration: configuration)
    }

    /// Decides one request; invalid input gives a validation error object, never a thrown error.
    public func route<Bytes: Collection>(_ bytes: Bytes, now: Date = Date()) -> Result where Bytes.Element == UInt8 {
        switch self.validator.validateRequest(bytes) {
        case .failure(let failure):
            return Result(json: RejectionEncoder.validationError(failure), decision: nil, failure: failure)
        case .success(let request):
            if let failure = self.engine.unknownReferences(in: request) {
                return Result(json: RejectionEncoder.validationError(failure), decision: nil, failure: failure)
            }
            let decision = self.engine.decide(request)
            let milestones = self.planner.plan(decision, request: request)
            let json = AssignmentEncoder.assignment(
                decision, request: request, decidedAt: now, slaPolicy: decision.slaPolicy,
                milestones: milestones)
            return Result(json: json, decision: decision, failure: nil, milestones: milestones)
        }
    }
}

/// Splits `route` input into records: one JSON document (possibly spread over lines) or NDJSON.
public enum RouteInput {
    public static func records(in data: Data) -> [[UInt8]] {
        let bytes = [UInt8](data)
        if case .success = JSONParser.parse(bytes) {
            return [bytes]
        }
        return bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .map { Array($0) }
            .filter { line in !line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
    }
}
