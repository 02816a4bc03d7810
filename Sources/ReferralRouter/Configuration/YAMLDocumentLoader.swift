import Foundation
import SteeringModel
import Yams

/// Decodes YAML configuration documents into `Codable` models and reports every problem with file, line and
/// column: syntax errors, type errors, unknown keys (a misspelt key would otherwise be ignored silently) and the
/// semantic problems that validation finds later, by mapping their paths back to the document's nodes.
struct YAMLDocumentLoader {
    struct Document {
        var file: String
        var bytes: Data
        var root: Node
    }

    private(set) var problems: [ConfigurationProblem] = []
    private var documents: [String: Document] = [:]

    /// Reads and decodes one file; returns `nil` (with problems recorded) when it cannot be used.
    mutating func decode<T: Codable>(_ type: T.Type, file: String, displayName: String) -> (T, Data)? {
        guard let data = FileManager.default.contents(atPath: file) else {
            self.problems.append(ConfigurationProblem(ConfigurationLocation(file: displayName), "cannot read the file"))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            self.problems.append(ConfigurationProblem(ConfigurationLocation(file: displayName), "the file is not UTF-8"))
            return nil
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                self.problems.append(ConfigurationProblem(ConfigurationLocation(file: displayName), "the file is empty"))
                return nil
            }
            root = node
        } catch let error as YamlError {
            self.problems.append(Self.problem(from: error, file: displayName))
            return nil
        } catch {
            self.problems.append(ConfigurationProblem(ConfigurationLocation(file: displayName), "\(error)"))
            return nil
        }
        self.documents[displayName] = Document(file: displayName, bytes: data, root: root)
        do {
            let value = try YAMLDecoder().decode(T.self, from: root)
            self.checkUnknownKeys(value, root: root, file: displayName)
            return (value, data)
        } catch let error as DecodingError {
            self.problems.append(self.problem(from: error, file: displayName))
            return nil
        } catch {
            self.problems.append(ConfigurationProblem(ConfigurationLocation(file: displayName), "\(error)"))
            return nil
        }
    }

    /// Adds line and column to problems found by validation, from the documents loaded.
    func locate(_ problems: [ConfigurationProblem]) -> [ConfigurationProblem] {
        problems.map { problem in
            var problem = problem
            if let document = self.documents[problem.location.file],
                let mark = Self.node(at: problem.location.path, in: document.root)?.mark
            {
                problem.location.line = mark.line
                problem.location.column = mark.column
            }
            return problem
        }
    }

    // MARK: Paths and marks

    static func node(at path: [ConfigurationPathComponent], in root: Node) -> Node? {
        var current = root
        for component in path {
            switch component {
            case .key(let key):
                guard let next = current.mapping?[key] else { return current }
                current = next
            case .index(let index):
                guard let sequence = current.sequence, index < sequence.count else { return current }
                current = sequence[index]
            }
        }
        return current
    }

    private static func path(from codingPath: [any CodingKey]) -> [ConfigurationPathComponent] {
        codingPath.map { key in
            if let index = key.intValue { .index(index) } else { .key(key.stringValue) }
        }
    }

    private func problem(from error: DecodingError, file: String) -> ConfigurationProblem {
        let codingPath: [any CodingKey]
        let message: String
        switch error {
        case .typeMismatch(let type, let context):
            codingPath = context.codingPath
            message = "expected \(Self.describe(type))"
        case .valueNotFound(let type, let context):
            codingPath = context.codingPath
            message = "a value (\(Self.describe(type))) is required"
        case .keyNotFound(let key, let context):
            codingPath = context.codingPath
            message = "the key '\(key.stringValue)' is required"
        case .dataCorrupted(let context):
            codingPath = context.codingPath
            message = Self.humanise(context.debugDescription)
        @unknown default:
            codingPath = []
            message = "\(error)"
        }
        let path = Self.path(from: codingPath)
        var location = ConfigurationLocation(file: file, path: path)
        if let document = self.documents[file], let mark = Self.node(at: path, in: document.root)?.mark {
            location.line = mark.line
            location.column = mark.column
        }
        return ConfigurationProblem(location, message)
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Array") ? "a list" : "a mapping (\(type))"
        }
    }

    private static func humanise(_ description: String) -> String {
        // Yams reports unknown enum cases as "Cannot initialize UnitType from invalid String value x".
        if description.hasPrefix("Cannot initialize "), let range = description.range(of: " from invalid ") {
            let typeName = description.dropFirst("Cannot initialize ".count).prefix { $0 != " " }
            let value = description[range.upperBound...].split(separator: " ", maxSplits: 2).dropFirst(2).first ?? ""
            let allowed = Self.allowedValues(String(typeName))
            return "'\(value)' is not a valid \(typeName)" + (allowed.map { "; expected one of: \($0)" } ?? "")
        }
        return description
    }

    private static func allowedValues(_ typeName: String) -> String? {
        switch typeName {
        case "UnitType": UnitType.allCases.map(\.rawValue).joined(separator: ", ")
        case "Concern": Concern.allCases.map(\.rawValue).joined(separator: ", ")
        case "Urgency": Urgency.allCases.map(\.rawValue).joined(separator: ", ")
        case "Severity": Severity.allCases.map(\.rawValue).joined(separator: ", ")
        case "RequestType": RequestType.allCases.map(\.rawValue).joined(separator: ", ")
        default: nil
        }
    }

    private static func problem(from error: YamlError, file: String) -> ConfigurationProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigurationProblem(
                ConfigurationLocation(file: file, line: mark.line, column: mark.column), "YAML syntax: \(problem)")
        default:
            return ConfigurationProblem(ConfigurationLocation(file: file), "YAML: \(error)")
        }
    }

    // MARK: Unknown keys

    /// Re-encodes the decoded value and reports every key of the source that the model does not know.
    private mutating func checkUnknownKeys<T: Encodable>(_ value: T, root: Node, file: String) {
        guard let encoded = try? YAMLEncoder().encode(value), let known = try? Yams.compose(yaml: encoded) else {
            return
        }
        var unknown: [ConfigurationProblem] = []
        Self.compare(source: root, known: known, path: [], file: file, into: &unknown)
        self.problems.append(contentsOf: unknown)
    }

    private static func compare(
        source: Node,
        known: Node,
        path: [ConfigurationPathComponent],
        file: String,
        into problems: inout [ConfigurationProblem]
    ) {
        if let mapping = source.mapping, let knownMapping = known.mapping {
            for (keyNode, valueNode) in mapping {
                guard let key = keyNode.string else { continue }
                if let knownValue = knownMapping[key] {
                    self.compare(source: valueNode, known: knownValue, path: path + [.key(key)], file: file, into: &problems)
                } else if valueNode.null == nil {
                    var location = ConfigurationLocation(file: file, path: path + [.key(key)])
                    location.line = keyNode.mark?.line
                    location.column = keyNode.mark?.column
                    problems.append(ConfigurationProblem(location, "unknown key '\(key)'"))
                }
            }
        } else if let sequence = source.sequence, let knownSequence = known.sequence {
            for (index, element) in sequence.enumerated() where index < knownSequence.count {
                self.compare(
                    source: element, known: knownSequence[index], path: path + [.index(index)], file: file,
                    into: &problems)
            }
        }
    }
}
