/// A step in a path into a configuration document, as a `CodingKey` path would name it.
public enum ConfigurationPathComponent: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): "[\(index)]"
        }
    }
}

/// Where in the configuration a problem is: the file and the path inside it; the loader adds the line.
public struct ConfigurationLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var path: [ConfigurationPathComponent]
    public var line: Int?
    public var column: Int?

    public init(file: String, path: [ConfigurationPathComponent] = [], line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.path = path
        self.line = line
        self.column = column
    }

    public var pathDescription: String {
        var text = ""
        for component in self.path {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index: text += component.description
            }
        }
        return text
    }

    public var description: String {
        var text = self.file
        if let line { text += ":\(line)" }
        if let column, line != nil { text += ":\(column)" }
        let path = self.pathDescription
        if !path.isEmpty { text += " (\(path))" }
        return text
    }
}

/// One thing wrong with the steering configuration.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    public var location: ConfigurationLocation
    public var message: String

    public init(_ location: ConfigurationLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        "\(self.location): \(self.message)"
    }
}

/// The steering configuration is invalid; every problem found is listed.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]

    public init(problems: [ConfigurationProblem]) {
        self.problems = problems
    }

    public var description: String {
        "invalid steering configuration (\(self.problems.count) problem\(self.problems.count == 1 ? "" : "s")):\n"
            + self.problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
