/// An RFC 9457 problem document and the one writer of `application/problem+json` bodies: the
/// transport's own 4xx/5xx answers, the router's 404/405 and every problem a responder answers
/// with (a service hands its problem's members here) come out of `bytes`.
///
/// Members are written sorted by name, standard and extension members together, so equal
/// problems give equal bytes; a standard member wins over an extension of the same name (an
/// extension can never replace `type`, `title`, `status`, `detail` or `instance`).
public struct ProblemJSON: Sendable {
    public static let contentType = "application/problem+json"

    /// One extension member: its name and its value already serialised as JSON text. This layer
    /// knows no JSON value type, so the caller serialises; the text is written as given.
    public struct Extension: Sendable, Equatable {
        public var name: String
        public var json: [UInt8]
        public init(name: String, json: [UInt8]) {
            self.name = name
            self.json = json
        }
    }

    public var type: String
    public var title: String
    public var status: HTTPStatus
    public var detail: String?
    /// Set when the occurrence has a URI of its own.
    public var instance: String?
    /// Members beside the standard ones (`errors`, `retry_after_seconds`, ...).
    public var extensions: [Extension] = []

    public init(type: String, title: String, status: HTTPStatus, detail: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
    }

    /// A problem with no type of its own: `about:blank`, titled with the status's reason phrase
    /// (RFC 9457 §4.2.1). What the server and the router answer by themselves.
    public init(status: HTTPStatus, detail: String) {
        self.init(type: "about:blank", title: status.reason, status: status, detail: detail)
    }

    /// The document as compact JSON.
    public var bytes: [UInt8] {
        var members: [(name: String, write: Member)] = [("type", .string(type)), ("title", .string(title)),
                                                         ("status", .integer(status.code))]
        if let detail { members.append(("detail", .string(detail))) }
        if let instance { members.append(("instance", .string(instance))) }
        for member in extensions where !ProblemJSON.standardNames.contains(member.name) {
            members.append((member.name, .raw(member.json)))
        }
        members.sort { $0.name < $1.name }
        var out: [UInt8] = []
        out.reserveCapacity(160 + (detail?.utf8.count ?? 0))
        out.append(UInt8(ascii: "{"))
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            ProblemJSON.appendString(member.name, to: &out)
            out.append(UInt8(ascii: ":"))
            switch member.write {
            case .string(let text): ProblemJSON.appendString(text, to: &out)
            case .integer(let number): out.append(contentsOf: String(number).utf8)
            case .raw(let json): out.append(contentsOf: json)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The complete answer: this document with its content type, plus `headers` (`Allow`,
    /// `Retry-After`, `WWW-Authenticate`...).
    public func response(headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, contentType: ProblemJSON.contentType, body: bytes, headers: headers)
    }

    static let standardNames: Set<String> = ["type", "title", "status", "detail", "instance"]

    private enum Member {
        case string(String)
        case integer(Int)
        case raw([UInt8])
    }

    /// A JSON string literal: quote, backslash and control characters escaped (`\n`, `\r`, `\t`
    /// short, the rest as `\u00XX`); other UTF-8 kept as it is.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
