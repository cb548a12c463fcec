import ExecutionCore

/// The values of the OpenAPI document that the server's validation decides, taken from the same
/// settings and constants the validation code reads, so the document cannot drift from it: the
/// context policy (placeholders, reserved keys, sizes, depth), the configured agents, the body
/// limits the routes register, the id rule, the list limits, the event-id range.
struct OpenAPIContract: Sendable {
    let placeholderValues: [String]
    let reservedKeys: [String]
    let maxIdentifierBytes: Int
    let maxJSONBytes: Int
    let maxJSONNesting: Int
    let maxDepth: Int
    let agentNames: [String]
    let maxRunInputBytes: Int
    let contextBodyLimit: Int
    let runBodyLimit: Int

    init(settings: ServiceSettings) {
        let policy = ContextPolicy(placeholderValues: settings.contexts.placeholderValues,
                                   reservedKeys: settings.contexts.reservedKeys,
                                   maxJSONBytes: settings.contexts.maxJSONBytes, maxDepth: settings.contexts.maxDepth)
        placeholderValues = policy.placeholderValues
        reservedKeys = settings.contexts.reservedKeys
        maxIdentifierBytes = policy.maxIdentifierBytes
        maxJSONBytes = policy.maxJSONBytes
        maxJSONNesting = policy.maxJSONNesting
        maxDepth = policy.maxDepth
        agentNames = settings.agents.map(\.name)
        maxRunInputBytes = settings.engines.maxRunInputBytes
        contextBodyLimit = ContextRoutes.bodyLimit(maxJSONBytes: settings.contexts.maxJSONBytes)
        runBodyLimit = EngineRoutes.runBodyLimit(maxRunInputBytes: settings.engines.maxRunInputBytes)
    }

    /// A context id rule's characters (`IdentifierRules`, `APIRequest.isPlausibleID`): printable
    /// ASCII (0x21-0x7E) without `/`.
    static let identifierCharacters = "[!-.0-~]"

    /// What every path id, id filter and list item id may be (`APIRequest.isPlausibleID`).
    var plausibleID: JSONValue {
        .object(["type": .string("string"), "minLength": .integer(1), "maxLength": .integer(Int64(APIRequest.maxIDBytes)),
                 "pattern": .string("^" + Self.identifierCharacters + "+$")])
    }

    /// A context id a caller chooses (`thread_id`, `run_id`, ...): `IdentifierRules` — the id
    /// characters, at most `maxIdentifierBytes`, and no placeholder (a listed word, any case,
    /// alone or followed by `_` or `-` and digits). `nullable`: absent and null mean "none".
    func contextIdentifier(_ description: String, nullable: Bool = false) -> JSONValue {
        .object([
            "type": nullable ? .array([.string("string"), .string("null")]) : .string("string"),
            "minLength": .integer(1), "maxLength": .integer(Int64(maxIdentifierBytes)),
            "pattern": .string("^" + Self.identifierCharacters + "+$"),
            "not": .object(["type": .string("string"), "pattern": .string(placeholderPattern)]),
            "description": .string(description + " Printable ASCII without spaces or '/', 1 to \(maxIdentifierBytes) bytes, not a placeholder (" + placeholderValues.joined(separator: ", ") + ", any case, alone or followed by _ or - and digits)."),
        ])
    }

    /// The placeholder words as `PlaceholderMatcher` matches them: the whole value, ASCII letters
    /// in either case, optionally followed by `_` or `-` and one or more digits.
    var placeholderPattern: String {
        let words = placeholderValues.filter { !$0.isEmpty }.map(Self.caseInsensitive)
        return "^(?:" + words.joined(separator: "|") + ")(?:[_-][0-9]+)?$"
    }

    private static func caseInsensitive(_ word: String) -> String {
        var pattern = ""
        for scalar in word.unicodeScalars {
            let character = Character(scalar)
            if scalar.isASCII, character.isLetter {
                pattern += "[" + character.uppercased() + character.lowercased() + "]"
            } else if scalar.isASCII, character.isNumber {
                pattern.append(character)
            } else if scalar.isASCII {
                pattern += "\\" + String(character)
            } else {
                pattern.append(character)
            }
        }
        return pattern
    }

    /// An object a caller stores in a context: no reserved key at its top level (`refused`), at
    /// most `maxJSONBytes` serialized and `maxJSONNesting` deep (which JSON Schema cannot say,
    /// so the description does).
    func callerObject(_ description: String, refusing refused: [String]) -> JSONValue {
        .object([
            "type": .array([.string("object"), .string("null")]),
            "propertyNames": .object(["not": .object(["enum": .array(refused.map(JSONValue.string))])]),
            "description": .string(description + " At most \(maxJSONBytes) bytes serialized (contexts.max_json_bytes) and \(maxJSONNesting) levels deep; these keys are refused at its top level: " + refused.joined(separator: ", ") + "."),
        ])
    }
}

/// Regular expressions for decimal numbers with an upper bound, for values the server parses
/// into fixed-width integers (event ids, cursor instants): the exact set the parser accepts.
enum DecimalPattern {
    /// Digits only, at most as many as `maximum` has, leading zeros allowed, and no more than
    /// `maximum` (for strings as long as it, digit order is numeric order).
    static func notAbove(_ maximum: UInt64) -> String {
        let digits = Array(String(maximum).utf8).map { Int($0 - UInt8(ascii: "0")) }
        var alternatives: [String] = []
        if digits.count > 1 { alternatives.append("[0-9]{1,\(digits.count - 1)}") }
        for (index, digit) in digits.enumerated() where digit > 0 {
            let prefix = digits[..<index].map(String.init).joined()
            let rest = digits.count - 1 - index
            let range = digit == 1 ? "0" : "[0-\(digit - 1)]"
            alternatives.append(prefix + range + (rest > 0 ? "[0-9]{\(rest)}" : ""))
        }
        alternatives.append(String(maximum))
        return "(?:" + alternatives.joined(separator: "|") + ")"
    }
}
