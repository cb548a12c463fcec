import ExecutionCore
import HTTPServer

/// What a list request asks for: the page size (`limit`, default 50, 1...200) and where to start
/// (`cursor`), plus the list's own filters, kept so the `next` link repeats them. Every bad value
/// is a 422 naming its parameter, like the stream routes' bad query values.
struct ListQuery {
    static let defaultLimit = 50
    static let maxLimit = 200

    /// The list's path (`/v1/runs`) and the name its cursors carry (`runs`).
    let path: String
    let list: String
    let limit: Int
    let before: ListingKey?
    /// Filters as given (name, value), in the order the list defines them.
    private(set) var filters: [(String, String)] = []

    init(_ request: HTTPRequest, path: String, list: String) throws(ProblemDetails) {
        self.path = path
        self.list = list
        if let text = request.queryItem("limit") {
            guard text.utf8.count <= 3, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let value = Int(text), (1...Self.maxLimit).contains(value) else {
                throw .validation(field: "limit", "limit must be an integer from 1 to \(Self.maxLimit)")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        before = try request.queryItem("cursor").map { text throws(ProblemDetails) in try ListCursor.decode(text, list: list) }
    }

    /// An id filter (`engine_id`, `thread_id`): the id rule of every route, else 422 naming it.
    mutating func identifier(_ request: HTTPRequest, _ name: String) throws(ProblemDetails) -> String? {
        guard let value = try StreamRequestParsing.identifier(request, name) else { return nil }
        filters.append((name, value))
        return value
    }

    /// A filter that must be one of `words`, else 422 naming it and listing them.
    mutating func word(_ request: HTTPRequest, _ name: String, of words: [String]) throws(ProblemDetails) -> String? {
        guard let value = request.queryItem(name) else { return nil }
        guard words.contains(value) else {
            throw .validation(field: name, "\(name) must be one of: " + words.joined(separator: ", "))
        }
        filters.append((name, value))
        return value
    }

    /// The link to the page after one that ended at `next` (nil on the last page): same filters,
    /// same limit, the cursor last.
    func link(after next: ListingKey?) -> String? {
        guard let next else { return nil }
        var parameters = filters
        parameters.append(("limit", String(limit)))
        parameters.append(("cursor", ListCursor.encode(next, list: list)))
        return path + "?" + parameters.map { $0.0 + "=" + QueryEncoding.escape($0.1) }.joined(separator: "&")
    }

    /// The answer: `{"<list>": [items…], "next": link}` (no `next` on the last page), the same link
    /// as `Link: <…>; rel="next"`.
    func answer(_ items: [JSONValue], next: ListingKey?) -> HTTPResponse {
        var object: JSONObject = [list: .array(items)]
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        if let link = link(after: next) {
            object["next"] = .string(link)
            headers.add("Link", "<\(link)>; rel=\"next\"")
        }
        return HTTPResponse(status: .ok, headers: headers, body: .bytes(JSONValue.object(object).serialized()))
    }
}

/// Percent-encoding of a query value (RFC 3986: everything but the unreserved characters).
enum QueryEncoding {
    static func escape(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
